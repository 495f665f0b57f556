"""What ``cnplans validate`` tells a contributor, beyond where: the fix, as far as it knows it.

A foreign key that does not resolve is told the closest existing id; an empty required cell the
values it may hold; a row out of order the line it belongs before; a quote that is not verbatim
the closest passage of its source, with the words that differ marked. Each test breaks one
thing in a copy of the package, reading the ids and quotes it needs from the copy, and checks
the problem's place (file, line, column name and position) and the key parts of its message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Csv, Outcome, run_cli, start_lines

from cnplans.validation.provenance import (
    EXCERPT_CHARS,
    MARKS,
    closest_passage,
    marked_difference,
    passage_and_marks,
)
from cnplans.validation.rules import SCANNED_IDS, SUGGESTED_LINES, ExistingIds

TARGETS = "resources/targets.csv"
PLANS = "resources/plans.csv"
ANNOTATION = re.compile(r"^::error (?P<props>[^:]*)::(?P<rule>[a-z0-9-]+): (?P<message>.*)$")


@dataclass(frozen=True)
class Found:
    """One problem as both JSON (the column's name) and annotations (its position) give it."""

    file: str
    line: int | None
    column: str | None
    column_number: int | None
    message: str


@pytest.fixture
def problems(
    validate: Callable[..., Outcome], capsys: pytest.CaptureFixture[str]
) -> Callable[[Path, str], list[Found]]:
    """The problems of one rule in a package, with the column's name and its position."""

    def run(folder: Path, rule: str) -> list[Found]:
        outcome = validate(folder)
        assert outcome.code == 1
        records = [p for p in outcome.problems if p["rule"] == rule]
        _, out, _ = run_cli(
            ["validate", str(folder / "datapackage.json"), "--format", "github"], capsys
        )
        columns = []
        for match in filter(None, map(ANNOTATION.match, out.splitlines())):
            if match["rule"] == rule:
                props = dict(part.split("=", 1) for part in match["props"].split(","))
                columns.append(int(props["col"]) if "col" in props else None)
        assert len(columns) == len(records)
        return [
            Found(p["file"], p["line"], p["column"], number, p["message"])
            for p, number in zip(records, columns, strict=True)
        ]

    return run


def _schema_field(package: Path, table: str, name: str) -> dict[str, Any]:
    schema = json.loads((package / f"schemas/{table}.json").read_text(encoding="utf-8"))
    return next(field for field in schema["fields"] if field["name"] == name)


# --- foreign-key: the closest existing id --------------------------------------------------------


def _distinct_plan_id(plans: Csv) -> str:
    """A plan_id no other plan_id begins with once its last character is dropped."""
    ids = plans.column("plan_id")
    return next(i for i in ids if not any(o != i and o.startswith(i[:-1]) for o in ids))


def test_foreign_key_suggests_the_closest_existing_id(
    package: Path, problems: Callable[[Path, str], list[Found]]
) -> None:
    plan_id = _distinct_plan_id(Csv.read(package / PLANS))
    misspelled = plan_id[:-1]
    targets = Csv.read(package / TARGETS)
    row = len(targets.rows) - 1
    targets.set(row, "plan_id", misspelled)
    targets.write()
    [found] = problems(package, "foreign-key")
    line = start_lines(targets.path)[row]
    assert (found.file, found.line, found.column) == (TARGETS, line, "plan_id")
    assert found.column_number == targets.col("plan_id") + 1
    assert found.message == (
        f"plan_id {misspelled!r} is not found in {PLANS} (plan_id); expected the plan_id of a "
        f"row in {PLANS}; did you mean {plan_id!r}?"
    )


def test_foreign_key_suggests_nothing_when_no_id_is_close(
    package: Path, problems: Callable[[Path, str], list[Found]]
) -> None:
    targets = Csv.read(package / TARGETS)
    targets.set(0, "source_id", "qqqqqqqqqqqqqqqqqqqqqqqq")
    targets.write()
    [found] = problems(package, "foreign-key")
    assert (found.file, found.line, found.column) == (
        TARGETS,
        start_lines(targets.path)[0],
        "source_id",
    )
    assert found.message.endswith("expected the source_id of a row in resources/sources.csv")
    assert "did you mean" not in found.message


def _write_package(root: Path, tables: dict[str, tuple[dict[str, object], str]]) -> Path:
    """A package of the given tables (schema, CSV text) in ``root``; returns ``root``."""
    (root / "resources").mkdir(parents=True)
    (root / "schemas").mkdir()
    for name, (schema, text) in tables.items():
        (root / f"schemas/{name}.json").write_text(json.dumps(schema), encoding="utf-8")
        (root / f"resources/{name}.csv").write_text(text, encoding="utf-8")
    resources = [
        {"name": n, "path": f"resources/{n}.csv", "schema": f"schemas/{n}.json"} for n in tables
    ]
    (root / "datapackage.json").write_text(
        json.dumps({"name": "messages", "resources": resources}), encoding="utf-8"
    )
    return root


def test_only_the_first_lines_of_a_key_get_a_suggestion(
    tmp_path: Path, problems: Callable[[Path, str], list[Found]]
) -> None:
    text = {"name": "id", "type": "string", "constraints": {"required": True}}
    parent = {"fields": [text], "primaryKey": ["id"]}
    child = {
        "fields": [text, {"name": "parent", "type": "string"}],
        "primaryKey": ["id"],
        "foreignKeys": [
            {"fields": ["parent"], "reference": {"resource": "parent", "fields": ["id"]}}
        ],
    }
    rows = SUGGESTED_LINES + 5
    child_csv = "id,parent\n" + "".join(f"c{i:03d},alpha-bet\n" for i in range(rows))
    root = _write_package(
        tmp_path / "pkg",
        {"parent": (parent, "id\nalphabet\nzeta\n"), "child": (child, child_csv)},
    )
    found = problems(root, "foreign-key")
    assert [(f.file, f.line, f.column, f.column_number) for f in found] == [
        ("resources/child.csv", line, "parent", 2) for line in range(2, rows + 2)
    ]
    told = [f.message.endswith("; did you mean 'alphabet'?") for f in found]
    assert told == [True] * SUGGESTED_LINES + [False] * (rows - SUGGESTED_LINES)


def test_a_large_table_is_narrowed_before_it_is_compared() -> None:
    import pandas as pd

    count = 20 * SCANNED_IDS
    ids = [f"p-{i:07d}" for i in range(count, 0, -1)] + [f"q-{i:07d}" for i in range(50)]
    existing = ExistingIds(pd.Series(ids, dtype="string[pyarrow]"))
    assert len(existing.candidates("p-0012345x")) == SCANNED_IDS
    assert existing.closest("p-0012345x") == "p-0012345"  # its neighbours in sorted order
    assert existing.candidates("q-000001") == [f"q-{i:07d}" for i in range(50)]  # one prefix
    assert existing.closest("q-0000004x") == "q-0000004"
    assert existing.closest("zzzz") is None  # no id starts like it: nothing compared


# --- required: the values the cell may hold ------------------------------------------------------


@pytest.mark.parametrize("column", ["qualifier", "strive", "subject"])
def test_an_empty_required_cell_is_told_what_it_may_hold(
    package: Path, problems: Callable[[Path, str], list[Found]], column: str
) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("value_max", lambda v: v == "")
    targets.set(row, column, "")
    targets.write()
    [found] = problems(package, "required")
    line = start_lines(targets.path)[row]
    assert (found.file, found.line, found.column) == (TARGETS, line, column)
    assert found.column_number == targets.col(column) + 1
    field = _schema_field(package, "targets", column)
    enum = field.get("constraints", {}).get("enum")
    if enum:
        expected = f"expected one of: {', '.join(enum)};"
    elif field["type"] == "boolean":
        expected = "expected true or false;"
    else:
        expected = "expected a value,"
    assert found.message == f"{column} is required; {expected} found an empty cell"


def test_the_qualifier_lists_its_values_in_the_schemas_order(
    package: Path, problems: Callable[[Path, str], list[Found]]
) -> None:
    targets = Csv.read(package / TARGETS)
    targets.set(0, "qualifier", "")
    targets.write()
    [found] = problems(package, "required")
    enum = _schema_field(package, "targets", "qualifier")["constraints"]["enum"]
    assert "exactly" in enum and "range" in enum
    assert f"expected one of: {', '.join(enum)}; found an empty cell" in found.message


# --- sort-order: the line the row belongs before --------------------------------------------------


def test_a_row_out_of_order_is_told_the_line_it_belongs_before(
    package: Path, problems: Callable[[Path, str], list[Found]]
) -> None:
    targets = Csv.read(package / TARGETS)
    middle = len(targets.rows) // 2
    targets.rows.append(targets.rows.pop(middle))  # the middle row moved to the end
    targets.write()
    [found] = problems(package, "sort-order")
    lines = start_lines(targets.path)
    moved, after = targets.get(len(targets.rows) - 1, "target_id"), targets.get(middle, "target_id")
    assert (found.file, found.line, found.column) == (TARGETS, lines[-1], "target_id")
    assert found.column_number == targets.col("target_id") + 1
    assert found.message == (
        f"target_id {moved!r} is out of order: expected the rows in target_id order, so it belongs "
        f"before line {lines[middle]} (target_id {after!r}); run `cnplans fmt` to put every "
        "table in order"
    )


def test_a_composite_key_names_each_column(
    package: Path, problems: Callable[[Path, str], list[Found]]
) -> None:
    table = Csv.read(package / "resources/cluster_regions.csv")
    cluster = table.col("cluster_id")
    index = next(
        i
        for i in range(len(table.rows) - 1)
        if table.rows[i][cluster] == table.rows[i + 1][cluster]
    )
    table.rows[index], table.rows[index + 1] = table.rows[index + 1], table.rows[index]
    table.write()
    [found] = problems(package, "sort-order")
    lines = start_lines(table.path)
    assert (found.file, found.line, found.column, found.column_number) == (
        "resources/cluster_regions.csv",
        lines[index + 1],
        "cluster_id",
        cluster + 1,
    )

    def key(row: int) -> str:
        cluster_id, region_id = table.get(row, "cluster_id"), table.get(row, "region_id")
        return f"cluster_id {cluster_id!r}, region_id {region_id!r}"

    assert found.message.startswith(
        f"{key(index + 1)} is out of order: expected the rows in cluster_id, region_id order, "
        f"so it belongs before line {lines[index]} ({key(index)}); run `cnplans fmt`"
    )


def test_the_line_it_belongs_before_follows_the_typed_order(
    tmp_path: Path, problems: Callable[[Path, str], list[Found]]
) -> None:
    schema = {"fields": [{"name": "n", "type": "integer"}], "primaryKey": ["n"]}
    # As numbers 3 belongs before 10 (line 3); as text "3" would sort after "10" and "2".
    root = _write_package(tmp_path / "pkg", {"numbers": (schema, "n\n2\n10\n3\n11\n")})
    [found] = problems(root, "sort-order")
    assert (found.file, found.line, found.column, found.column_number) == (
        "resources/numbers.csv",
        4,
        "n",
        1,
    )
    assert "n '3' is out of order" in found.message
    assert "so it belongs before line 3 (n '10')" in found.message


# --- quote-not-in-source: the closest passage, the differing words marked -------------------------


def test_a_quote_that_is_not_verbatim_shows_the_differing_words(
    package: Path, problems: Callable[[Path, str], list[Found]]
) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("quote", lambda q: len(q.split()) >= 8)
    words = targets.get(row, "quote").split()
    middle = len(words) // 2
    replaced, words[middle] = words[middle], "unicorns"
    targets.set(row, "quote", " ".join(words))
    targets.write()
    [found] = problems(package, "quote-not-in-source")
    line = start_lines(targets.path)[row]
    assert (found.file, found.line, found.column) == (TARGETS, line, "quote")
    assert found.column_number == targets.col("quote") + 1
    passage = re.search("the closest passage in the source is: “(.*)”; ", found.message)
    assert passage is not None and "unicorns" not in passage.group(1)
    marks = found.message.split(f"the quote differs from it here ({MARKS}): ", 1)
    assert len(marks) == 2, found.message
    assert MARKS == "words in [- -] are the source's, in {+ +} the quote's"
    assert f"[-{replaced}-] {{+unicorns+}}" in marks[1]
    assert marks[1].count("[-") == 1 and marks[1].count("{+") == 1  # only that word differs
    before = " ".join(words[max(0, middle - 2) : middle])
    assert f"{before} [-{replaced}-]" in marks[1]  # with the words around it
    assert len(found.message) < 2 * EXCERPT_CHARS + 300


def test_the_text_format_prints_the_marks_on_the_problems_line(
    package: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("quote", lambda q: " the " in q)
    targets.set(row, "quote", targets.get(row, "quote").replace(" the ", " a ", 1))
    targets.write()
    code, out, _ = run_cli(["validate", str(package / "datapackage.json")], capsys)
    assert code == 1
    prefix = f"{TARGETS}:{start_lines(targets.path)[row]}:quote: quote-not-in-source: "
    [printed] = [line for line in out.splitlines() if line.startswith(prefix)]
    assert f"({MARKS}): " in printed
    assert "[-the-] {+a+}" in printed


def test_marked_difference_marks_words() -> None:
    passage = "The plan aims to promote the construction of a new materials industry system."
    quote = "The plan aims to promote the building of a new materials industry system."
    assert marked_difference(passage, quote) == (
        "... aims to promote the [-construction-] {+building+} of a new materials ..."
    )
    assert marked_difference(passage, passage) == passage  # nothing to mark
    assert marked_difference("a b c d", "a b x d") == "a b [-c-] {+x+} d"
    assert marked_difference("a b c", "a b c d") == "a b c {+d+}"


def test_marked_difference_leaves_out_the_passages_words_beyond_the_quote() -> None:
    text = "earlier words. The plan outlines 15 key measures for new materials. Later words."
    quote = "The plan outlines 16 key measures"
    passage, marks = passage_and_marks(text, quote)
    assert passage == closest_passage(text, quote)
    assert marks == "The plan outlines [-15-] {+16+} key measures"


def test_marked_difference_compares_chinese_character_by_character() -> None:
    passage = "到2025年，全省电子信息制造业营业收入突破3000亿元，年均增长15%左右。"
    quote = "到2025年，全省电子信息制造业营业收入超过3000亿元，年均增长15%左右。"
    assert marked_difference(passage, quote) == "...息制造业营业收入[-突破-]{+超过+}3000亿元，年..."


def test_marked_difference_is_bounded() -> None:
    passage = " ".join(f"word{i}" for i in range(400))
    quote = " ".join(f"word{i}" if i % 3 else f"other{i}" for i in range(400))
    marks = marked_difference(passage, quote)
    assert len(marks) <= EXCERPT_CHARS + 10 and marks.endswith("...")
    assert marks.startswith("[-word0-] {+other0+} word1 word2 [-word3-] {+other3+}")
    long_change = marked_difference("a " + "b" * 1000 + " c", "a " + "x" * 1000 + " c")
    assert len(long_change) <= EXCERPT_CHARS + 10
    assert long_change.startswith("a [-bbb") and "-] {+xxx" in long_change
