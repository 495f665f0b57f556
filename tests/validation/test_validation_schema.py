"""The Table Schema -> dtype/pandera converter, and the constraint problems it reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest
from conftest import REPO, Csv, Outcome, start_lines

from cnplans.datapackage.table_schema import PANDAS_DTYPES, Field, TableSchema
from cnplans.validation.conversion import PARSERS, convert_column
from cnplans.validation.pandera_schema import build_schema

TARGETS = "resources/targets.csv"

# Table Schema type -> (a valid cell, its value, an invalid cell).
SAMPLES: dict[str, tuple[str, object, str]] = {
    "string": ("any text", "any text", ""),
    "integer": ("-42", -42, "4.5"),
    "year": ("2025", 2025, "25"),
    "number": ("1.5e3", 1500.0, "1,500"),
    "boolean": ("true", True, "yes"),
    "date": ("2024-11-12", pd.Timestamp("2024-11-12"), "2024-02-30"),
    "datetime": ("2024-11-12T09:30:00Z", pd.Timestamp("2024-11-12T09:30:00"), "12/11/2024"),
}


def test_every_type_of_the_type_map_has_a_parser_and_a_sample() -> None:
    assert set(PARSERS) == set(PANDAS_DTYPES)
    assert set(SAMPLES) == set(PANDAS_DTYPES)


@pytest.mark.parametrize("type_name", sorted(PANDAS_DTYPES))
def test_each_type_converts_to_the_type_maps_dtype(type_name: str) -> None:
    field = Field("f", type_name)
    good, value, bad = SAMPLES[type_name]
    text = pd.Series([good, "", bad], index=[2, 3, 4], dtype="str")
    converted = convert_column(text, field, [""])
    assert converted.values.dtype == pd.Series([], dtype=PANDAS_DTYPES[type_name]).dtype
    assert converted.values.dtype == field.pandas_dtype()
    assert converted.values.loc[2] == value
    assert pd.isna(converted.values.loc[3])
    # An invalid cell is NA and flagged; strings accept anything, so nothing fails there.
    assert list(converted.failed) == [False, False, type_name != "string"]


def test_enum_converts_to_the_schema_ordered_category_and_flags_outsiders() -> None:
    field = Field("unit", "string", constraints={"enum": ["CNY", "USD"]})
    text = pd.Series(["USD", "RMB", ""], dtype="str")
    converted = convert_column(text, field, [""])
    assert converted.values.dtype == field.pandas_dtype()
    assert list(converted.values.cat.categories) == ["CNY", "USD"]
    assert converted.values.iloc[0] == "USD" and converted.values.isna().tolist()[1:] == [
        True,
        True,
    ]
    assert list(converted.failed) == [False, True, False]


def test_pandera_schema_of_every_real_table_uses_the_type_map() -> None:
    for schema_file in sorted((REPO / "schemas").glob("*.json")):
        schema = TableSchema.from_path(schema_file)
        built = build_schema(schema)
        assert list(built.columns) == schema.field_names
        for field in schema.fields:
            column = built.columns[field.name]
            assert str(column.dtype) == str(
                pa.engines.pandas_engine.Engine.dtype(field.pandas_dtype())
            )
            assert column.nullable == (not (field.required or field.name in schema.primary_key))
            assert column.unique == (
                bool(field.constraints.get("unique")) or schema.primary_key == [field.name]
            )


def _schema(fields: list[dict[str, object]], primary_key: list[str]) -> TableSchema:
    return TableSchema.from_descriptor({"fields": fields, "primaryKey": primary_key})


def test_constraints_become_checks() -> None:
    schema = _schema(
        [
            {"name": "id", "type": "string", "constraints": {"pattern": "^[a-z]+$"}},
            {"name": "n", "type": "integer", "constraints": {"minimum": 1, "maximum": 9}},
            {"name": "s", "type": "string", "constraints": {"minLength": 2, "maxLength": 3}},
            {"name": "e", "type": "string", "constraints": {"enum": ["a", "b"]}},
        ],
        ["id"],
    )
    built = build_schema(schema)
    frame = pd.DataFrame(
        {
            "id": pd.array(["ok", "Bad", "ok"], dtype="string"),
            "n": pd.array([0, 5, 10], dtype="Int64"),
            "s": pd.array(["x", "xx", "xxxx"], dtype="string"),
            "e": pd.Categorical(["a", "b", "a"], categories=["a", "b"]),
        },
        index=[2, 3, 4],
    )
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        built.validate(frame, lazy=True)
    failures = {
        (row.column, row.index)
        for row in caught.value.failure_cases.itertuples()
        if row.index is not None
    }
    assert failures == {("id", 3), ("id", 4), ("n", 2), ("n", 4), ("s", 2), ("s", 4)}


def test_composite_primary_key_becomes_frame_uniqueness() -> None:
    schema = _schema([{"name": "a", "type": "string"}, {"name": "b", "type": "string"}], ["a", "b"])
    built = build_schema(schema)
    assert built.unique == ["a", "b"]
    frame = pd.DataFrame(
        {
            "a": pd.array(["x", "x", "x"], dtype="string"),
            "b": pd.array(["1", "2", "1"], dtype="string"),
        },
        index=[2, 3, 4],
    )
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        built.validate(frame, lazy=True)
    assert set(caught.value.failure_cases["index"]) == {4}


# --- constraint problems reported on the real package ------------------------------------


def _break(package: Path, table: str, column: str, value: str, row: int = 3) -> tuple[str, int]:
    """Set one cell of ``table``'s data row ``row``; return (file, physical line)."""
    data = Csv.read(package / f"resources/{table}.csv")
    data.set(row, column, value)
    data.write()
    return f"resources/{table}.csv", start_lines(data.path)[row]


@pytest.mark.parametrize(
    ("table", "column", "value", "rule"),
    [
        ("targets", "value", "abc", "type"),
        ("targets", "value", "1,5", "type"),
        ("measures", "ordinal", "2.5", "type"),
        ("plans", "period_start", "20", "type"),
        ("targets", "subject", "", "required"),
        ("plans", "region_id", "14000", "pattern"),
        ("targets", "unit", "RMB", "enum"),
        ("targets", "value", "-5", "minimum"),
        ("targets", "target_year", "2101", "maximum"),
        ("targets", "quote", "ab", "min-length"),
    ],
)
def test_constraint_problem_at_its_line_and_column(
    package: Path,
    validate: Callable[..., Outcome],
    table: str,
    column: str,
    value: str,
    rule: str,
) -> None:
    file, line = _break(package, table, column, value)
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of(rule) == [(file, line, column)]
    message = next(p["message"] for p in outcome.problems if p["rule"] == rule)
    assert "expected" in message
    if value:
        assert repr(value) in message  # the message shows what was found


def test_unparsable_required_cell_is_one_type_problem_not_also_required(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    file, line = _break(package, "targets", "value", "lots")
    outcome = validate(package)
    assert [
        (p["rule"], p["column"])
        for p in outcome.problems
        if p["line"] == line and p["file"] == file
    ] == [("type", "value")]


def test_duplicate_primary_key(package: Path, validate: Callable[..., Outcome]) -> None:
    targets = Csv.read(package / TARGETS)
    targets.set(4, "target_id", targets.get(3, "target_id"))
    targets.write()
    lines = start_lines(targets.path)
    outcome = validate(package)
    assert outcome.of("primary-key") == [(TARGETS, lines[4], "target_id")]
    message = next(p["message"] for p in outcome.problems if p["rule"] == "primary-key")
    assert f"first on line {lines[3]}" in message


def test_duplicate_composite_primary_key(package: Path, validate: Callable[..., Outcome]) -> None:
    table = Csv.read(package / "resources/cluster_regions.csv")
    table.rows.insert(3, list(table.rows[2]))
    table.write()
    lines = start_lines(table.path)
    outcome = validate(package)
    assert outcome.of("primary-key") == [("resources/cluster_regions.csv", lines[3], "cluster_id")]
    assert "sort-order" not in outcome.rules()  # equal keys are not out of order


def test_unique_constraint_outside_the_primary_key(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    schema_path = package / "schemas/sources.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    for field in schema["fields"]:
        if field["name"] == "language":
            field["constraints"]["unique"] = True
    schema_path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    sources = Csv.read(package / "resources/sources.csv")
    languages = [row[sources.col("language")] for row in sources.rows]
    assert len(set(languages)) < len(languages), "the real sources share a language"
    second = next(i for i, lang in enumerate(languages) if lang in languages[:i])
    first = languages.index(languages[second])
    lines = start_lines(sources.path)
    outcome = validate(package)
    unique = [p for p in outcome.problems if p["rule"] == "unique"]
    assert (unique[0]["file"], unique[0]["line"], unique[0]["column"]) == (
        "resources/sources.csv",
        lines[second],
        "language",
    )
    assert f"first on line {lines[first]}" in unique[0]["message"]


def test_a_check_that_cannot_run_is_a_problem_not_a_crash() -> None:
    from cnplans.validation.context import Table
    from cnplans.validation.conversion import convert_table
    from cnplans.validation.rows import _checks_that_could_not_run, _pandera_failures

    # Frictionless refuses minLength on an integer field; the API must still not crash.
    schema = _schema([{"name": "n", "type": "integer", "constraints": {"minLength": 2}}], [])
    raw = pd.DataFrame({"n": pd.Series(["1", "22"], dtype="str")}, index=[2, 3])
    frame, unparsed = convert_table(raw, schema)
    table = Table("t", "t.csv", schema, ["n"], raw, frame, unparsed)
    failures = _pandera_failures(table)
    problems = list(_checks_that_could_not_run(table, failures[failures["index"].isna()]))
    assert [(p.file, p.line, p.column, p.rule) for p in problems] == [
        ("t.csv", None, "n", "constraint-error")
    ]


def test_max_length_constraint(package: Path, validate: Callable[..., Outcome]) -> None:
    schema_path = package / "schemas/plans.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    next(f for f in schema["fields"] if f["name"] == "title")["constraints"]["maxLength"] = 12
    schema_path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    plans = Csv.read(package / "resources/plans.csv")
    long_titles = [i for i, row in enumerate(plans.rows) if len(row[plans.col("title")]) > 12]
    assert long_titles, "the real plans have titles longer than 12 characters"
    lines = start_lines(plans.path)
    outcome = validate(package)
    assert outcome.of("max-length") == [
        ("resources/plans.csv", lines[i], "title") for i in long_titles
    ]
