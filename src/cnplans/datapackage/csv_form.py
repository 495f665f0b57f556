"""The package's CSV form: the one definition of how cnplans writes a table as CSV text.

Every non-empty cell of a ``string`` field is in double quotes, so no spreadsheet splits it
whatever separator it guesses; every other cell, empty cells and the header are written as
``QUOTE_MINIMAL`` writes them. Records end with one line feed; UTF-8 without a BOM. The
validator's rule ``non-canonical-csv`` checks files against this form (its reader renders the
same form with pyarrow's kernels, tested against :func:`render_rows`).

>>> print(render_rows([["a; b", "20", ""], ['say "hi" now', "1,5", "x"]], [0, 2]), end="")
"a; b",20,
"say ""hi"" now","1,5","x"
"""

from __future__ import annotations

import csv
import io
import math
import numbers
from collections.abc import Callable, Collection, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from cnplans.datapackage.table_schema import TableSchema

TEXT_TYPE = "string"  # the Table Schema type whose cells are quoted


class _Minimal(str):
    """A cell the csv module writes as ``QUOTE_MINIMAL`` would, in a ``QUOTE_NONNUMERIC`` writer.

    Its ``__float__`` makes the writer take it for a number (Python 3.11 has no
    ``QUOTE_STRINGS``); it is never converted.
    """

    __slots__ = ()

    def __float__(self) -> float:  # pragma: no cover - the csv module only checks it exists
        raise TypeError("a CSV cell is text, not a number")


_EMPTY = _Minimal("")


def render_rows(rows: Iterable[Sequence[str]], text_columns: Collection[int]) -> str:
    """CSV text in the package's form: the non-empty cells at the positions ``text_columns`` in
    double quotes, every other cell as ``QUOTE_MINIMAL`` writes it.

    >>> render_rows([["x", "", "3"], ["", "a,b", "4.5"]], {0, 1})
    '"x",,3\\n,"a,b",4.5\\n'
    >>> render_rows([["name", "value"]], ())
    'name,value\\n'
    """
    texts = frozenset(text_columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerows(
        [
            (cell if index in texts else _Minimal(cell)) if cell else _EMPTY
            for index, cell in enumerate(row)
        ]
        for row in rows
    )
    return buffer.getvalue()


def text_columns(header: Sequence[str], schema: TableSchema) -> list[int]:
    """Positions in ``header`` of the fields whose Table Schema type is ``string``.

    >>> from cnplans.datapackage.table_schema import TableSchema
    >>> schema = TableSchema.from_descriptor(
    ...     {"fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}]}
    ... )
    >>> text_columns(["n", "id", "other"], schema)
    [1]
    """
    types = {f.name: f.type for f in schema.fields}
    return [index for index, name in enumerate(header) if types.get(name) == TEXT_TYPE]


def table_text(header: Sequence[str], records: Iterable[Sequence[str]], schema: TableSchema) -> str:
    """A table file's text in the package's form: ``header``, then ``records``, with the text
    columns ``schema`` gives.

    >>> from cnplans.datapackage.table_schema import TableSchema
    >>> schema = TableSchema.from_descriptor(
    ...     {"fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}]}
    ... )
    >>> print(table_text(["id", "n"], [["a", "1"], ["b", ""]], schema), end="")
    id,n
    "a",1
    "b",
    """
    return render_rows([header], ()) + render_rows(records, text_columns(header, schema))


def number_text(x: float) -> str:
    """One number as the package writes it: a whole number without ``.0``, any other in the
    fewest digits that read back as the same float, never with an exponent; NaN (missing) is
    the empty cell.

    >>> number_text(20.0), number_text(230000000000.0), number_text(6.729), number_text(-0.0)
    ('20', '230000000000', '6.729', '0')
    >>> number_text(1e-07), number_text(2.5e20), number_text(float("nan"))
    ('0.0000001', '250000000000000000000', '')
    """
    value = float(x)
    if math.isnan(value):
        return ""
    if math.isinf(value):
        raise ValueError(f"{value} is not a number a table can hold")
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else text


def frame_text(frame: pd.DataFrame, schema: TableSchema | None) -> str:
    """A typed DataFrame (as :func:`cnplans.load` returns it) as CSV text in the package's form.

    Numbers as :func:`number_text` writes them, dates ``YYYY-MM-DD``, booleans ``true``/``false``.
    Text columns are the ``string`` fields of ``schema``, and columns it does not name whose
    dtype is text, object or categorical. The index is not written.

    >>> import pandas as pd
    >>> frame = pd.DataFrame(
    ...     {
    ...         "id": pd.array(["a;b", None], dtype="string"),
    ...         "count": pd.array([20, None], dtype="Int64"),
    ...         "usd": pd.array([230000000000.0, 6.729], dtype="Float64"),
    ...         "day": pd.to_datetime(["2024-11-12", None]),
    ...         "strive": pd.array([True, None], dtype="boolean"),
    ...     }
    ... )
    >>> print(frame_text(frame, None), end="")
    id,count,usd,day,strive
    "a;b",20,230000000000,2024-11-12,true
    ,,6.729,,
    """
    types = {f.name: f.type for f in schema.fields} if schema is not None else {}
    header = [str(name) for name in frame.columns]
    columns: list[list[str]] = []
    texts: list[int] = []
    for index, name in enumerate(frame.columns):
        column, declared = frame.iloc[:, index], types.get(str(name))
        columns.append(_cells(column, declared))
        if declared == TEXT_TYPE or (declared is None and _is_text_dtype(column.dtype)):
            texts.append(index)
    rows = zip(*columns, strict=True) if columns else iter([[] for _ in range(len(frame))])
    return render_rows([header], ()) + render_rows(rows, texts)


def _is_text_dtype(dtype: Any) -> bool:
    import pandas as pd

    return bool(
        pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def _cells(column: pd.Series, declared: str | None) -> list[str]:
    """A column's cells as the package writes them (see :func:`frame_text`)."""
    import pandas as pd

    is_bool = pd.api.types.is_bool_dtype(column.dtype)
    if is_bool or pd.api.types.is_integer_dtype(column.dtype):  # the fast path of _cell
        values, missing = column.to_numpy(dtype=object), column.isna().to_numpy(dtype=bool)
        show: Callable[[Any], str] = (
            (lambda v: "true" if v else "false") if is_bool else (lambda v: str(int(v)))
        )
        return ["" if gone else show(v) for v, gone in zip(values, missing, strict=True)]
    if pd.api.types.is_float_dtype(column.dtype):
        return [number_text(v) for v in column.to_numpy(dtype="float64", na_value=math.nan)]
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        times = pd.Series(pd.to_datetime(column), copy=False)
        whole_days = bool((times.dropna() == times.dropna().dt.normalize()).all())
        fmt = "%Y-%m-%d" if declared == "date" or whole_days else "%Y-%m-%dT%H:%M:%S"
        return times.dt.strftime(fmt).fillna("").tolist()
    return [_cell(v) for v in column.to_numpy(dtype=object)]


def _cell(value: object) -> str:
    """One value as a cell (see :func:`frame_text`)."""
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return number_text(float(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d" if value == value.normalize() else "%Y-%m-%dT%H:%M:%S")
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
