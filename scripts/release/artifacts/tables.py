"""The package's tables as typed DataFrames (the loader's one type map): xlsx, Parquet, SQLite."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ReleaseStepError


@dataclass
class TypedTable:
    name: str
    resource: dict[str, Any]
    schema: Any  # cnplans.datapackage.table_schema.TableSchema
    frame: pd.DataFrame


def read_all(root: Path, descriptor: dict[str, Any]) -> list[TypedTable]:
    """Every table of the package in ``root``, in descriptor order."""
    from cnplans.datapackage import read_schema
    from cnplans.loader import read_table

    tables = []
    for resource in descriptor["resources"]:
        name = str(resource["name"])
        schema = read_schema(root, resource)
        try:
            frame = read_table(root, name)
        except ValueError as exc:  # a DataError, or e.g. a date pandas cannot hold
            raise ReleaseStepError(f"cannot read table {name!r} for the artifacts: {exc}") from None
        tables.append(TypedTable(name, dict(resource), schema, frame))
    return tables
