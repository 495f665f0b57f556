"""The overview: one readable row per target (and per cluster and region), generated, never curated.

The overview is defined once, as two SQL views in ``overview.sql``; :func:`create_views` adds
them to a database holding the package's tables (such as the release's SQLite file), and
:func:`overview` runs them on the loaded tables, typed by the overview's own Table Schema
(:func:`schema`). ``cnplans.overview`` is :func:`overview` (this module is not called
``overview``: importing it would replace the function on the package).

>>> import cnplans
>>> targets = cnplans.overview("targets")
>>> list(targets.columns[:4])
['target_id', 'region_id', 'region_name_en', 'region_name_zh']
>>> str(targets["year"].dtype), str(targets["unit"].dtype), str(targets["usd"].dtype)
('Int64', 'category', 'Float64')
>>> cnplans.overview("nope")
Traceback (most recent call last):
...
cnplans.loader.overviews.OverviewError: no overview named 'nope'; the overviews are: ...
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from cnplans.datapackage.errors import CnplansError
from cnplans.datapackage.table_schema import Field, TableSchema

NAMES: tuple[str, ...] = ("targets", "clusters")
# The package's tables the views read.
TABLES: tuple[str, ...] = ("sources", "regions", "plans", "targets", "clusters", "cluster_regions")


class OverviewError(CnplansError, KeyError):
    """An overview name that does not exist, or tables the overview cannot be built from."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


def view_name(name: str) -> str:
    """The SQL view of overview ``name`` (``overview_targets``); an unknown name is an error."""
    if name not in NAMES:
        raise OverviewError(f"no overview named {name!r}; the overviews are: {', '.join(NAMES)}")
    return f"overview_{name}"


@cache
def schema(name: str) -> TableSchema:
    """The Table Schema of overview ``name`` (read once): its fields, types and descriptions.

    >>> schema("clusters").field_names[:3]
    ['cluster_id', 'cluster_name', 'kind']
    """
    view_name(name)
    path = resources.files("cnplans.loader").joinpath("overview_schemas", f"{name}.json")
    return TableSchema.from_descriptor(json.loads(path.read_text(encoding="utf-8")))


def create_views(conn: sqlite3.Connection) -> None:
    """Create the overview views in ``conn``, which holds the package's tables as
    :func:`write_tables` stores them."""
    conn.executescript(
        resources.files("cnplans.loader").joinpath("overview.sql").read_text("utf-8")
    )


def overview(
    name: str = "targets",
    *,
    version: str | None = None,
    frames: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The overview ``name`` ("targets" or "clusters") as a DataFrame typed by :func:`schema`.

    Built from the tables bundled with this installation, or of the published release
    ``version``, or from ``frames`` (table name -> DataFrame, as ``cnplans.load_all()`` gives).

    >>> clusters = overview("clusters")
    >>> bool(clusters["cluster_id"].notna().all())
    True
    """
    view = view_name(name)
    if frames is None:
        from cnplans.loader import load

        frames = {table: load(table, version=version) for table in TABLES}
    missing = [table for table in TABLES if table not in frames]
    if missing:
        raise OverviewError(
            f"the overview needs the tables {', '.join(TABLES)}; frames lacks {', '.join(missing)}"
        )
    with closing(sqlite3.connect(":memory:")) as conn:
        write_tables(conn, {table: frames[table] for table in TABLES})
        create_views(conn)
        cursor = conn.execute(f"SELECT * FROM {view}")
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    return typed_frame(rows, columns, schema(name))


def every(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every overview of ``frames`` by name; none when ``frames`` lack a table they read."""
    return {name: overview(name, frames=frames) for name in NAMES if set(TABLES) <= set(frames)}


def write_tables(conn: sqlite3.Connection, frames: Mapping[str, pd.DataFrame]) -> None:
    """Store typed DataFrames as tables as the release database does: booleans 0/1 INTEGER,
    integers and years INTEGER, numbers REAL, dates TEXT (YYYY-MM-DD), text and categories TEXT,
    missing values NULL."""
    for table, frame in frames.items():
        kinds = [storage_class(frame[c].dtype) for c in frame.columns]
        names = [quote_identifier(str(c)) for c in frame.columns]
        declared = ", ".join(f"{n} {k}" for n, k in zip(names, kinds, strict=True))
        conn.execute(f"CREATE TABLE {quote_identifier(table)} ({declared})")
        values = [[sql_value(v) for v in frame[c].astype(object)] for c in frame.columns]
        conn.executemany(
            f"INSERT INTO {quote_identifier(table)} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' for _ in names)})",
            list(zip(*values, strict=True)),
        )


def typed_frame(rows: list[Any], columns: list[str], table_schema: TableSchema) -> pd.DataFrame:
    """Rows of a view as a DataFrame with the dtypes of ``table_schema`` (the loader's type map)."""
    if columns != table_schema.field_names:
        raise OverviewError(
            f"the view's columns ({', '.join(columns)}) are not the schema's fields "
            f"({', '.join(table_schema.field_names)}); overview.sql and overview_schemas disagree"
        )
    cells = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    data = {f.name: _typed(list(c), f) for f, c in zip(table_schema.fields, cells, strict=True)}
    return pd.DataFrame(data, columns=columns)


def _typed(values: list[Any], field: Field) -> pd.Series:
    dtype = field.pandas_dtype()
    if field.type == "boolean":
        values = [None if v is None else bool(v) for v in values]
    if field.type in ("date", "datetime"):
        return pd.Series(pd.to_datetime(pd.Series(values, dtype="string"), format="ISO8601"))
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Series(values, dtype="string").astype(dtype)
    typed: pd.Series = pd.Series(values, dtype=dtype)
    return typed


def storage_class(dtype: Any) -> str:
    """The SQLite column type of a loader dtype (the release database's one type map too)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "TEXT"
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return "INTEGER"
    return "REAL" if pd.api.types.is_float_dtype(dtype) else "TEXT"


def sql_value(value: Any, field_type: str | None = None) -> Any:
    """A cell as SQLite stores it: NULL when missing, booleans 0/1, dates as ISO text.

    A timestamp is a date when ``field_type`` says so, or, without one, when it is at midnight.

    >>> sql_value(pd.Timestamp("2024-01-31")), sql_value(True), sql_value(pd.NA)
    ('2024-01-31', 1, None)
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        is_date = field_type == "date" if field_type else value == value.normalize()
        return value.date().isoformat() if is_date else value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    return value.isoformat() if hasattr(value, "isoformat") else value


def quote_identifier(identifier: str) -> str:
    """An SQL identifier in double quotes."""
    return '"' + identifier.replace('"', '""') + '"'
