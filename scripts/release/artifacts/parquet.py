"""One Parquet file per table, with Arrow types from the loader's typed frames.

Nullable integers stay integers, enums are dictionary-encoded, dates are Arrow dates, and each
field's title and description travel as Arrow field metadata.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .tables import TypedTable


def build(tables: list[TypedTable], folder: Path, prefix: str) -> None:
    """Write ``<prefix><table>.parquet`` for every table into ``folder``."""
    for table in tables:
        arrow = pa.Table.from_pandas(table.frame, preserve_index=False)
        fields = []
        for field in table.schema.fields:
            arrow_field = arrow.schema.field(field.name)
            if field.type == "date":
                arrow_field = arrow_field.with_type(pa.date32())
            metadata = {"title": field.title, "description": field.description}
            fields.append(arrow_field.with_metadata({k: v for k, v in metadata.items() if v}))
        schema = pa.schema(fields, metadata=arrow.schema.metadata)
        arrow = arrow.select([f.name for f in table.schema.fields]).cast(schema)
        pq.write_table(arrow, folder / f"{prefix}{table.name}.parquet", compression="snappy")
