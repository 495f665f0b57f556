"""Hand-written rules: ranges, years, keys, facts per plan, formulas, quotes and sources."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, Csv, Outcome, start_lines

from cnplans.datapackage.table_schema import TableSchema
from cnplans.validation.provenance import closest_passage, normalize_whitespace

TARGETS = "resources/targets.csv"


def test_the_real_package_has_none_of_these_problems(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    outcome = validate(package)
    # Optional foreign keys (targets.project_id, regions.parent_id) are mostly empty: fine.
    assert outcome.problems == [], outcome.problems


def test_value_max_below_value(package: Path, validate: Callable[..., Outcome]) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("value", lambda v: float(v) > 1)
    targets.set(row, "qualifier", "range")
    targets.set(row, "value_max", "1")
    targets.write()
    outcome = validate(package)
    assert outcome.of("value-range") == [(TARGETS, start_lines(targets.path)[row], "value_max")]
    assert "range-qualifier" not in outcome.rules()


def test_range_qualifier_without_value_max(package: Path, validate: Callable[..., Outcome]) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("value_max", lambda v: v == "")
    targets.set(row, "qualifier", "range")
    targets.write()
    outcome = validate(package)
    assert outcome.of("range-qualifier") == [(TARGETS, start_lines(targets.path)[row], "value_max")]


def test_value_max_without_range_qualifier(package: Path, validate: Callable[..., Outcome]) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("qualifier", lambda v: v != "range")
    targets.set(row, "value_max", targets.get(row, "value"))
    targets.write()
    outcome = validate(package)
    assert outcome.of("range-qualifier") == [(TARGETS, start_lines(targets.path)[row], "qualifier")]


def test_target_year_before_the_plan_was_issued(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    targets = Csv.read(package / TARGETS)
    row = 0
    plan_id = targets.get(row, "plan_id")
    plans = Csv.read(package / "resources/plans.csv")
    plans.set(plans.find("plan_id", lambda v: v == plan_id), "issued", "1951-03")
    plans.write()
    targets.set(row, "target_year", "1950")
    targets.write()
    outcome = validate(package)
    assert outcome.of("target-year") == [(TARGETS, start_lines(targets.path)[row], "target_year")]
    message = next(p["message"] for p in outcome.problems if p["rule"] == "target-year")
    assert "1951" in message and "1950" in message


def test_target_year_in_the_issue_year_is_fine(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    targets = Csv.read(package / TARGETS)
    plan_id = targets.get(0, "plan_id")
    plans = Csv.read(package / "resources/plans.csv")
    plans.set(plans.find("plan_id", lambda v: v == plan_id), "issued", "1950")
    plans.write()
    targets.set(0, "target_year", "1950")
    targets.write()
    assert "target-year" not in validate(package).rules()


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("targets", "plan_id", "no-such-plan"),
        ("targets", "project_id", "no-such-project"),
        ("cluster_regions", "region_id", "999999"),
        ("regions", "parent_id", "999999"),  # a key into its own table
        ("plans", "source_id", "no-such-source"),
    ],
)
def test_foreign_key_that_does_not_resolve(
    package: Path, validate: Callable[..., Outcome], table: str, column: str, value: str
) -> None:
    data = Csv.read(package / f"resources/{table}.csv")
    row = len(data.rows) - 1
    data.set(row, column, value)
    data.write()
    outcome = validate(package)
    file = f"resources/{table}.csv"
    assert outcome.of("foreign-key") == [(file, start_lines(data.path)[row], column)]
    message = next(p["message"] for p in outcome.problems if p["rule"] == "foreign-key")
    assert repr(value) in message and "expected" in message


def test_composite_foreign_key(tmp_path: Path, validate: Callable[..., Outcome]) -> None:
    root = tmp_path / "composite"
    (root / "resources").mkdir(parents=True)
    (root / "schemas").mkdir()
    text = {"name": "a", "type": "string", "constraints": {"required": True}}
    parent = {"fields": [text, {**text, "name": "b"}], "primaryKey": ["a", "b"]}
    child = {
        "fields": [
            {**text, "name": "id"},
            {"name": "a", "type": "string"},
            {"name": "b", "type": "string"},
        ],
        "primaryKey": ["id"],
        "foreignKeys": [
            {"fields": ["a", "b"], "reference": {"resource": "parent", "fields": ["a", "b"]}}
        ],
    }
    (root / "schemas/parent.json").write_text(json.dumps(parent), encoding="utf-8")
    (root / "schemas/child.json").write_text(json.dumps(child), encoding="utf-8")
    (root / "resources/parent.csv").write_text("a,b\nx,1\nx,2\ny,1\n", encoding="utf-8")
    (root / "resources/child.csv").write_text(
        "id,a,b\nc1,x,1\nc2,y,2\nc3,,2\nc4,y,1\n", encoding="utf-8"
    )
    resources = [
        {"name": n, "path": f"resources/{n}.csv", "schema": f"schemas/{n}.json"}
        for n in ("parent", "child")
    ]
    (root / "datapackage.json").write_text(
        json.dumps({"name": "composite", "resources": resources}), encoding="utf-8"
    )
    outcome = validate(root)
    # (y, 2) is no parent row; (empty, 2) is an optional key left out.
    assert outcome.problems and outcome.of("foreign-key") == [("resources/child.csv", 3, "a")]
    assert outcome.code == 1


def test_plan_without_targets_or_measures(package: Path, validate: Callable[..., Outcome]) -> None:
    plans = Csv.read(package / "resources/plans.csv")
    lonely = list(plans.rows[-1])
    lonely[plans.col("plan_id")] = "zz-plan-without-facts"
    plans.rows.append(lonely)
    plans.write()
    outcome = validate(package)
    line = start_lines(plans.path)[-1]
    assert outcome.of("plan-without-facts") == [("resources/plans.csv", line, "plan_id")]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formula_injection(package: Path, validate: Callable[..., Outcome], start: str) -> None:
    targets = Csv.read(package / TARGETS)
    targets.set(2, "notes", f"{start}SUM(A1:A9)")
    targets.write()
    outcome = validate(package)
    assert outcome.of("formula-injection") == [(TARGETS, start_lines(targets.path)[2], "notes")]


def test_negative_numbers_are_not_formulas(package: Path, validate: Callable[..., Outcome]) -> None:
    targets = Csv.read(package / TARGETS)
    targets.set(2, "value", "-3")
    targets.write()
    outcome = validate(package)
    assert "formula-injection" not in outcome.rules()
    assert outcome.of("minimum") == [(TARGETS, start_lines(targets.path)[2], "value")]


def test_quote_not_in_source_shows_the_closest_passage(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    targets = Csv.read(package / TARGETS)
    original = targets.get(4, "quote")
    words = original.split()
    assert len(words) >= 4, "the test needs a quote of a few words"
    words[len(words) // 2] = "unicorns"
    targets.set(4, "quote", " ".join(words))
    targets.write()
    outcome = validate(package)
    assert outcome.of("quote-not-in-source") == [(TARGETS, start_lines(targets.path)[4], "quote")]
    message = next(p["message"] for p in outcome.problems if p["rule"] == "quote-not-in-source")
    passage = re.search("“(.*)”", message)
    assert passage is not None
    assert words[0] in passage.group(1) and "unicorns" not in passage.group(1)


def test_quote_whitespace_may_differ_but_nothing_else(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    targets = Csv.read(package / TARGETS)
    targets.set(1, "quote", "  " + targets.get(1, "quote").replace(" ", " \n\t ") + "\n")
    targets.set(2, "quote", targets.get(2, "quote").upper())
    targets.write()
    outcome = validate(package)
    assert outcome.of("quote-not-in-source") == [(TARGETS, start_lines(targets.path)[2], "quote")]


def test_closest_passage_and_whitespace_normalization() -> None:
    text = normalize_whitespace("The plan  outlines\n15 key\tmeasures for new materials.")
    assert text == "The plan outlines 15 key measures for new materials."
    assert closest_passage(text, "outlines 16 key measures") == "outlines 15 key measures"


def _source_row(package: Path) -> tuple[Csv, int, Path]:
    sources = Csv.read(package / "resources/sources.csv")
    row = 1
    return sources, row, package / sources.get(row, "path")


def test_source_file_changed_since_it_was_hashed(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    sources, row, file = _source_row(package)
    file.write_bytes(file.read_bytes() + b"\nappended")
    outcome = validate(package)
    line = start_lines(sources.path)[row]
    assert outcome.of("source-hash") == [("resources/sources.csv", line, "sha256")]


def test_source_path_must_follow_the_source_id(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    sources, row, file = _source_row(package)
    renamed = file.with_name("renamed.txt")
    file.rename(renamed)
    sources.set(row, "path", "sources/renamed.txt")
    sources.write()
    outcome = validate(package)
    line = start_lines(sources.path)[row]
    assert outcome.of("source-path") == [("resources/sources.csv", line, "path")]
    assert "source-hash" not in outcome.rules() and "quote-not-in-source" not in outcome.rules()


def test_missing_source_file(package: Path, validate: Callable[..., Outcome]) -> None:
    sources, row, file = _source_row(package)
    file.unlink()
    outcome = validate(package)
    line = start_lines(sources.path)[row]
    assert outcome.of("missing-file") == [("resources/sources.csv", line, "path")]
    assert "quote-not-in-source" not in outcome.rules()  # nothing to compare against


def test_source_file_that_is_not_utf8(package: Path, validate: Callable[..., Outcome]) -> None:
    sources, row, file = _source_row(package)
    data = file.read_bytes()
    file.write_bytes(data + b"\n\xff\xfe")
    outcome = validate(package)
    relative = sources.get(row, "path")
    assert outcome.of("encoding") == [(relative, data.count(b"\n") + 2, None)]


def test_unsafe_source_path_is_never_read(package: Path, validate: Callable[..., Outcome]) -> None:
    sources, row, _ = _source_row(package)
    sources.set(row, "path", "../outside.txt")
    sources.write()
    (package.parent / "outside.txt").write_text("secret", encoding="utf-8")
    outcome = validate(package)
    line = start_lines(sources.path)[row]
    assert ("resources/sources.csv", line, "path") in outcome.of("unsafe-path")
    assert ("resources/sources.csv", line, "path") in outcome.of("pattern")


def test_fields_shared_by_tables_are_declared_alike() -> None:
    """A field name used by several schemas means one thing: same type, format, constraints.

    ``required`` and ``unique`` may differ (a key is unique in its own table only), and so may
    titles and descriptions.
    """
    seen: dict[str, tuple[str, tuple[str, str, str]]] = {}
    shared = 0
    for path in sorted((REPO / "schemas").glob("*.json")):
        for field in TableSchema.from_path(path).fields:
            constraints = {
                k: v for k, v in field.constraints.items() if k not in ("required", "unique")
            }
            signature = (field.type, field.format, json.dumps(constraints, sort_keys=True))
            if field.name in seen:
                shared += 1
                first_file, first = seen[field.name]
                assert signature == first, (
                    f"{field.name} in {path.name} is declared {signature}, "
                    f"but in {first_file} {first}"
                )
            else:
                seen[field.name] = (path.name, signature)
    assert shared > 10  # plan_id, source_id, quote, notes ... are shared
