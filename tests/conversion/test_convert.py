"""``cnplans convert``: derived US dollar columns of targets, on a copy of the real package."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import text_columns_of

from cnplans.__main__ import main
from cnplans.conversion.convert import (
    compute_conversion,
    derive,
    same_cell,
    year_of,
)
from cnplans.conversion.fx import MissingRateError, RateTable, read_rates
from cnplans.datapackage.csv_form import render_rows
from cnplans.validation.stale_derived import find_stale_columns

DERIVED = ("usd", "fx_year", "fx_units_per_usd", "fx_basis")


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def rows_with_lines(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (start line, row) pairs, lines counted by the standard library's csv."""
    text = path.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    out = []
    start = 2
    for cells in reader:
        out.append((start, dict(zip(header, cells, strict=True))))
        start = reader.line_num + 1
    return header, out


def rates_of(package: Path) -> dict[tuple[str, int], str]:
    with (package / "resources" / "exchange_rates.csv").open(encoding="utf-8") as file:
        return {
            (r["currency"], int(r["year"])): r["units_per_usd"]
            for r in csv.DictReader(file)
            if r["provider"] == "federal_reserve"
        }


def dates_of(package: Path) -> tuple[dict[str, str], dict[str, str]]:
    with (package / "resources" / "plans.csv").open(encoding="utf-8") as file:
        issued = {r["plan_id"]: r["issued"] for r in csv.DictReader(file)}
    with (package / "resources" / "sources.csv").open(encoding="utf-8") as file:
        published = {r["source_id"]: r["published"] for r in csv.DictReader(file)}
    return issued, published


def edit_cell(path: Path, target_id: str, column: str, value: str) -> None:
    """Rewrite one cell of targets.csv (the whole file re-serialized in the package's form)."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    for row in rows[1:]:
        if row[0] == target_id:
            row[header.index(column)] = value
    texts = text_columns_of(path, header)
    text = render_rows(rows[:1], ()) + render_rows(rows[1:], texts)
    path.write_text(text, encoding="utf-8", newline="")


def line_of(path: Path, target_id: str) -> int:
    _, rows = rows_with_lines(path)
    return next(line for line, row in rows if row["target_id"] == target_id)


def money_target(path: Path, predicate: Callable[[dict[str, str]], bool]) -> dict[str, str]:
    _, rows = rows_with_lines(path)
    return next(row for _, row in rows if predicate(row))


@pytest.fixture
def targets(package: Path) -> Path:
    return package / "resources" / "targets.csv"


# ----------------------------------------------------------------------------------------------
# The rule
# ----------------------------------------------------------------------------------------------


def test_repo_derived_columns_follow_the_rule_independently(package: Path, targets: Path) -> None:
    """Recompute every derived cell of the repository with plain Python and compare."""
    rates = rates_of(package)
    issued, published = dates_of(package)
    _, rows = rows_with_lines(targets)
    money = 0
    for _, row in rows:
        got = tuple(row[c] for c in DERIVED)
        if row["unit"] in ("percent", "count"):
            assert got == ("", "", "", ""), row["target_id"]
            continue
        money += 1
        plan_date, source_date = issued[row["plan_id"]], published[row["source_id"]]
        if plan_date:
            year, basis = int(plan_date[:4]), "plan_issued"
        elif source_date:
            year, basis = int(source_date[:4]), "source_published"
        else:
            assert got == ("", "", "", "unknown"), row["target_id"]
            continue
        rate = rates[(row["unit"], year)]
        usd = (Decimal(row["value"]) / Decimal(rate)).quantize(Decimal(1), ROUND_HALF_EVEN)
        assert got == (str(usd), str(year), rate, basis), row["target_id"]
    assert money > 0


def test_reported_usd_is_kept_beside_the_derived_dollars(targets: Path) -> None:
    """The source's own dollar figure stays as curated; convert never writes it."""
    before = [row["reported_usd"] for _, row in rows_with_lines(targets)[1]]
    edit_cell(targets, rows_with_lines(targets)[1][0][1]["target_id"], "usd", "")
    assert main(["convert", str(targets.parents[1] / "datapackage.json")]) == 0
    assert [row["reported_usd"] for _, row in rows_with_lines(targets)[1]] == before


def test_basis_falls_back_from_plan_to_source_to_unknown() -> None:
    table = RateTable(Path("rates.csv"), {})
    rates = read_rates(Path(__file__).resolve().parents[2] / "resources" / "exchange_rates.csv")
    assert derive("CNY", "7.1957", "2024-11-12", "2022", rates).cells() == {
        "usd": "1",
        "fx_year": "2024",
        "fx_units_per_usd": "7.1957",
        "fx_basis": "plan_issued",
    }
    assert derive("CNY", "67290", "", "2022-04-25", rates).fx_basis == "source_published"
    assert derive("CNY", "67290", "", "2022-04-25", rates).usd == "10000"
    assert derive("CNY", "1", "", "", table).cells() == {
        "usd": "",
        "fx_year": "",
        "fx_units_per_usd": "",
        "fx_basis": "unknown",
    }
    for unit in ("percent", "count"):
        assert derive(unit, "15", "2024", "2024", table).cells() == dict.fromkeys(DERIVED, "")
    assert derive("USD", "1234.6", "2019", "", table).cells() == {
        "usd": "1235",
        "fx_year": "2019",
        "fx_units_per_usd": "1",
        "fx_basis": "plan_issued",
    }
    with pytest.raises(MissingRateError, match="CNY in year 2019"):
        derive("CNY", "1", "2019-03", "", table)


def test_year_of_partial_dates_and_six_figure_comparison() -> None:
    assert [year_of(d) for d in ("2024", "2024-11", "2024-11-12", "", None, "n.d.")] == [
        2024,
        2024,
        2024,
        None,
        None,
        None,
    ]
    assert same_cell("usd", "1389718860", "1389719000")  # equal to 6 significant figures
    assert not same_cell("usd", "1389718860", "1389729000")
    assert same_cell("fx_units_per_usd", "7.1957", "7.19570")
    assert not same_cell("fx_units_per_usd", "7.1957", "")
    assert same_cell("fx_year", "2024", "2024.0")
    assert not same_cell("fx_basis", "plan_issued", "source_published")


def test_text_that_is_not_valid_csv_stops_it_at_its_line(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read by the package layer (datapackage.parse_rows): the error names the file and line."""
    before = targets.read_bytes()
    line = before.count(b"\n") + 1
    targets.write_bytes(before + b'"never closed\n')
    code, _, err = cli(["convert", str(package / "datapackage.json")], capsys)
    assert code == 1
    assert f"resources/targets.csv line {line} is not valid CSV (" in err
    assert "`cnplans validate` says what is wrong" in err
    assert targets.read_bytes() == before + b'"never closed\n'


# --- the one computation of stale cells, against derive() row by row ---------------------------


def _rates() -> RateTable:
    fed, bank = "federal_reserve", "world_bank"
    table = [("CNY", "2020", fed, "6.9042"), ("CNY", "2021", fed, "6.4508")]
    table += [("CNY", "2022", fed, " 6.7290"), ("EUR", "2021", fed, "0.5")]
    table += [("CNY", "2021", bank, "6.45"), ("USD", "0000", fed, "1")]
    columns = ("currency", "year", "provider", "units_per_usd")
    rows = [(line, dict(zip(columns, row, strict=True))) for line, row in enumerate(table, 2)]
    return RateTable.from_rows(Path("exchange_rates.csv"), rows)


def _row_by_row(
    rows: list[tuple[int, dict[str, str]]],
    issued: Mapping[str, str],
    published: Mapping[str, str],
    rates: RateTable,
) -> tuple[list[Any], list[Any], list[Any], list[Any], dict[str, int]]:
    """The reference: derive() and same_cell() on each row, as convert once did by hand."""
    stale, missing, rewrites, skipped = [], [], [], []
    bases: dict[str, int] = {}
    for line, row in rows:
        if row["plan_id"] not in issued:
            skipped.append((line, f"column plan_id: {row['plan_id']!r} is not in plans"))
            continue
        if row["source_id"] not in published:
            skipped.append((line, f"column source_id: {row['source_id']!r} is not in sources"))
            continue
        try:
            derived = derive(
                row["unit"],
                row["value"],
                issued[row["plan_id"]],
                published[row["source_id"]],
                rates,
            )
        except MissingRateError as error:
            missing.append((line, str(error)))
            continue
        except ValueError as error:
            skipped.append((line, f"column value: {error}"))
            continue
        if derived.fx_basis:
            bases[derived.fx_basis] = bases.get(derived.fx_basis, 0) + 1
        for name, expected in derived.cells().items():
            if row[name] != expected:
                rewrites.append((line, name, expected, row[name]))
            if not same_cell(name, expected, row[name]):
                stale.append((line, name, expected, row[name]))
    order = ("plan_issued", "source_published", "unknown")
    return stale, missing, rewrites, skipped, {b: bases[b] for b in order if b in bases}


@pytest.mark.parametrize("part_rows", [1 << 18, 97])
def test_stale_columns_match_derive_row_by_row(
    part_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """find_stale_columns, which convert and the gate share, on awkward rows (in parts too)."""
    from cnplans.validation import context

    monkeypatch.setattr(context, "ROWS_AT_A_TIME", part_rows)
    rng = random.Random(11)
    issued = {"p1": "2021-03-04", "p2": "", "p3": "2022", "p4": "1999-01", "p5": " 2020 ", "": ""}
    issued |= {"p6": "0000-01-01"}
    published = {"s1": "2020-05", "s2": "", "s3": "2021", "s4": "nonsense"}
    values = ["100", "2.5", "0", "1e3", "+5", "-7", " 12 ", "abc", "", "1.", ".5", "12x", "6.9042"]
    values += ["345210000000", "3.4521", "999999999999999", "1234567890123456789", "0.00001"]
    values += ["3.4521", "10.3563", "13.8084", "1.5", "2.5", "0.25", "0.75", "nan", "inf"]
    units = ["CNY", "USD", "EUR", "GBP", "percent", "count", "cny", "CNY\n", ""]
    rows = []
    for line in range(2, 3000):
        row = {
            "plan_id": rng.choice([*issued, "missing"]),
            "source_id": rng.choice([*published, "missing"]),
            "unit": rng.choice(units),
            "value": rng.choice(values),
        }
        row |= dict.fromkeys(DERIVED, "")
        if rng.random() < 0.6:  # found cells: some right, some differently written, some wrong
            row["usd"] = rng.choice(["", "14", "15", "14.0", " 14", "1e1", "nan", "x", "0", "-0"])
            row["fx_year"] = rng.choice(["", "2021", "2021.0", "2020", "x", "99999", "0"])
            row["fx_units_per_usd"] = rng.choice(["", "6.4508", "6.45080", "6.4508000001", "x"])
            row["fx_basis"] = rng.choice(["", "plan_issued", "source_published", "unknown"])
        rows.append((line, row))
    stale, missing, rewrites, skipped, bases = _row_by_row(rows, issued, published, _rates())
    raw = pd.DataFrame([r for _, r in rows], index=[line for line, _ in rows], dtype="string")
    found = find_stale_columns(raw, issued, published, _rates())
    assert found.cells == stale
    assert found.missing == missing
    assert found.rewrites == rewrites
    assert found.skipped == skipped
    assert found.bases == bases
    assert stale and missing and skipped and len(rewrites) > len(stale)  # every outcome occurs


# ----------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------


def test_convert_is_idempotent_on_the_repository(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = targets.read_bytes()
    code, out, _ = cli(["convert", str(package / "datapackage.json")], capsys)
    assert code == 0 and "nothing written" in out
    assert targets.read_bytes() == before
    # Blank every derived cell: convert must give back exactly the repository's bytes.
    _, rows = rows_with_lines(targets)
    for _, row in rows:
        for column in DERIVED:
            edit_cell(targets, row["target_id"], column, "")
    assert targets.read_bytes() != before
    code, out, _ = cli(["convert", str(package / "datapackage.json")], capsys)
    assert code == 0 and "rewrote" in out
    assert targets.read_bytes() == before
    assert [p.name for p in targets.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_check_passes_on_the_repository(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = targets.read_bytes()
    code, out, err = cli(["convert", "--check", str(package / "datapackage.json")], capsys)
    assert code == 0, out + err
    assert "agree" in out
    assert targets.read_bytes() == before


def test_check_names_each_stale_cell_and_writes_nothing(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    converted = money_target(
        targets, lambda r: r["fx_basis"] in ("plan_issued", "source_published")
    )
    target_id = converted["target_id"]
    edit_cell(targets, target_id, "usd", "123")
    edit_cell(targets, target_id, "fx_year", "1999")
    edited = targets.read_bytes()
    header, _ = rows_with_lines(targets)
    line = line_of(targets, target_id)
    code, out, _ = cli(["convert", "--check", str(package / "datapackage.json")], capsys)
    assert code == 1
    assert targets.read_bytes() == edited
    assert f"resources/targets.csv:{line}:usd:" in out
    assert f"expected '{converted['usd']}' (column {header.index('usd') + 1}" in out
    assert "found '123'" in out
    assert f"resources/targets.csv:{line}:fx_year:" in out and "found '1999'" in out
    assert len(out.strip().splitlines()) == 2


def test_check_tolerates_differences_below_six_significant_figures(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    converted = money_target(targets, lambda r: r["fx_basis"] == "plan_issued")
    edit_cell(targets, converted["target_id"], "usd", str(int(converted["usd"]) + 1))
    code, _, _ = cli(["convert", "--check", str(package / "datapackage.json")], capsys)
    assert code == 0


def test_unknown_basis_with_a_number_is_stale(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = money_target(targets, lambda r: r["fx_basis"] == "unknown")
    edit_cell(targets, unknown["target_id"], "usd", "1000")
    code, out, _ = cli(["convert", "--check", str(package / "datapackage.json")], capsys)
    assert code == 1 and "expected an empty cell" in out and "found '1000'" in out


def test_missing_rate_year_is_a_clear_error_and_writes_nothing(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    converted = money_target(targets, lambda r: r["fx_basis"] == "plan_issued")
    rates = package / "resources" / "exchange_rates.csv"
    lines = rates.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if not ln.startswith(f'"CNY",{converted["fx_year"]},')]
    assert len(kept) == len(lines) - 1
    rates.write_text("".join(kept), encoding="utf-8")
    before = targets.read_bytes()
    for argv in (["convert"], ["convert", "--check"]):
        code, _, err = cli([*argv, str(package / "datapackage.json")], capsys)
        assert code == 1
        assert f"no exchange rate for CNY in year {converted['fx_year']}" in err
        assert f"line {line_of(targets, converted['target_id'])}" in err
        assert "Traceback" not in err
        assert targets.read_bytes() == before


def test_non_money_rows_are_cleared_and_other_cells_keep_their_text(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Junk in a count's derived cells goes; every other cell keeps its text, and the file is
    written back in canonical form (the package's, which the gate asks for)."""
    text = targets.read_text(encoding="utf-8")
    header, rows = rows_with_lines(targets)
    count_row = next(row for _, row in rows if row["unit"] == "count")
    money_row = next(row for _, row in rows if row["fx_basis"] == "plan_issued")
    # Unquote the money row's unit and write its value with a decimal point; give the count row
    # a stale dollar figure. All three are valid CSV for the same values.
    old_money_line = next(
        ln for ln in text.split("\n") if ln.startswith(f'"{money_row["target_id"]}"')
    )
    new_money_line = old_money_line.replace(
        f",{money_row['value']},", f",{money_row['value']}.0,", 1
    ).replace(',"CNY",', ",CNY,", 1)
    old_count_line = next(
        ln for ln in text.split("\n") if ln.startswith(f'"{count_row["target_id"]}"')
    )
    cells = next(csv.reader([old_count_line]))
    cells[header.index("usd")] = "42"
    cells[header.index("fx_basis")] = "unknown"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    new_count_line = buffer.getvalue()
    edited = text.replace(old_money_line, new_money_line).replace(old_count_line, new_count_line)
    targets.write_text(edited, encoding="utf-8", newline="")

    code, out, _ = cli(["convert", str(package / "datapackage.json")], capsys)
    assert code == 0 and "rewrote 2 derived cell(s)" in out
    after = targets.read_text(encoding="utf-8")
    # The money row keeps its value's text; its text cell gets its quotes back.
    assert new_money_line.replace(",CNY,", ',"CNY",', 1) in after
    assert after == text.replace(old_money_line, new_money_line.replace(",CNY,", ',"CNY",', 1))
    _, rows_after = rows_with_lines(targets)
    count_after = next(row for _, row in rows_after if row["target_id"] == count_row["target_id"])
    assert [count_after[c] for c in DERIVED] == ["", "", "", ""]
    assert [row["reported_usd"] for _, row in rows_after] == [
        row["reported_usd"] for _, row in rows
    ]


def test_nothing_to_recompute_writes_nothing_whatever_the_form(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """convert rewrites a file only to change a derived cell: the form is `cnplans fmt`'s job."""
    text = targets.read_text(encoding="utf-8")
    edited = text.replace(",CNY,", ',"CNY",', 1).removesuffix("\n")
    targets.write_text(edited, encoding="utf-8", newline="")
    code, out, _ = cli(["convert", str(package / "datapackage.json")], capsys)
    assert code == 0 and "already up to date, nothing written" in out
    assert targets.read_text(encoding="utf-8") == edited


def test_windows_line_ends_come_back_as_the_canonical_file(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = targets.read_bytes()
    converted = money_target(targets, lambda r: r["fx_basis"] == "plan_issued")
    edit_cell(targets, converted["target_id"], "usd", "")
    targets.write_bytes(targets.read_bytes().replace(b"\n", b"\r\n"))
    code, out, _ = cli(["convert", str(package / "datapackage.json")], capsys)
    assert code == 0 and "rewrote 1 derived cell(s)" in out
    assert targets.read_bytes() == before


def test_a_carriage_return_inside_a_cell_is_refused(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    converted = money_target(targets, lambda r: r["fx_basis"] == "plan_issued")
    edit_cell(targets, converted["target_id"], "usd", "")
    edit_cell(targets, converted["target_id"], "subject", "two\r\nlines")
    edited = targets.read_bytes()
    code, _, err = cli(["convert", str(package / "datapackage.json")], capsys)
    line = line_of(targets, converted["target_id"])
    assert code == 1
    assert f"resources/targets.csv: line {line}: column subject: the cell holds a carriage" in err
    assert targets.read_bytes() == edited


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("plan_id", "no-such-plan", "column plan_id: 'no-such-plan' is not in plans"),
        ("source_id", "no-such-source", "column source_id: 'no-such-source' is not in sources"),
        ("value", "12x", "column value: expected a number, found '12x'"),
    ],
)
def test_the_first_row_that_cannot_be_converted_stops_it(
    package: Path,
    targets: Path,
    capsys: pytest.CaptureFixture[str],
    column: str,
    value: str,
    expected: str,
) -> None:
    """Stopped at the first such row (an earlier missing rate is not listed then)."""
    _, rows = rows_with_lines(targets)
    money = [row for _, row in rows if row["fx_basis"] == "plan_issued"]
    first, last = money[0], money[-1]
    rates = package / "resources" / "exchange_rates.csv"
    rates.write_text(
        "".join(
            ln
            for ln in rates.read_text(encoding="utf-8").splitlines(keepends=True)
            if not ln.startswith(f"CNY,{first['fx_year']},")
        ),
        encoding="utf-8",
    )
    edit_cell(targets, last["target_id"], column, value)
    before = targets.read_bytes()
    for argv in (["convert"], ["convert", "--check"]):
        code, _, err = cli([*argv, str(package / "datapackage.json")], capsys)
        line = line_of(targets, last["target_id"])
        assert (code, err) == (
            1,
            f"cnplans convert: resources/targets.csv: line {line}: {expected}\n",
        )
        assert targets.read_bytes() == before


def test_a_row_of_the_wrong_width_stops_it(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, rows = rows_with_lines(targets)
    lines = targets.read_text(encoding="utf-8").split("\n")
    line = rows[2][0]
    lines[line - 1] += ",extra"
    targets.write_text("\n".join(lines), encoding="utf-8")
    code, _, err = cli(["convert", str(package / "datapackage.json")], capsys)
    assert code == 1
    assert f"resources/targets.csv: line {line}: expected {len(header)} cells, found " in err


def test_range_converts_the_lower_bound(package: Path, targets: Path) -> None:
    money_row = money_target(targets, lambda r: r["fx_basis"] == "plan_issued")
    edit_cell(targets, money_row["target_id"], "value_max", str(int(money_row["value"]) * 2))
    edit_cell(targets, money_row["target_id"], "qualifier", "range")
    conversion = compute_conversion(package / "datapackage.json")
    assert conversion.stale == []  # usd is value / rate, whatever value_max is


def test_missing_descriptor_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["convert", str(tmp_path / "nope.json")], capsys)
    assert code == 2 and "no such file" in err


def test_validate_reports_stale_cells_at_their_line_and_column(
    package: Path, targets: Path, validate: Callable[..., Any]
) -> None:
    assert "stale-derived-value" not in validate(package).rules()
    converted = money_target(targets, lambda r: r["usd"] != "")
    edit_cell(targets, converted["target_id"], "fx_units_per_usd", "9.9")
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("stale-derived-value") == [
        ("resources/targets.csv", line_of(targets, converted["target_id"]), "fx_units_per_usd")
    ]
    message = next(p["message"] for p in outcome.problems if p["rule"] == "stale-derived-value")
    assert f"expected '{converted['fx_units_per_usd']}'" in message and "'9.9'" in message


def test_validate_reports_a_missing_rate_at_the_target(
    package: Path, targets: Path, validate: Callable[..., Any]
) -> None:
    converted = money_target(targets, lambda r: r["fx_basis"] == "plan_issued")
    rates = package / "resources" / "exchange_rates.csv"
    lines = rates.read_text(encoding="utf-8").splitlines(keepends=True)
    rates.write_text(
        "".join(ln for ln in lines if not ln.startswith(f'"CNY",{converted["fx_year"]},')),
        encoding="utf-8",
    )
    outcome = validate(package)
    assert outcome.of("missing-exchange-rate") == [
        ("resources/targets.csv", line_of(targets, converted["target_id"]), "fx_year")
    ]
    assert "stale-derived-value" not in outcome.rules()
