"""The package's tables as typed DataFrames, read by the loader with the Table Schema types.

The xlsx, Parquet and SQLite artifacts all start from these frames, so every type comes from
``cnplans.datapackage.table_schema`` (the one type map) and is never declared again here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from ..errors import ReleaseError


@dataclass
class TypedTable:
    name: str
    resource: dict[str, Any]
    schema: Any  # cnplans.datapackage.table_schema.TableSchema
    frame: pd.DataFrame


def read_all(root: Path, descriptor: dict[str, Any]) -> list[TypedTable]:
    """Every table of the package in ``root``, in descriptor order."""
    from cnplans.datapackage.table_schema import TableSchema
    from cnplans.loader import DataError, read_table

    tables = []
    for resource in descriptor["resources"]:
        name = str(resource["name"])
        declared = resource.get("schema")
        if isinstance(declared, dict):
            schema = TableSchema.from_descriptor(declared)
        else:
            schema = TableSchema.from_path(root.joinpath(*PurePosixPath(str(declared)).parts))
        try:
            frame = read_table(root, name)
        except (DataError, ValueError) as exc:  # ValueError: e.g. a date pandas cannot hold
            raise ReleaseError(f"cannot read table {name!r} for the artifacts: {exc}") from None
        tables.append(TypedTable(name, dict(resource), schema, frame))
    return tables


def python_value(value: Any, field_type: str) -> Any:
    """A cell as a plain Python value: None for missing, int/float/bool/str, dates as dates."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if field_type == "date" else value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value
