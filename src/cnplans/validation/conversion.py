"""Text cells -> typed columns, of the dtypes of ``Field.pandas_dtype`` (the one type map).

Missing values become ``<NA>``; a cell that does not parse becomes ``<NA>`` too and is flagged,
to be reported once (``type``, or ``enum``). Numbers and enums are parsed by pyarrow kernels over
the text buffers, dates by pandas' strict ``to_datetime``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cnplans.datapackage.table_schema import Field, TableSchema
from cnplans.validation.vectorized import (
    arrow_text,
    per_chunk,
    spans,
    text_chunks,
    to_numpy_bool,
    with_validity,
)

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


def _valid_numbers(chunk: Any, kind: str) -> np.ndarray:
    """Which cells of ``chunk`` match :data:`INTEGER`, :data:`YEAR` or :data:`NUMBER` in full."""
    import pyarrow.compute as pc

    pattern = {"integer": INTEGER, "year": YEAR, "number": NUMBER}[kind]
    return to_numpy_bool(pc.match_substring_regex(chunk, f"^(?:{pattern})$"))


def _typed_numbers(text: pd.Series, present: pd.Series, kind: str) -> tuple[Any, np.ndarray]:
    """Values (a pandas masked array) and the failure mask of a number column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = text_chunks(text)
    given = present.to_numpy(dtype=bool)
    ok_parts, value_parts = [], []
    for chunk, keep in zip(chunks, per_chunk(given, chunks), strict=True):
        ok = keep & _valid_numbers(chunk, kind)
        if kind == "number":
            values = pc.cast(with_validity(chunk, ok), pa.float64())
            value_parts.append(np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64))
        else:
            offsets, data = spans(chunk)
            signed = np.zeros(len(chunk), dtype=bool)  # pyarrow refuses a leading "+"
            if data.size:
                first = data[np.minimum(offsets[:-1], data.size - 1)]
                signed = ok & (np.diff(offsets) > 0) & (first == ord("+"))
            casted = pc.cast(with_validity(chunk, ok & ~signed), pa.int64())
            numbers = np.asarray(pc.fill_null(casted, 0).to_numpy(zero_copy_only=False))
            numbers = numbers.astype(np.int64, copy=True)
            for row in np.flatnonzero(signed).tolist():
                numbers[row] = int(chunk[row].as_py())
            value_parts.append(numbers)
        ok_parts.append(ok)
    ok = np.concatenate(ok_parts) if ok_parts else np.zeros(0, dtype=bool)
    if kind == "number":
        values = np.concatenate(value_parts) if value_parts else np.zeros(0, dtype=np.float64)
        array: Any = pd.arrays.FloatingArray(np.where(ok, values, 0.0), ~ok)
    else:
        values = np.concatenate(value_parts) if value_parts else np.zeros(0, dtype=np.int64)
        array = pd.arrays.IntegerArray(values, ~ok)
    return array, given & ~ok


def _fullmatch(text: pd.Series, pattern: str) -> pd.Series:
    return text.str.fullmatch(pattern).fillna(False).astype(bool)


def _string(text: pd.Series, present: pd.Series, field: Field) -> Converted:
    import pyarrow as pa

    failed = pd.Series(False, index=text.index)
    if field.format in STRING_FORMATS:
        pattern, _ = STRING_FORMATS[field.format]
        failed = present & ~_fullmatch(text, pattern)
    chunks = text_chunks(text)
    given = present.to_numpy(dtype=bool)
    parts = [with_validity(c, k) for c, k in zip(chunks, per_chunk(given, chunks), strict=True)]
    array = pd.arrays.ArrowStringArray(pa.chunked_array(parts, type=pa.large_string()))
    values = pd.Series(array, index=text.index, copy=False)
    return Converted(values.astype(field.pandas_dtype()), failed)


def _numbers(text: pd.Series, present: pd.Series, field: Field) -> Converted:
    """Integers, years and numbers (``field.type`` says which)."""
    array, failed = _typed_numbers(text, present, field.type)
    values = pd.Series(array, index=text.index, copy=False).astype(field.pandas_dtype())
    return Converted(values, pd.Series(failed, index=text.index))


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


# Table Schema type -> parser. Covers every key of the type map (a test checks it).
PARSERS: dict[str, Callable[[pd.Series, pd.Series, Field], Converted]] = {
    "string": _string,
    "integer": _numbers,
    "year": _numbers,
    "number": _numbers,
    "boolean": _boolean,
    "date": functools.partial(_dates, shape=DATE, iso="%Y-%m-%d"),
    "datetime": functools.partial(_dates, shape=DATETIME, iso="ISO8601"),
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
    codes = pc.index_in(arrow_text(text), value_set=pa.array(enum, type=pa.large_string()))
    codes = pc.fill_null(codes, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    values = pd.Categorical.from_codes(codes, dtype=field.pandas_dtype())
    return Converted(pd.Series(values, index=text.index), present & (codes < 0))


def _present(text: pd.Series, missing_values: list[str]) -> pd.Series:
    """Which cells hold a value (not null, not one of the schema's missing values)."""
    import pyarrow.compute as pc

    if missing_values == [""]:
        parts = []
        for chunk in text_chunks(text):
            offsets, _ = spans(chunk)
            given = np.diff(offsets) > 0
            if chunk.null_count:
                given &= to_numpy_bool(pc.is_valid(chunk))
            parts.append(given)
        present = np.concatenate(parts) if parts else np.zeros(len(text), dtype=bool)
        return pd.Series(present, index=text.index)
    return (~text.isin(missing_values) & text.notna()).astype(bool)


def convert_column(text: pd.Series, field: Field, missing_values: list[str]) -> Converted:
    """Convert one column of text cells to the field's dtype (see the module docstring)."""
    if not isinstance(text.dtype, pd.StringDtype) or text.dtype.storage != "pyarrow":
        text = text.astype(pd.StringDtype("pyarrow"))
    present = _present(text, missing_values)
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
    fields = [field for field in schema.fields if field.name in raw.columns]
    values: dict[str, Any] = {}
    # Zeroed memory is only mapped, not used, until written: columns without a failure (nearly
    # all of them) cost nothing.
    mask = np.zeros((len(raw), len(fields)), dtype=bool, order="F")
    for position, field in enumerate(fields):
        converted = convert_column(raw[field.name], field, schema.missing_values)
        values[field.name] = converted.values.array
        failed = converted.failed.to_numpy(dtype=bool)
        if failed.any():
            mask[:, position] = failed
    frame = pd.DataFrame(values, index=raw.index, copy=False)
    names = [field.name for field in fields]
    return frame, pd.DataFrame(mask, index=raw.index, columns=names, dtype=bool, copy=False)
