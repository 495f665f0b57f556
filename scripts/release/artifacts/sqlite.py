"""One SQLite database with every table, its primary key and its foreign keys.

CREATE TABLE statements are generated from the Table Schemas: column storage classes follow the
loader's pandas dtypes, required fields are NOT NULL, enums are CHECK constraints, and the keys
are declared. Foreign keys are verified with ``PRAGMA foreign_key_check`` before the file is
accepted. (SQLite enforces foreign keys only on connections that run ``PRAGMA foreign_keys = ON``.)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ReleaseError
from .tables import TypedTable, python_value


def quote(name: str) -> str:
    """An SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def storage_class(dtype: Any) -> str:
    """SQLite column type for a pandas dtype from the loader (the one type map)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "TEXT"
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return "INTEGER"
    if pd.api.types.is_float_dtype(dtype):
        return "REAL"
    return "TEXT"


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
            allowed = ", ".join(literal(v) for v in field.enum)
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


def _sql_value(value: Any, field_type: str) -> Any:
    plain = python_value(value, field_type)
    if isinstance(plain, bool):
        return int(plain)
    if hasattr(plain, "isoformat"):
        return plain.isoformat()
    return plain


def build(tables: list[TypedTable], target: Path) -> Path:
    """Write the database to ``target`` (which must not exist) and return it."""
    connection = sqlite3.connect(target)
    try:
        connection.execute("PRAGMA page_size = 4096")
        connection.execute("PRAGMA journal_mode = OFF")
        for table in tables:
            connection.execute(create_table(table))
        for table in tables:
            fields = table.schema.fields
            columns = [table.frame[f.name].astype(object).tolist() for f in fields]
            rows = [
                tuple(_sql_value(v, f.type) for v, f in zip(values, fields, strict=True))
                for values in zip(*columns, strict=True)
            ]
            placeholders = ", ".join("?" for _ in fields)
            names = ", ".join(quote(f.name) for f in fields)
            connection.executemany(
                f"INSERT INTO {quote(table.name)} ({names}) VALUES ({placeholders})", rows
            )
        connection.commit()
        broken = connection.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            shown = "; ".join(f"{t} row {r} → {p}" for t, r, p, _ in broken[:10])
            raise ReleaseError(f"the SQLite database breaks {len(broken)} foreign key(s): {shown}")
        connection.execute("VACUUM")
    finally:
        connection.close()
    return target
