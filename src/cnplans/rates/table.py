"""Reading and writing the ``exchange_rates`` CSV file as rows of text.

Values stay the text written in the file (``6.4630`` keeps its trailing zero), so rewriting the
table changes only the cells that really changed. Standard library only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from cnplans.atomic import write_bytes

# The columns the updater needs; the file's own header decides the order of all columns.
KEY_COLUMNS: tuple[str, ...] = ("currency", "year", "provider")
REQUIRED_COLUMNS: tuple[str, ...] = (
    *KEY_COLUMNS,
    "units_per_usd",
    "series",
    "source_url",
    "retrieved",
    "note",
)

Key = tuple[str, int, str]


class RatesTableError(ValueError):
    """The exchange-rate file cannot be read as a table the updater can rewrite."""


@dataclass
class RatesTable:
    """The rows of the exchange-rate file, keyed by (currency, year, provider)."""

    path: Path
    header: list[str]
    rows: dict[Key, dict[str, str]]

    def render(self) -> bytes:
        """The file's bytes: header, then rows sorted by the primary key, LF line endings."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.header)
        for key in sorted(self.rows):
            row = self.rows[key]
            writer.writerow([row.get(column, "") for column in self.header])
        return buffer.getvalue().encode("utf-8")

    def write(self) -> None:
        """Replace the file atomically with :meth:`render`."""
        write_bytes(self.path, self.render())


def read_table(path: Path) -> RatesTable:
    """Read the exchange-rate file; :class:`RatesTableError` names the line that is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RatesTableError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RatesTableError(f"{path}: cannot read the file ({error})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise RatesTableError(f"{path}: the file is empty; expected a header line")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise RatesTableError(f"{path}: line 1: the header lacks {', '.join(missing)}")
    rows: dict[Key, dict[str, str]] = {}
    first_line = 2
    for cells in reader:
        line = first_line
        first_line = reader.line_num + 1
        if len(cells) != len(header):
            raise RatesTableError(
                f"{path}: line {line}: expected {len(header)} cells, found {len(cells)}"
            )
        row = dict(zip(header, cells, strict=True))
        if not row["year"].isdigit() or len(row["year"]) != 4:
            raise RatesTableError(
                f"{path}: line {line}: column year: expected a four-digit year, "
                f"found {row['year']!r}"
            )
        key = (row["currency"], int(row["year"]), row["provider"])
        if key in rows:
            raise RatesTableError(
                f"{path}: line {line}: a second row for currency {key[0]}, year {key[1]}, "
                f"provider {key[2]}"
            )
        rows[key] = row
    return RatesTable(path, header, rows)
