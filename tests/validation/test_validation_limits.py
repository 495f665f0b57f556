"""Files and descriptors that used to crash a check or hang: each is a located problem now."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Csv, Outcome, run_cli

from cnplans.validation import reading


def descriptor_lines(package: Path) -> list[str]:
    return (package / "datapackage.json").read_text(encoding="utf-8").splitlines()


def test_a_symlink_loop_is_an_unsafe_path(package: Path, validate: Callable[..., Outcome]) -> None:
    os.symlink("loop.csv", package / "resources" / "loop.csv")
    data = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    data["resources"][-1]["path"] = "resources/loop.csv"
    (package / "datapackage.json").write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    outcome = validate(package)
    line = next(
        n for n, t in enumerate(descriptor_lines(package), 1) if '"resources/loop.csv"' in t
    )
    assert ("datapackage.json", line, None) in outcome.of("unsafe-path")
    assert "symlink loop" in outcome.problems[0]["message"]
    assert not outcome.document.get("crashed_checks")


def test_a_source_text_that_is_a_symlink_loop(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    sources = Csv.read(package / "resources/sources.csv")
    text = package / sources.get(0, "path")
    text.unlink()
    os.symlink(text.name, text)
    outcome = validate(package)
    assert ("resources/sources.csv", 2, "path") in outcome.of("unsafe-path")
    assert not outcome.document.get("crashed_checks")


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (
            lambda t: t.replace("{", '{"x": ' + "[" * 3000 + "]" * 3000 + ",", 1),
            "more than 64 deep",
        ),
        (
            lambda t: t.replace(
                '"schema": "schemas/targets.json"',
                '"schema": "schemas/targets.json", "schema": {"fields": []}',
                1,
            ),
            "gives the key 'schema' twice in one object",
        ),
    ],
)
def test_a_descriptor_too_deep_or_with_a_key_twice(
    package: Path, capsys: pytest.CaptureFixture[str], edit: Callable[[str], str], words: str
) -> None:
    path = package / "datapackage.json"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    code, _out, err = run_cli(["validate", str(path)], capsys)
    assert code == 2 and words in err and err.count("\n") == 1


def test_a_schema_with_a_key_twice_is_located(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    path = package / "schemas" / "plans.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('"name": "plan_id",', '"name": "plan_id", "name": "x",', 1), "utf-8"
    )
    outcome = validate(package)
    (problem,) = [p for p in outcome.problems if p["file"] == "schemas/plans.json"]
    assert problem["rule"] == "descriptor"
    assert "gives the key 'name' twice in one object" in problem["message"]


def test_a_composite_key_column_removed_is_a_header_problem(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    table = Csv.read(package / "resources/cluster_regions.csv")
    drop = table.col("region_id")
    table.header.pop(drop)
    for row in table.rows:
        row.pop(drop)
    table.write()
    outcome = validate(package)
    assert outcome.of("missing-column") == [("resources/cluster_regions.csv", 1, "region_id")]
    assert not outcome.document.get("crashed_checks")


def test_two_resources_naming_one_file(package: Path, validate: Callable[..., Outcome]) -> None:
    data = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    first, second = data["resources"][0], data["resources"][1]
    second["path"] = first["path"]
    (package / "datapackage.json").write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    outcome = validate(package)
    problem = next(p for p in outcome.problems if p["rule"] == "unsafe-path")
    assert problem["file"] == "datapackage.json"
    assert f"resource {first['name']!r} names this file too" in problem["message"]


def test_a_fifo_resource_is_named_and_never_opened(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    (package / "resources" / "projects.csv").unlink()
    os.mkfifo(package / "resources" / "projects.csv")
    outcome = validate(package)
    assert outcome.of("unreadable-file") == [("resources/projects.csv", None, None)]
    assert "a FIFO (named pipe)" in outcome.in_file("resources/projects.csv")[0]["message"]


def test_a_row_longer_than_the_reader_takes(
    package: Path, validate: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "MAX_ROW_BYTES", 10_000)
    targets = Csv.read(package / "resources/targets.csv")
    targets.set(1, "notes", "x" * 20_000)
    targets.write()
    outcome = validate(package)
    assert outcome.of("row-too-large") == [("resources/targets.csv", 3, None)]


def test_a_header_wider_than_any_schema(
    package: Path, validate: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "MAX_COLUMNS", 30)
    targets = Csv.read(package / "resources/targets.csv")
    targets.header += [f"c{i}" for i in range(40)]
    for row in targets.rows:
        row += [""] * 40
    targets.write()
    outcome = validate(package)
    problems = [p for p in outcome.in_file("resources/targets.csv") if p["rule"] == "header"]
    assert [(p["line"], p["column"]) for p in problems] == [(1, None)]
    assert "more than the limit of 30" in problems[0]["message"]


def test_a_long_quote_not_in_the_source_is_not_searched_for(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    targets = Csv.read(package / "resources/targets.csv")
    targets.set(0, "quote", "zq " * 30_000)
    targets.write()
    outcome = validate(package)
    (problem,) = [p for p in outcome.problems if p["rule"] == "quote-not-in-source"]
    assert "more than the 1,000 a closest passage is looked for" in problem["message"]


@pytest.mark.parametrize("size", ["inf", "nan", "-1", "0", "1e12"])
def test_a_file_size_limit_that_is_no_size(
    package: Path, capsys: pytest.CaptureFixture[str], size: str
) -> None:
    code, _out, err = run_cli(
        ["validate", str(package / "datapackage.json"), "--max-file-size-mb", size], capsys
    )
    assert code == 2 and "--max-file-size-mb must be a positive number" in err


def test_a_misplaced_quote_names_the_line_its_cell_starts_on() -> None:
    data = b'id,note\n1,"fine"\n2,"opened here\nstill inside\nclosed"too early\n3,x\n'
    text, problems = reading.parse_csv_bytes(data, "t.csv")
    assert text is None
    (problem,) = problems
    assert (problem.rule, problem.line) == ("csv-syntax", 5)
    assert "the quoted cell starts on line 3" in problem.message


@pytest.mark.parametrize(
    ("table", "column"),
    [
        (table, column)
        for table, columns in {
            "sources": ("source_id", "path", "sha256", "published", "dateline"),
            "plans": ("plan_id", "issued", "quote", "source_id", "region_id"),
            "targets": ("target_id", "plan_id", "source_id", "quote", "value", "unit", "usd"),
            "regions": ("region_id", "parent_id"),
            "cluster_regions": ("cluster_id", "region_id", "basis"),
            "clusters": ("cluster_id", "plan_id", "name"),
            "exchange_rates": ("currency", "year"),
        }.items()
        for column in columns
    ],
)
def test_a_key_column_missing_from_its_file_stops_no_check(
    package: Path, validate: Callable[..., Outcome], table: str, column: str
) -> None:
    """The header problem is reported; the checks that need the column skip it."""
    import csv

    path = package / "resources" / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    position = rows[0].index(column)
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows(
            [cell for i, cell in enumerate(row) if i != position] for row in rows
        )
    outcome = validate(package)
    assert (f"resources/{table}.csv", 1, column) in outcome.of("missing-column")
    assert not outcome.document.get("crashed_checks")
