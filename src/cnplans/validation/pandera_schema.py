"""Table Schema -> pandera ``DataFrameSchema``: the one converter (no hand-declared columns).

Each field becomes a column typed by the type map of :mod:`cnplans.datapackage.table_schema`
(:meth:`Field.pandas_dtype`, enums as categories). Constraints become checks: ``required`` ->
not nullable, ``unique`` -> unique, ``minimum``/``maximum`` -> at least / at most, ``pattern``
-> a full match, ``enum`` -> one of, ``minLength``/``maxLength`` -> a string length. The primary
key becomes uniqueness: of its column for a one-field key, of the field combination otherwise.
The schema validates typed frames (see :mod:`cnplans.validation.conversion`) and never coerces.

The constraint checks are whole-column and let empty cells pass themselves (emptiness is the
``required`` check's business), so pandera need not copy each column without its empty cells
first; patterns and lengths are computed by pyarrow over the whole column
(:mod:`cnplans.validation.vectorized`).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pandera.pandas as pa

from cnplans.datapackage.table_schema import Field, TableSchema
from cnplans.validation.vectorized import full_match, is_text, length_within


def _bound(field: Field, value: Any) -> Any:
    """A ``minimum``/``maximum`` in the field's own type (dates compare as timestamps)."""
    if field.type in ("date", "datetime"):
        return pd.Timestamp(value)
    return value


def _passing(result: pd.Series, series: pd.Series) -> pd.Series:
    """A check's answer as plain booleans, empty cells passing (``required`` is separate)."""
    return result.fillna(True).astype(bool) | series.isna().to_numpy()


def _vectorized(check: Any, name: str) -> pa.Check:
    """A whole-column check that lets empty cells pass itself.

    pandera's default (``ignore_na=True``) copies the column without its empty cells before
    every check, which costs more than most checks on a large table.
    """
    return pa.Check(check, name=name, element_wise=False, ignore_na=False)


def _at_least(bound: Any) -> pa.Check:
    return _vectorized(
        lambda series: _passing(series >= bound, series), f"greater_than_or_equal_to({bound})"
    )


def _at_most(bound: Any) -> pa.Check:
    return _vectorized(
        lambda series: _passing(series <= bound, series), f"less_than_or_equal_to({bound})"
    )


def _one_of(values: list[Any]) -> pa.Check:
    return _vectorized(lambda series: _passing(series.isin(values), series), f"isin({values})")


def _length(low: int | None, high: int | None) -> pa.Check:
    def within(series: pd.Series) -> pd.Series:
        if not is_text(series):
            series.str.len()  # raises for a column that is not text: cannot run
        return pd.Series(length_within(series, low, high), index=series.index)

    return _vectorized(within, f"str_length({low}, {high})")


def _full_match(pattern: str) -> pa.Check:
    compiled = re.compile(pattern)  # raises re.error for a broken pattern in the schema

    def matches(series: pd.Series) -> pd.Series:
        text = series if is_text(series) else series.astype("string")
        passing = full_match(text, compiled.pattern) | series.isna().to_numpy()
        return pd.Series(passing, index=series.index)

    return _vectorized(matches, f"pattern({pattern})")


def field_checks(field: Field) -> list[tuple[str, pa.Check]]:
    """The checks for a field's constraints, each with the rule id it reports as."""
    constraints = field.constraints
    checks: list[tuple[str, pa.Check]] = []
    if "minimum" in constraints:
        checks.append(("minimum", _at_least(_bound(field, constraints["minimum"]))))
    if "maximum" in constraints:
        checks.append(("maximum", _at_most(_bound(field, constraints["maximum"]))))
    if "pattern" in constraints:
        checks.append(("pattern", _full_match(str(constraints["pattern"]))))
    if field.enum is not None:
        checks.append(("enum", _one_of(field.enum)))
    if "minLength" in constraints:
        checks.append(("min-length", _length(constraints["minLength"], None)))
    if "maxLength" in constraints:
        checks.append(("max-length", _length(None, constraints["maxLength"])))
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
