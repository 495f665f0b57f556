"""Column operations over pyarrow-backed text, for checks that must scale to millions of rows.

Some pandas methods go through Python objects even on pyarrow text (``Series.isin`` builds a
list); these call the pyarrow kernels directly and give the same answers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def arrow_text(column: pd.Series) -> Any:
    """A text column as a pyarrow large_string chunked array (zero-copy when pyarrow-backed)."""
    import pyarrow as pa

    array = column.array
    if hasattr(array, "__arrow_array__"):
        arrow = array.__arrow_array__()
    else:
        arrow = pa.array(column.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    if not isinstance(arrow, pa.ChunkedArray):
        arrow = pa.chunked_array([arrow])
    if arrow.type != pa.large_string():
        arrow = arrow.cast(pa.large_string())
    return arrow


def to_numpy_bool(values: Any) -> np.ndarray:
    """A pyarrow boolean array as numpy bools, nulls as False."""
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def text_chunks(text: pd.Series) -> list[Any]:
    """The column's pyarrow large_string chunks (zero-copy for pyarrow-backed text)."""
    return [chunk for chunk in arrow_text(text).chunks if len(chunk)]


def spans(chunk: Any) -> tuple[np.ndarray, np.ndarray]:
    """A chunk's offsets (one more than its cells) and its bytes."""
    buffers = chunk.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[
        chunk.offset : chunk.offset + len(chunk) + 1
    ]
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(0, np.uint8)
    )
    return offsets, data


def with_validity(chunk: Any, keep: np.ndarray) -> Any:
    """The chunk with cells where ``keep`` is false made null, sharing its bytes."""
    import pyarrow as pa

    bits = np.zeros(chunk.offset + len(chunk), dtype=bool)
    bits[chunk.offset :] = keep
    if chunk.null_count:
        bits[chunk.offset :] &= np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False))
    validity = pa.py_buffer(np.packbits(bits, bitorder="little"))
    buffers = chunk.buffers()
    return pa.Array.from_buffers(
        chunk.type, len(chunk), [validity, buffers[1], buffers[2]], offset=chunk.offset
    )


def per_chunk(mask: np.ndarray, chunks: list[Any]) -> list[np.ndarray]:
    edges = np.cumsum([0, *[len(c) for c in chunks]])
    return [mask[edges[i] : edges[i + 1]] for i in range(len(chunks))]


def is_text(column: pd.Series) -> bool:
    """Whether ``column`` holds text in a pandas string dtype."""
    return isinstance(column.dtype, pd.StringDtype)


def is_in(values: pd.Series, allowed: pd.Series) -> pd.Series:
    """``values.isin(allowed)`` (missing values are never in), in pyarrow for text columns."""
    if not (is_text(values) and is_text(allowed)):
        return values.isin(allowed)
    import pyarrow as pa
    import pyarrow.compute as pc

    value_set = pc.unique(arrow_text(allowed.dropna()))
    if isinstance(value_set, pa.ChunkedArray):
        value_set = value_set.combine_chunks()
    found = pc.is_in(arrow_text(values), value_set=value_set, skip_nulls=True)
    return pd.Series(to_numpy_bool(found), index=values.index)


def match_at_start(text: pd.Series, pattern: str) -> np.ndarray:
    """``text.str.match(pattern)`` as numpy bools (missing values never match), in pyarrow:
    ``pattern`` is read as RE2 (the syntax it shares with Python's ``re`` only)."""
    import pyarrow.compute as pc

    return to_numpy_bool(pc.match_substring_regex(arrow_text(text), f"^(?:{pattern})"))


def positions_in(values: pd.Series, index: pd.Index) -> np.ndarray:
    """``index.get_indexer(values)`` for a unique index (-1 where absent), in pyarrow for text.

    pandas would first build an Index of the values, hashing every one of them as Python text.
    """
    if not (is_text(values) and isinstance(index.dtype, pd.StringDtype)):
        return np.asarray(index.get_indexer(pd.Index(values)))
    import pyarrow.compute as pc

    allowed = arrow_text(pd.Series(index)).combine_chunks()
    found = pc.index_in(arrow_text(values), value_set=allowed)
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.intp)


def full_match(text: pd.Series, pattern: str) -> np.ndarray:
    """``text.str.fullmatch(pattern)`` as numpy bools (missing values never match), in RE2;
    a pattern RE2 cannot compile (a look-around) is matched by ``re`` once per distinct value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = arrow_text(text)
    try:
        found = pc.match_substring_regex(arrow, f"^(?:{pattern})$")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        import re

        compiled = re.compile(pattern)
        distinct = pc.unique(arrow)
        per_value = pa.array(
            [v is not None and compiled.fullmatch(v) is not None for v in distinct.to_pylist()],
            type=pa.bool_(),
        )
        found = pc.take(per_value, pc.index_in(arrow, value_set=distinct))
    return to_numpy_bool(found)


def length_within(text: pd.Series, low: int | None, high: int | None) -> np.ndarray:
    """Whether each cell has from ``low`` to ``high`` characters (either may be None; missing
    cells pass)."""
    import pyarrow.compute as pc

    counted = pc.fill_null(pc.utf8_length(arrow_text(text)), -1)
    length = np.asarray(counted.to_numpy(), dtype=np.int64)
    ok: np.ndarray = length < 0  # missing: passes
    ok |= (length >= (low or 0)) & (high is None or length <= high)
    return ok
