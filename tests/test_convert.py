"""``cnplans convert``: derived US dollar columns of targets, on a copy of the real package."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest

from cnplans.cli import main
from cnplans.convert import derive, plan_conversion, same_cell, scan_records, year_of
from cnplans.fx import MissingRateError, RateTable, read_rates

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
    """Rewrite one cell of targets.csv (the whole file re-serialized by the csv module)."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    for row in rows[1:]:
        if row[0] == target_id:
            row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")


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
    rates = read_rates(Path(__file__).resolve().parents[1] / "resources" / "exchange_rates.csv")
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


def test_scanner_keeps_cell_positions_across_quoted_newlines() -> None:
    text = 'a,b\n"x\ny","q""z"\r\n,3\n'
    records = scan_records(text, "t.csv")
    assert [r.line for r in records] == [1, 2, 4]
    assert [text[a:b] for a, b in records[1].spans] == ['"x\ny"', '"q""z"']
    assert [text[a:b] for a, b in records[2].spans] == ["", "3"]


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
    kept = [ln for ln in lines if not ln.startswith(f"CNY,{converted['fx_year']},")]
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


def test_non_money_rows_and_other_bytes_are_untouched(
    package: Path, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unusual but valid formatting elsewhere survives; junk in a count's derived cell goes."""
    text = targets.read_text(encoding="utf-8")
    header, rows = rows_with_lines(targets)
    count_row = next(row for _, row in rows if row["unit"] == "count")
    money_row = next(row for _, row in rows if row["fx_basis"] == "plan_issued")
    # Quote the money row's unit and write its value with a decimal point; give the count row
    # a stale dollar figure. All three are valid CSV for the same values.
    old_money_line = next(ln for ln in text.split("\n") if ln.startswith(money_row["target_id"]))
    new_money_line = old_money_line.replace(
        f",{money_row['value']},", f",{money_row['value']}.0,", 1
    ).replace(",CNY,", ',"CNY",', 1)
    old_count_line = next(ln for ln in text.split("\n") if ln.startswith(count_row["target_id"]))
    cells = next(csv.reader([old_count_line]))
    cells[header.index("usd")] = "42"
    cells[header.index("fx_basis")] = "unknown"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    new_count_line = buffer.getvalue()
    edited = text.replace(old_money_line, new_money_line).replace(old_count_line, new_count_line)
    targets.write_text(edited, encoding="utf-8", newline="")

    code, _, _ = cli(["convert", str(package / "datapackage.json")], capsys)
    assert code == 0
    after = targets.read_text(encoding="utf-8")
    assert new_money_line in after  # quoting and number format of other cells kept
    assert after == edited.replace(new_count_line, old_count_line)
    _, rows_after = rows_with_lines(targets)
    count_after = next(row for _, row in rows_after if row["target_id"] == count_row["target_id"])
    assert [count_after[c] for c in DERIVED] == ["", "", "", ""]


def test_range_converts_the_lower_bound(package: Path, targets: Path) -> None:
    money_row = money_target(targets, lambda r: r["fx_basis"] == "plan_issued")
    edit_cell(targets, money_row["target_id"], "value_max", str(int(money_row["value"]) * 2))
    edit_cell(targets, money_row["target_id"], "qualifier", "range")
    conversion = plan_conversion(package / "datapackage.json")
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
        "".join(ln for ln in lines if not ln.startswith(f"CNY,{converted['fx_year']},")),
        encoding="utf-8",
    )
    outcome = validate(package)
    assert outcome.of("missing-exchange-rate") == [
        ("resources/targets.csv", line_of(targets, converted["target_id"]), "fx_year")
    ]
    assert "stale-derived-value" not in outcome.rules()
