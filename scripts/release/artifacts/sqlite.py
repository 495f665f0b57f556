"""One SQLite database with every table, its primary key and its foreign keys, and the overviews.

CREATE TABLE statements come from the Table Schemas (storage classes from the loader's dtypes,
NOT NULL, UNIQUE, enum CHECKs, keys); foreign keys are verified before the file is accepted. The
overview views are :func:`cnplans.loader.overviews.create_views`. The file's stem has no dots
(:func:`database_name`), so Datasette serves it as it is.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from cnplans.loader import overviews
from cnplans.loader.overviews import quote_identifier as quote
from cnplans.loader.overviews import sql_value, storage_class

from ..errors import ReleaseStepError
from .tables import TypedTable


def database_name(version: str) -> str:
    """The database's file name: no dots in the stem, so Datasette serves it as it is.

    >>> database_name("1.2.3")
    'cnplans_1_2_3.sqlite'
    """
    return "cnplans_" + re.sub(r"[^A-Za-z0-9_-]", "_", version) + ".sqlite"


def create_table(table: TypedTable) -> str:
    """The CREATE TABLE statement of one table."""
    schema = table.schema
    lines = []
    for field in schema.fields:
        parts = [quote(field.name), storage_class(field.pandas_dtype())]
        if field.required or field.name in schema.primary_key:
            parts.append("NOT NULL")
        if field.constraints.get("unique") and schema.primary_key != [field.name]:
            parts.append("UNIQUE")
        if field.enum:
            allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in field.enum)  # SQL strings
            parts.append(f"CHECK ({quote(field.name)} IN ({allowed}))")
        lines.append(" ".join(parts))
    if schema.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(quote(k) for k in schema.primary_key)})")
    for fk in schema.foreign_keys:
        target = fk.resource or table.name
        lines.append(
            f"FOREIGN KEY ({', '.join(quote(f) for f in fk.fields)}) REFERENCES {quote(target)} "
            f"({', '.join(quote(f) for f in fk.reference_fields)})"
        )
    body = ",\n  ".join(lines)
    return f"CREATE TABLE {quote(table.name)} (\n  {body}\n)"


def build(tables: list[TypedTable], target: Path, *, overview_views: bool = True) -> Path:
    """Write the database to ``target`` (which must not exist) and return it; with
    ``overview_views`` the overview views are created once the tables are filled."""
    connection = sqlite3.connect(target)
    try:
        connection.execute("PRAGMA page_size = 4096")
        connection.execute("PRAGMA journal_mode = OFF")
        for table in tables:
            connection.execute(create_table(table))
        for table in tables:
            fields = table.schema.fields
            frame = table.frame
            columns = [[sql_value(v, f.type) for v in frame[f.name].astype(object)] for f in fields]
            rows = list(zip(*columns, strict=True))
            placeholders = ", ".join("?" for _ in fields)
            names = ", ".join(quote(f.name) for f in fields)
            insert = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({placeholders})"
            try:
                connection.executemany(insert, rows)
            except sqlite3.IntegrityError as exc:
                raise ReleaseStepError(
                    f"table {table.name!r} does not fit its Table Schema in the SQLite database "
                    f"({exc}); run `cnplans validate` to see which rows break it"
                ) from None
        connection.commit()
        broken = connection.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            shown = "; ".join(f"{t} row {r} → {p}" for t, r, p, _ in broken[:10])
            raise ReleaseStepError(
                f"the SQLite database breaks {len(broken)} foreign key(s): {shown}"
            )
        if overview_views:  # each view is read once: a view is compiled only when read
            try:
                overviews.create_views(connection)
                for name in overviews.NAMES:
                    view = quote(overviews.view_name(name))
                    connection.execute(f"SELECT * FROM {view} LIMIT 1").fetchall()
            except sqlite3.Error as exc:
                raise ReleaseStepError(
                    f"the overview views do not work in the SQLite database: {exc}"
                ) from None
            connection.commit()
        connection.execute("VACUUM")
    finally:
        connection.close()
    return target
