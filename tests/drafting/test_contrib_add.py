"""``cnplans add`` and ``cnplans fmt`` (and ``new-plan`` filed through the same path).

Every test works on a copy of the real package. Rows are made from rows the copy already has
(their plan, source and quote read from its CSV files, never named here), with a new id; what
``add`` writes is checked byte for byte and with ``cnplans validate``, and what it refuses must
leave every file as it was.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import Csv, Outcome, run_cli, start_lines

from cnplans.conversion.convert import DERIVED_COLUMNS

TARGETS = "resources/targets.csv"
MEASURES = "resources/measures.csv"
PLANS = "resources/plans.csv"
# The columns a draft of a target gives (the derived dollar columns and the rest left out).
TARGET_COLUMNS = [
    "target_id",
    "plan_id",
    "measure_id",
    "target_type",
    "indicator",
    "subject",
    "value",
    "value_max",
    "qualifier",
    "strive",
    "unit",
    "target_year",
    "target_year_basis",
    "baseline_year",
    "reported_usd",
    "source_id",
    "quote",
]
MEASURE_COLUMNS = ["measure_id", "plan_id", "section", "category", "summary", "source_id", "quote"]
SOURCE_TEXT = (
    "Example county publishes a plan for its ceramics industry\n"
    "\n"
    "The county government released the plan on March 3, aiming for output value of\n"
    "5 billion yuan by 2026.\n"
)


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def rows_of(package: Path, table: str) -> list[dict[str, str]]:
    with (package / f"resources/{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def csv_bytes(header: Sequence[str], rows: Sequence[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([row.get(column, "") for column in header] for row in rows)
    return buffer.getvalue().encode("utf-8")


def write_rows(
    path: Path, header: Sequence[str], rows: Sequence[dict[str, str]], prefix: bytes = b""
) -> Path:
    path.write_bytes(prefix + csv_bytes(header, rows))
    return path


def money_target(package: Path) -> dict[str, str]:
    """A target of the copy whose dollar columns are computed from a known year."""
    found = [
        row
        for row in rows_of(package, "targets")
        if row["fx_basis"] in ("plan_issued", "source_published") and row["usd"]
    ]
    assert found, "the package has no target converted at a known year's rate"
    return found[0]


def count_target(package: Path) -> dict[str, str]:
    """A target of the copy that counts something and belongs to a measure."""
    found = [r for r in rows_of(package, "targets") if r["unit"] == "count" and r["measure_id"]]
    assert found, "the package has no count target of a measure"
    return found[0]


def new_id(package: Path, table: str, base: str) -> str:
    """An id that is not in the table yet, next to ``base`` in key order."""
    taken = {next(iter(row.values())) for row in rows_of(package, table)}
    for suffix in ("added", "added-again", "added-third"):
        if f"{base}-{suffix}" not in taken:
            return f"{base}-{suffix}"
    raise AssertionError("no free id")


def add(package: Path, capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    return run_cli(["add", *words, "--package", str(package / "datapackage.json")], capsys)


def landed_line(package: Path, table: str, key: str) -> int:
    """The line the row with primary key ``key`` starts on."""
    ids = Csv.read(package / f"resources/{table}.csv").column(
        "target_id" if table == "targets" else "measure_id"
    )
    return start_lines(package / f"resources/{table}.csv")[ids.index(key)]


# --------------------------------------------------------------------------------------------
# Adding rows
# --------------------------------------------------------------------------------------------


def test_a_target_with_some_columns_gets_its_dollar_columns_and_lands_in_id_order(
    package: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    validate: Callable[..., Outcome],
) -> None:
    model = money_target(package)
    row = dict(model, target_id=new_id(package, "targets", model["target_id"]))
    columns = [*TARGET_COLUMNS, "kind"]  # a draft's extra last column, dropped
    rows_file = write_rows(
        tmp_path / "rows.csv", columns, [dict(row, kind="goal")], b"\xef\xbb\xbf"
    )
    before = files(package)

    code, out, err = add(package, capsys, "targets", str(rows_file))

    assert code == 0, err
    after = files(package)
    assert {name for name in after if after[name] != before[name]} == {TARGETS}
    table = Csv.read(package / TARGETS)
    ids = table.column("target_id")
    assert ids == sorted(ids)
    index = ids.index(row["target_id"])
    added = dict(zip(table.header, table.rows[index], strict=True))
    for column in DERIVED_COLUMNS:  # computed as `cnplans convert` does: like its model's
        assert added[column] == model[column], column
    assert added["project_id"] == "" and added["notes"] == ""
    line = landed_line(package, "targets", row["target_id"])
    assert f"added 1 row to {TARGETS}: {row['target_id']} (line {line})" in out
    assert "'kind'" in out and "nox -s validate" in out
    # Every other byte is as it was: the old file is the new one without the added line.
    lines = after[TARGETS].split(b"\n")
    assert b"\n".join(lines[: line - 1] + lines[line:]) == before[TARGETS]
    assert validate(package).problems == []


def test_rows_from_standard_input(
    package: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    validate: Callable[..., Outcome],
) -> None:
    model = count_target(package)
    row = dict(model, target_id=new_id(package, "targets", model["target_id"]))
    row["subject"] = " " + model["subject"].replace(" ", "  \n ", 1) + "\t"  # normalized
    data = csv_bytes(TARGET_COLUMNS, [row])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))

    code, out, err = add(package, capsys, "targets", "-")

    assert code == 0, err
    added = next(r for r in rows_of(package, "targets") if r["target_id"] == row["target_id"])
    assert added["subject"] == model["subject"]
    assert f"added 1 row to {TARGETS}: {row['target_id']}" in out
    assert validate(package).problems == []


def test_bad_rows_are_refused_where_they_are_in_the_rows_file(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = count_target(package)
    bad_enum = dict(model, target_id=new_id(package, "targets", model["target_id"]))
    bad_enum["indicator"] = "revenu"
    bad_quote = dict(model, target_id=bad_enum["target_id"] + "-2")
    bad_quote["quote"] = model["quote"] + " and a sentence the source never printed"
    bad_key = dict(model, target_id=bad_enum["target_id"] + "-3")
    bad_key["measure_id"] = model["plan_id"] + "-no-such-measure"
    rows_file = tmp_path / "rows.csv"
    text = csv_bytes(TARGET_COLUMNS, [bad_enum, bad_quote, bad_key]).split(b"\n")
    # A blank line after the header: skipped, and the lines below keep their numbers.
    rows_file.write_bytes(b"\n".join([text[0], b"", *text[1:]]))
    before = files(package)

    code, out, err = add(package, capsys, "targets", str(rows_file))

    assert code == 1 and out == ""
    assert f"{rows_file} line 3, column indicator: enum: expected one of:" in err
    assert "found 'revenu'" in err
    assert f"{rows_file} line 4, column quote: quote-not-in-source: " in err
    assert f"{rows_file} line 5, column measure_id: foreign-key: " in err
    assert "nothing was written" in err
    assert files(package) == before


def test_an_unknown_column_is_named_with_the_closest_field(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = count_target(package)
    row = dict(model, target_id=new_id(package, "targets", model["target_id"]))
    row["indicatr"] = row.pop("indicator")
    columns = ["indicatr" if c == "indicator" else c for c in TARGET_COLUMNS]
    rows_file = write_rows(tmp_path / "rows.csv", columns, [row])
    before = files(package)

    code, _, err = add(package, capsys, "targets", str(rows_file))

    assert code == 1
    assert "'indicatr' is not a column of resources/targets.csv; did you mean 'indicator'?" in err
    assert files(package) == before


def test_an_id_already_in_the_table_is_refused_with_its_line(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = count_target(package)
    rows_file = write_rows(tmp_path / "rows.csv", TARGET_COLUMNS, [model])
    before = files(package)

    code, _, err = add(package, capsys, "targets", str(rows_file))

    assert code == 1
    line = landed_line(package, "targets", model["target_id"])
    assert f"{rows_file} line 2, column target_id: {model['target_id']} is already in" in err
    assert f"{TARGETS} (line {line}); ids are never reused" in err
    assert files(package) == before


def test_a_rows_file_that_is_not_utf8_is_refused(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = count_target(package)
    row = dict(model, target_id=new_id(package, "targets", model["target_id"]))
    row["subject"] = "café"
    rows_file = tmp_path / "rows.csv"
    rows_file.write_bytes(csv_bytes(TARGET_COLUMNS, [row]).decode("utf-8").encode("latin-1"))
    before = files(package)

    code, _, err = add(package, capsys, "targets", str(rows_file))

    assert code == 1
    assert f"{rows_file} is not UTF-8 text (line 2" in err and "save it again as 'UTF-8'" in err
    assert files(package) == before


def test_a_rows_file_over_the_size_limit_is_refused_unread(
    package: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cnplans.drafting import filing

    rows_file = write_rows(tmp_path / "rows.csv", TARGET_COLUMNS, [count_target(package)])
    monkeypatch.setattr(filing, "MAX_ROWS_BYTES", 64)
    code, _, err = add(package, capsys, "targets", str(rows_file))
    assert code == 1 and f"{rows_file} has more than 64 bytes" in err and "split" in err


def test_a_measure_and_the_target_referring_to_it_come_in_one_call(
    package: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    validate: Callable[..., Outcome],
) -> None:
    target = count_target(package)
    measure = next(
        row for row in rows_of(package, "measures") if row["measure_id"] == target["measure_id"]
    )
    new_measure = dict(measure, measure_id=new_id(package, "measures", measure["measure_id"]))
    new_target = dict(
        target,
        target_id=new_id(package, "targets", target["target_id"]),
        measure_id=new_measure["measure_id"],
    )
    measures_file = write_rows(tmp_path / "measures.csv", MEASURE_COLUMNS, [new_measure])
    targets_file = write_rows(tmp_path / "targets.csv", TARGET_COLUMNS, [new_target])
    before = files(package)

    # The target alone refers to a measure that is not there yet.
    code, _, err = add(package, capsys, "targets", str(targets_file))
    assert code == 1 and f"{targets_file} line 2, column measure_id: foreign-key" in err
    assert files(package) == before

    code, out, err = add(
        package, capsys, "targets", str(targets_file), "measures", str(measures_file)
    )

    assert code == 0, err
    after = files(package)
    assert {name for name in after if after[name] != before[name]} == {TARGETS, MEASURES}
    measure_line = landed_line(package, "measures", new_measure["measure_id"])
    assert f"added 1 row to {MEASURES}: {new_measure['measure_id']} (line {measure_line})" in out
    assert f"added 1 row to {TARGETS}: {new_target['target_id']}" in out
    assert validate(package).problems == []


def test_dry_run_checks_and_writes_nothing(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = count_target(package)
    row = dict(model, target_id=new_id(package, "targets", model["target_id"]))
    rows_file = write_rows(tmp_path / "rows.csv", TARGET_COLUMNS, [row])
    before = files(package)

    code, out, err = add(package, capsys, "targets", str(rows_file), "--dry-run")

    assert code == 0, err
    assert f"would add 1 row to {TARGETS}: {row['target_id']} (line " in out
    assert "nothing was written" in out
    assert files(package) == before


def test_an_unknown_table_and_an_odd_number_of_words_are_refused(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows_file = write_rows(tmp_path / "rows.csv", ["target_id"], [{"target_id": "x"}])
    code, _, err = add(package, capsys, "target", str(rows_file))
    assert code == 1 and "'target' is not a table of datapackage.json; did you mean" in err
    code, _, err = add(package, capsys, "targets", str(rows_file), "measures")
    assert code == 2 and "TABLE ROWS.csv" in err


# --------------------------------------------------------------------------------------------
# fmt
# --------------------------------------------------------------------------------------------


def shuffle(path: Path) -> None:
    """Put the file's records in reverse order, each record's bytes kept."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    starts = start_lines(path)
    ends = [*(s - 1 for s in starts[1:]), len(lines) - 1]
    records = ["\n".join(lines[a - 1 : b]) for a, b in zip(starts, ends, strict=True)]
    path.write_text("\n".join([lines[0], *reversed(records)]) + "\n", encoding="utf-8")


def test_fmt_puts_a_shuffled_table_back_in_order_keeping_every_record(
    package: Path, capsys: pytest.CaptureFixture[str], validate: Callable[..., Outcome]
) -> None:
    ordered = {name: (package / name).read_bytes() for name in (TARGETS, MEASURES)}
    for name in ordered:
        shuffle(package / name)
    assert (package / TARGETS).read_bytes() != ordered[TARGETS]
    assert "sort-order" in validate(package).rules()
    shuffled = files(package)
    descriptor = str(package / "datapackage.json")

    code, out, _ = run_cli(["fmt", "--check", "--package", descriptor], capsys)
    assert code == 1 and TARGETS in out and MEASURES in out
    assert files(package) == shuffled

    code, out, err = run_cli(["fmt", "--package", descriptor], capsys)
    assert code == 0, err
    assert f"reordered {TARGETS}" in out and f"reordered {MEASURES}" in out
    for name, data in ordered.items():  # the records' bytes, moved back where they were
        assert (package / name).read_bytes() == data

    code, out, _ = run_cli(["fmt", "--check", "--package", descriptor], capsys)
    assert code == 0 and "all tables are in order" in out
    assert validate(package).problems == []


def test_fmt_orders_numbers_by_value(package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """exchange_rates is keyed by (currency, year, provider): the year compares as a number."""
    path = package / "resources/exchange_rates.csv"
    before = path.read_bytes()
    shuffle(path)
    code, out, err = run_cli(["fmt", "--package", str(package)], capsys)
    assert code == 0, err
    assert out == "reordered resources/exchange_rates.csv\n"
    assert path.read_bytes() == before


def test_fmt_refuses_a_table_that_is_not_valid_csv(
    package: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shuffle(package / MEASURES)
    with (package / TARGETS).open("a", encoding="utf-8") as handle:
        handle.write('broken,"never closed\n')
    before = files(package)
    code, _, err = run_cli(["fmt", "--package", str(package)], capsys)
    assert code == 2 and f"{TARGETS} line" in err and "not valid CSV" in err
    assert files(package) == before, "no table is written when one cannot be read"


# --------------------------------------------------------------------------------------------
# new-plan through the same path
# --------------------------------------------------------------------------------------------


def _new_source(package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "ceramics.txt"
    text.write_text(SOURCE_TEXT, encoding="utf-8")
    code, _, err = run_cli(
        ["new-source", str(text), "--id", "example-ceramics", "--package", str(package)], capsys
    )
    assert code == 0, err


def _new_plan(
    package: Path, capsys: pytest.CaptureFixture[str], changed: dict[str, str] | None = None
) -> tuple[int, str]:
    options = {
        "--source": "example-ceramics",
        "--id": "example-ceramics-2026",
        "--region": rows_of(package, "regions")[0]["region_id"],
        "--title": "plan",
        "--quote": "The county government released the plan on March 3",
        "--sector": "multi_sector",
        "--document-type": "plan",
        **(changed or {}),
    }
    words = [word for pair in options.items() for word in pair]
    code, _, err = run_cli(["new-plan", *words, "--package", str(package)], capsys)
    return code, err


def test_new_plan_then_its_target_validates(
    package: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    validate: Callable[..., Outcome],
) -> None:
    _new_source(package, tmp_path, capsys)
    code, err = _new_plan(package, capsys)
    assert code == 0, err
    # Until its facts are added, the plan has none: expected, so new-plan did not refuse it.
    assert [(p["file"], p["rule"]) for p in validate(package).problems] == [
        (PLANS, "plan-without-facts")
    ]
    target = {
        "target_id": "example-ceramics-2026-output-value",
        "plan_id": "example-ceramics-2026",
        "target_type": "goal",
        "indicator": "output_value",
        "subject": "output value",
        "value": "5000000000",
        "qualifier": "exactly",
        "unit": "CNY",
        "target_year": "2026",
        "target_year_basis": "quote",
        "source_id": "example-ceramics",
        "quote": "aiming for output value of 5 billion yuan by 2026",
    }
    rows_file = write_rows(tmp_path / "rows.csv", list(target), [target])
    code, out, err = add(package, capsys, "targets", str(rows_file))
    assert code == 0, err
    assert "strive" in out  # left out, so false: and said so
    row = next(r for r in rows_of(package, "targets") if r["target_id"] == target["target_id"])
    assert row["strive"] == "false" and row["fx_basis"] == "unknown"
    assert validate(package).problems == []


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ({"--quote": "The county government issued the plan"}, "--quote"),
        (
            {"--title": "ceramics plan"},  # the gate's own rule: the title is in the quote
            "--title (the title column of resources/plans.csv): name-not-in-quote: ",
        ),
    ],
)
def test_new_plan_is_refused_for_a_quote_or_title_the_gate_rejects(
    package: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    changed: dict[str, str],
    expected: str,
) -> None:
    _new_source(package, tmp_path, capsys)
    before = files(package)
    code, err = _new_plan(package, capsys, changed)
    assert code == 1 and expected in err
    assert files(package) == before


def test_key_order_compares_numbers_as_numbers(tmp_path: Path) -> None:
    """Keys are ordered the way the validator's sort-order rule types them: 9 before 10."""
    from cnplans.datapackage.table_schema import TableSchema
    from cnplans.drafting.scaffold import CsvTable

    schema = TableSchema.from_descriptor(
        {
            "fields": [{"name": "n", "type": "integer"}, {"name": "x", "type": "string"}],
            "primaryKey": ["n"],
        }
    )
    path = tmp_path / "numbers.csv"
    path.write_bytes(b'n,x\n10,"a, quoted"\n\n9,b')
    table = CsvTable.read("numbers", path, "numbers.csv", schema)
    assert not table.in_key_order()
    path.write_bytes(b'n,x\n9,b\n10,"a, quoted"\n')
    ordered = CsvTable.read("numbers", path, "numbers.csv", schema)
    text, lines = ordered.with_rows([{"n": "100", "x": "c"}, {"n": "2", "x": "d"}])
    assert text == 'n,x\n2,"d"\n9,b\n10,"a, quoted"\n100,"c"\n'
    assert lines == [5, 2]
