"""Text cells -> typed columns, one vectorized parser per Table Schema type.

The dtype of every field comes from :meth:`cnplans.table_schema.Field.pandas_dtype` (the one type
map); this module only knows how the Table Schema spells each type as text. Empty cells (the
schema's ``missingValues``) become ``<NA>``; a non-empty cell that does not parse becomes
``<NA>`` too and is flagged, to be reported once as a ``type`` problem (``enum`` for a value
outside an enum), so later checks never see it twice. Numbers and enums are parsed with
pyarrow compute kernels over the text column, dates with pandas' strict ``to_datetime``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cnplans.table_schema import Field, TableSchema

INTEGER = r"[+-]?[0-9]{1,18}"
NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
YEAR = r"[0-9]{4}"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
DATETIME = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)
TRUE_VALUES = ("true", "True", "TRUE", "1")
FALSE_VALUES = ("false", "False", "FALSE", "0")
STRING_FORMATS = {
    "email": (r"[^@\s]+@[^@\s]+\.[^@\s]+", "an e-mail address such as name@example.org"),
    "uri": (r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+", "a URI such as https://example.org/page"),
    "uuid": (
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        "a UUID such as 123e4567-e89b-12d3-a456-426614174000",
    ),
}

# Table Schema type -> how a valid cell of that type is described to a person.
EXPECTED: dict[str, str] = {
    "string": "text",
    "integer": "a whole number such as 42 (digits only, no decimal point or thousands separator)",
    "year": "a four-digit year such as 2025",
    "number": "a number such as 150000000000 or 2.5 (a dot for decimals, no thousands separator)",
    "boolean": "true or false",
    "date": "a date written YYYY-MM-DD, such as 2024-11-12",
    "datetime": "a date and time written YYYY-MM-DDThh:mm:ss, such as 2024-11-12T09:30:00Z",
}


@dataclass
class Converted:
    """One converted column: typed values and which non-empty cells failed to convert."""

    values: pd.Series
    failed: pd.Series  # bool: non-empty cell that is not a valid value of the type


def _arrow(text: pd.Series) -> Any:
    """The column as a pyarrow string array (zero-copy for pandas' pyarrow-backed strings)."""
    import pyarrow as pa

    array = text.array
    if hasattr(array, "__arrow_array__"):
        return array.__arrow_array__()
    return pa.array(text.to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def _to_series(values: Any, dtype: Any, index: pd.Index) -> pd.Series:
    """A pyarrow array of numbers or booleans as a pandas Series of a nullable dtype."""
    import pyarrow as pa

    mapper = {
        pa.int64(): pd.Int64Dtype(),
        pa.float64(): pd.Float64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
    }
    series = values.to_pandas(types_mapper=mapper.get)
    return pd.Series(series.array, index=index).astype(dtype)


def _bool_series(values: Any, index: pd.Index) -> pd.Series:
    """A pyarrow boolean array as a plain bool Series (nulls as False)."""
    import pyarrow.compute as pc

    return pd.Series(
        pc.fill_null(values, False).to_numpy(zero_copy_only=False), index=index, dtype=bool
    )


def _fullmatch(text: pd.Series, pattern: str) -> pd.Series:
    return text.str.fullmatch(pattern).fillna(False).astype(bool)


def _arrow_numbers(text: pd.Series, present: pd.Series, pattern: str, arrow_type: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    column = _arrow(text)
    ok = pc.and_(pc.match_substring_regex(column, f"^(?:{pattern})$"), pa.array(present))
    values = pc.cast(pc.if_else(ok, column, pa.scalar(None, column.type)), arrow_type)
    return values, _bool_series(ok, text.index)


def _string(text: pd.Series, present: pd.Series, field: Field) -> Converted:
    failed = pd.Series(False, index=text.index)
    if field.format in STRING_FORMATS:
        pattern, _ = STRING_FORMATS[field.format]
        failed = present & ~_fullmatch(text, pattern)
    return Converted(text.where(present).astype(field.pandas_dtype()), failed)


def _integer(text: pd.Series, present: pd.Series, field: Field) -> Converted:
    import pyarrow as pa

    pattern = YEAR if field.type == "year" else INTEGER
    values, ok = _arrow_numbers(text, present, pattern, pa.int64())
    return Converted(_to_series(values, field.pandas_dtype(), text.index), present & ~ok)


def _number(text: pd.Series, present: pd.Series, field: Field) -> Converted:
    import pyarrow as pa

    values, ok = _arrow_numbers(text, present, NUMBER, pa.float64())
    return Converted(_to_series(values, field.pandas_dtype(), text.index), present & ~ok)


def _boolean(text: pd.Series, present: pd.Series, field: Field) -> Converted:
    mapping = dict.fromkeys(TRUE_VALUES, True) | dict.fromkeys(FALSE_VALUES, False)
    ok = present & text.isin(list(mapping))
    values = text.where(ok).map(mapping).astype(field.pandas_dtype())
    return Converted(values, present & ~ok)


def _dates(text: pd.Series, present: pd.Series, field: Field, shape: str, iso: str) -> Converted:
    """Dates and datetimes, strictly (2024-02-30 is not a date), through pandas."""
    if field.format in ("default", ""):
        shaped = present & _fullmatch(text, shape)
        values = pd.to_datetime(text.where(shaped), format=iso, errors="coerce", utc=True)
    else:
        fmt = "mixed" if field.format == "any" else field.format
        values = pd.to_datetime(text.where(present), format=fmt, errors="coerce", utc=True)
    values = values.dt.tz_convert(None)
    return Converted(values.astype(field.pandas_dtype()), present & values.isna())


def _date(text: pd.Series, present: pd.Series, field: Field) -> Converted:
    return _dates(text, present, field, DATE, "%Y-%m-%d")


def _datetime(text: pd.Series, present: pd.Series, field: Field) -> Converted:
    return _dates(text, present, field, DATETIME, "ISO8601")


# Table Schema type -> parser. Covers every key of the type map (a test checks it).
PARSERS: dict[str, Callable[[pd.Series, pd.Series, Field], Converted]] = {
    "string": _string,
    "integer": _integer,
    "year": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
}


def expected_text(field: Field) -> str:
    """How a valid value of ``field`` is described to a person."""
    if field.type == "string" and field.format in STRING_FORMATS:
        return STRING_FORMATS[field.format][1]
    return EXPECTED.get(field.type, field.type)


def _string_enum(text: pd.Series, present: pd.Series, field: Field) -> Converted:
    import pyarrow as pa
    import pyarrow.compute as pc

    enum = field.enum or []
    codes = pc.index_in(_arrow(text), value_set=pa.array(enum, type=pa.string()))
    codes = pc.fill_null(codes, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    values = pd.Categorical.from_codes(codes, dtype=field.pandas_dtype())
    return Converted(pd.Series(values, index=text.index), present & (codes < 0))


def convert_column(text: pd.Series, field: Field, missing_values: list[str]) -> Converted:
    """Convert one column of text cells to the field's dtype (see the module docstring)."""
    text = text.astype("string")
    if missing_values == [""]:
        present = (text != "").fillna(False).astype(bool)
    else:
        present = ~text.isin(missing_values) & text.notna()
    parser = PARSERS.get(field.type)
    if parser is None:
        field.pandas_dtype()  # raises the type map's own error for an unknown type
        raise ValueError(f"no text parser for Table Schema type {field.type!r}")
    enum = field.enum
    if enum is None:
        converted = parser(text, present, field)
        return Converted(converted.values, converted.failed.astype(bool))
    # An enum is typed as a category: a value outside it cannot be typed at all.
    if field.type == "string":
        return _string_enum(text, present, field)
    plain = Field(field.name, field.type, format=field.format)
    typed = parser(text, present, plain)
    in_enum = typed.values.isin(enum).fillna(False).astype(bool)
    values = typed.values.where(in_enum).astype(field.pandas_dtype())
    return Converted(values, (typed.failed | (present & ~in_enum)).astype(bool))


def convert_table(raw: pd.DataFrame, schema: TableSchema) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed frame and failure mask for the schema's fields present in ``raw``."""
    values: dict[str, pd.Series] = {}
    failed: dict[str, pd.Series] = {}
    for field in schema.fields:
        if field.name in raw.columns:
            converted = convert_column(raw[field.name], field, schema.missing_values)
            values[field.name] = converted.values
            failed[field.name] = converted.failed
    return (
        pd.DataFrame(values, index=raw.index),
        pd.DataFrame(failed, index=raw.index, dtype=bool),
    )
