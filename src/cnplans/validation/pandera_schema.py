"""Table Schema -> pandera ``DataFrameSchema``: the one converter (no hand-declared columns).

Each field becomes a column typed by the type map of :mod:`cnplans.table_schema`
(:meth:`Field.pandas_dtype`, enums as categories). Constraints become checks: ``required`` ->
not nullable, ``unique`` -> unique, ``minimum``/``maximum`` -> ``ge``/``le``, ``pattern`` -> a
full match, ``enum`` -> ``isin``, ``minLength``/``maxLength`` -> ``str_length``. The primary key
becomes uniqueness: of its column for a one-field key, of the field combination otherwise.
The schema validates typed frames (see :mod:`cnplans.validation.conversion`) and never coerces.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pandera.pandas as pa

from cnplans.table_schema import Field, TableSchema

# Table Schema constraint -> validation rule id, in the order checks are attached to a column.
CONSTRAINT_RULES: dict[str, str] = {
    "minimum": "minimum",
    "maximum": "maximum",
    "pattern": "pattern",
    "enum": "enum",
    "minLength": "min-length",
    "maxLength": "max-length",
}


def _bound(field: Field, value: Any) -> Any:
    """A ``minimum``/``maximum`` in the field's own type (dates compare as timestamps)."""
    if field.type in ("date", "datetime"):
        return pd.Timestamp(value)
    return value


def _full_match(pattern: str) -> pa.Check:
    compiled = re.compile(pattern)  # raises re.error for a broken pattern in the schema

    def matches(series: pd.Series) -> pd.Series:
        return series.astype("string").str.fullmatch(compiled.pattern).fillna(False)

    return pa.Check(matches, name=f"pattern({pattern})", element_wise=False)


def field_checks(field: Field) -> list[tuple[str, pa.Check]]:
    """The checks for a field's constraints, each with the rule id it reports as."""
    constraints = field.constraints
    checks: list[tuple[str, pa.Check]] = []
    if "minimum" in constraints:
        checks.append(("minimum", pa.Check.ge(_bound(field, constraints["minimum"]))))
    if "maximum" in constraints:
        checks.append(("maximum", pa.Check.le(_bound(field, constraints["maximum"]))))
    if "pattern" in constraints:
        checks.append(("pattern", _full_match(str(constraints["pattern"]))))
    if field.enum is not None:
        checks.append(("enum", pa.Check.isin(field.enum)))
    if "minLength" in constraints:
        checks.append(("min-length", pa.Check.str_length(min_value=constraints["minLength"])))
    if "maxLength" in constraints:
        checks.append(("max-length", pa.Check.str_length(max_value=constraints["maxLength"])))
    return checks


def is_unique(field: Field, schema: TableSchema) -> bool:
    """Whether the field's values must be unique: ``unique`` or a one-field primary key."""
    return bool(field.constraints.get("unique")) or schema.primary_key == [field.name]


def build_schema(schema: TableSchema, name: str = "") -> pa.DataFrameSchema:
    """The pandera schema of a Table Schema, for frames typed by the type map."""
    columns = {
        field.name: pa.Column(
            field.pandas_dtype(),
            checks=[check for _, check in field_checks(field)],
            nullable=not (field.required or field.name in schema.primary_key),
            unique=is_unique(field, schema),
            report_duplicates="exclude_first",
            required=True,
            name=field.name,
        )
        for field in schema.fields
    }
    composite_key = schema.primary_key if len(schema.primary_key) > 1 else None
    return pa.DataFrameSchema(
        columns,
        unique=composite_key,
        report_duplicates="exclude_first",
        coerce=False,
        strict=False,
        ordered=False,
        name=name or None,
    )
