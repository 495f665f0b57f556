"""Write loaded tables to a folder as CSV, Excel or Parquet, each file written atomically.

CSV and Parquet give one file per table (``<table>.csv``, ``<table>.parquet``); Excel gives one
workbook, ``cnplans.xlsx``, with one sheet per table. Every file is first written to a temporary
file in the target folder and then renamed over the final name, so a reader never sees half a
file and a failure leaves the previous export untouched.

>>> import tempfile
>>> from pathlib import Path
>>> import pandas as pd
>>> folder = Path(tempfile.mkdtemp())
>>> [p.name for p in export({"t": pd.DataFrame({"a": [1, 2]})}, folder, "csv")]
['t.csv']
>>> (folder / "t.csv").read_text()
'a\\n1\\n2\\n'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cnplans.atomic import write_with

if TYPE_CHECKING:  # pandas is imported by the code that loads the frames, not by the CLI parser
    import pandas as pd

FORMATS = ("csv", "xlsx", "parquet")
WORKBOOK_NAME = "cnplans.xlsx"


def export(frames: dict[str, pd.DataFrame], folder: Path, fmt: str = "csv") -> list[Path]:
    """Write ``frames`` (table name -> DataFrame) into ``folder`` in format ``fmt``.

    Creates ``folder`` if needed and returns the paths written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        target = folder / WORKBOOK_NAME
        write_with(target, lambda tmp: _write_workbook(frames, tmp))
        return [target]
    written = []
    for name, frame in frames.items():
        target = folder / f"{name}.{fmt}"
        write_with(target, _table_writer(frame, fmt))
        written.append(target)
    return written


def _table_writer(frame: pd.DataFrame, fmt: str) -> Callable[[Path], object]:
    """A function writing ``frame`` to a given path as CSV or Parquet."""

    def write(path: Path) -> None:
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)

    return write


def _write_workbook(frames: dict[str, pd.DataFrame], path: Path) -> None:
    import pandas as pd

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)  # Excel caps names at 31
