"""Table Schema -> pandera ``DataFrameSchema``: the one converter (no hand-declared columns).

Each field becomes a column typed by :meth:`Field.pandas_dtype` (enums as categories), its
constraints checks (``required`` -> not nullable, ``unique`` or a one-field primary key ->
unique, ``minimum``, ``maximum``, ``pattern``, ``enum``, ``minLength``, ``maxLength``); a
composite primary key becomes uniqueness of the field combination. The schema validates typed
frames (:mod:`cnplans.validation.conversion`) and never coerces. The checks are whole-column
(pyarrow, :mod:`cnplans.validation.vectorized`), empty cells passing (``required`` is separate).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from cnplans.datapackage.table_schema import Field, TableSchema
from cnplans.validation.vectorized import full_match, is_text, length_within


def _bound(field: Field, value: Any) -> Any:
    """A ``minimum``/``maximum`` in the field's own type (dates compare as timestamps)."""
    return pd.Timestamp(value) if field.type in ("date", "datetime") else value


def _vectorized(test: Callable[[pd.Series], Any], name: str) -> pa.Check:
    """A whole-column check whose empty cells pass (``required`` is separate).

    pandera's default (``ignore_na=True``) copies the column without its empty cells before
    every check, which costs more than most checks on a large table.
    """

    def check(series: pd.Series) -> pd.Series:
        result = test(series)
        if isinstance(result, pd.Series):
            result = result.fillna(True).astype(bool).to_numpy()
        return pd.Series(result | series.isna().to_numpy(), index=series.index)

    return pa.Check(check, name=name, element_wise=False, ignore_na=False)


def _length(low: int | None, high: int | None) -> pa.Check:
    def within(series: pd.Series) -> np.ndarray:
        if not is_text(series):
            series.str.len()  # raises for a column that is not text: cannot run
        return length_within(series, low, high)

    return _vectorized(within, f"str_length({low}, {high})")


def _full_match(pattern: str) -> pa.Check:
    compiled = re.compile(pattern)  # raises re.error for a broken pattern in the schema

    def matches(series: pd.Series) -> np.ndarray:
        return full_match(series if is_text(series) else series.astype("string"), compiled.pattern)

    return _vectorized(matches, f"pattern({pattern})")


def field_checks(field: Field) -> list[tuple[str, pa.Check]]:
    """The checks for a field's constraints, each with the rule id it reports as."""
    constraints = field.constraints
    checks: list[tuple[str, pa.Check]] = []
    if "minimum" in constraints:
        low = _bound(field, constraints["minimum"])
        name = f"greater_than_or_equal_to({low})"
        checks.append(("minimum", _vectorized(lambda series: series >= low, name)))
    if "maximum" in constraints:
        high = _bound(field, constraints["maximum"])
        name = f"less_than_or_equal_to({high})"
        checks.append(("maximum", _vectorized(lambda series: series <= high, name)))
    if "pattern" in constraints:
        checks.append(("pattern", _full_match(str(constraints["pattern"]))))
    if (enum := field.enum) is not None:
        checks.append(("enum", _vectorized(lambda series: series.isin(enum), f"isin({enum})")))
    if "minLength" in constraints:
        checks.append(("min-length", _length(constraints["minLength"], None)))
    if "maxLength" in constraints:
        checks.append(("max-length", _length(None, constraints["maxLength"])))
    return checks


def build_schema(schema: TableSchema, name: str = "") -> pa.DataFrameSchema:
    """The pandera schema of a Table Schema, for frames typed by the type map."""
    columns = {
        field.name: pa.Column(
            field.pandas_dtype(),
            checks=[check for _, check in field_checks(field)],
            nullable=not (field.required or field.name in schema.primary_key),
            # ``unique`` or a one-field primary key
            unique=bool(field.constraints.get("unique")) or schema.primary_key == [field.name],
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
