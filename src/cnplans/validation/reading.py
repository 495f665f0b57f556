"""Reading a CSV file as text cells, with the physical line each row starts on.

The file is read once into memory (bounded by a size limit) and scanned with numpy for the
things a CSV reader silently tolerates (byte order mark, line ends, RFC 4180 quoting, blank
lines), then parsed by pyarrow into a DataFrame of strings (pyarrow also checks the UTF-8).
Line numbers come from the same vectorized scan: a newline ends a record exactly when an even
number of double quotes precedes it (a doubled quote inside a quoted cell counts two), so the
start line of every record is known without a Python loop per row. Cells are counted per
record (another pass, over commas) only when the parser reports a row of the wrong width.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cnplans.validation.problems import Problem

BOM = b"\xef\xbb\xbf"
QUOTE, NEWLINE, COMMA = 0x22, 0x0A, 0x2C
_CHUNK_BYTES = 1 << 22  # scan in 4 MiB pieces so the scratch buffer stays in cache


@dataclass
class CsvText:
    """A CSV file read as text: its header and its data rows indexed by physical start line."""

    header: list[str]
    rows: pd.DataFrame  # str cells; columns named by the header (first of duplicate names)


@dataclass
class _Records:
    starts: np.ndarray  # byte offset where each record starts (record 0 is the header)
    ends: np.ndarray  # byte offset just past each record (past its newline, if any)
    lines: np.ndarray  # physical line each record starts on
    quotes: np.ndarray  # byte offsets of every double quote
    terminators: np.ndarray  # byte offsets of the newlines that end records
    quoted_newlines: bool  # some newline lies inside a quoted cell


def _positions(arr: np.ndarray, byte: int) -> np.ndarray:
    """Offsets of every occurrence of ``byte`` in ``arr``, scanning in cache-sized chunks."""
    scratch = np.empty(min(arr.size, _CHUNK_BYTES), dtype=bool)
    found = []
    for start in range(0, arr.size, _CHUNK_BYTES):
        chunk = arr[start : start + _CHUNK_BYTES]
        hits = scratch[: chunk.size]
        np.equal(chunk, byte, out=hits)
        found.append(np.flatnonzero(hits) + start)
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _line_of(newlines: np.ndarray, offset: int) -> int:
    """Physical line (1-based) holding byte ``offset``."""
    return int(np.searchsorted(newlines, offset)) + 1


def _decode_problem(data: bytes, label: str, error: UnicodeDecodeError) -> Problem:
    line = data.count(b"\n", 0, error.start) + 1
    found = " ".join(f"0x{b:02X}" for b in data[error.start : error.start + 4])
    hint = ""
    try:
        data.decode("gb18030")
        hint = " It looks like Chinese text saved as GBK/GB18030;"
    except UnicodeDecodeError:
        pass
    return Problem(
        label,
        line,
        None,
        "encoding",
        f"the file is not valid UTF-8: line {line} has the bytes {found}, which are not UTF-8."
        f"{hint} expected UTF-8 text: open the file and save it again as 'UTF-8'.",
    )


def _encoding_problem(data: bytes, label: str) -> Problem | None:
    """The first non-UTF-8 bytes of ``data`` as a problem, or None when it is all UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return _decode_problem(data, label, error)
    return None


def _syntax_problem(
    arr: np.ndarray, quotes: np.ndarray, newlines: np.ndarray, label: str
) -> Problem | None:
    """The first RFC 4180 quoting error, or None.

    Quotes alternate between opening and closing. An opening quote (even position in the list)
    must start a cell or be the second of a doubled quote; a closing quote must end the cell or
    be the first of a doubled quote.
    """
    if not quotes.size:
        return None
    size = arr.size
    order = np.arange(quotes.size)
    opening = quotes[(order & 1) == 0]
    closing = quotes[(order & 1) == 1]
    before = arr[np.maximum(opening - 1, 0)]
    bad_open = opening[(opening > 0) & ~np.isin(before, (COMMA, NEWLINE, QUOTE))]
    after = arr[np.minimum(closing + 1, size - 1)]
    bad_close = closing[(closing + 1 < size) & ~np.isin(after, (COMMA, NEWLINE, QUOTE))]
    offenders = []
    if bad_open.size:
        offenders.append(
            (
                int(bad_open[0]),
                "a double quote appears inside a cell that does not start with one; "
                'expected the whole cell in double quotes with each inner quote doubled ("")',
            )
        )
    if bad_close.size:
        offenders.append(
            (
                int(bad_close[0]),
                "a quoted cell is followed by other characters; expected a comma or the end "
                "of the line right after the closing double quote",
            )
        )
    if offenders:
        offset, message = min(offenders)
        return Problem(label, _line_of(newlines, offset), None, "csv-syntax", message)
    if quotes.size % 2 == 1:
        start = _line_of(newlines, int(quotes[-1]))
        return Problem(
            label,
            start,
            None,
            "csv-syntax",
            f"a quoted cell that starts on line {start} is never closed; "
            "expected a closing double quote",
        )
    return None


def _records(arr: np.ndarray, label: str) -> tuple[_Records | None, Problem | None]:
    """Where each record starts and on which line; or the first quoting error."""
    quotes = _positions(arr, QUOTE)
    newlines = _positions(arr, NEWLINE)
    problem = _syntax_problem(arr, quotes, newlines, label)
    if problem is not None:
        return None, problem
    if quotes.size:
        terminator_index = np.flatnonzero((np.searchsorted(quotes, newlines) & 1) == 0)
    else:
        terminator_index = np.arange(newlines.size)
    terminators = newlines[terminator_index]
    starts = np.concatenate(([0], terminators + 1))
    lines = np.concatenate(([1], terminator_index + 2))
    ends = np.concatenate((terminators + 1, [arr.size]))
    if starts[-1] == arr.size:  # the file ends with a newline: no record after it
        starts, lines, ends = starts[:-1], lines[:-1], ends[:-1]
    quoted_newlines = terminators.size != newlines.size
    return _Records(starts, ends, lines, quotes, terminators, quoted_newlines), None


def _cell_counts(arr: np.ndarray, records: _Records) -> np.ndarray:
    """Number of cells in each record: separating commas (outside quotes) plus one."""
    commas = _positions(arr, COMMA)
    if records.quotes.size:
        commas = commas[(np.searchsorted(records.quotes, commas) & 1) == 0]
    record_of_comma = np.searchsorted(records.terminators, commas)
    counts = np.bincount(record_of_comma, minlength=records.starts.size)
    return counts[: records.starts.size] + 1


def _ragged(arr: np.ndarray, records: _Records, label: str) -> tuple[np.ndarray, list[Problem]]:
    """Records whose cell count differs from the header's; returns (keep mask, problems)."""
    counts = _cell_counts(arr, records)
    expected = int(counts[0])
    blank = (records.ends - records.starts) - (arr[np.maximum(records.ends - 1, 0)] == NEWLINE) == 0
    keep = (counts == expected) & ~(blank & (expected > 1))
    keep[0] = True
    problems = []
    for index in np.flatnonzero(~keep):  # only the bad records, usually none
        line = int(records.lines[index])
        found = int(counts[index])
        if blank[index]:
            message = f"the line is blank; expected a row of {expected} cells (remove the line)"
        elif found > expected:
            message = (
                f"the row has {_cells(found)} but the header has {expected}; "
                "expected one cell per column (a comma inside a cell needs double quotes around "
                "the cell)"
            )
        else:
            message = (
                f"the row has {_cells(found)} but the header has {expected}; "
                "expected one cell per column (empty cells still need their commas)"
            )
        problems.append(Problem(label, line, None, "ragged-row", message))
    return keep, problems


def _cells(count: int) -> str:
    return "1 cell" if count == 1 else f"{count} cells"


def _without_records(data: bytes, records: _Records, keep: np.ndarray) -> bytes:
    """The file's bytes with the records not kept cut out."""
    if keep.all():
        return data
    pieces = []
    position = 0
    for index in np.flatnonzero(~keep):
        pieces.append(data[position : int(records.starts[index])])
        position = int(records.ends[index])
    pieces.append(data[position:])
    return b"".join(pieces)


class _WrongWidth(Exception):
    """pyarrow met a row with the wrong number of cells."""


def _parse(data: bytes, columns: int, quoted_newlines: bool, lone_cr: bool) -> pd.DataFrame:
    """Parse CSV bytes into a DataFrame of strings (header row included).

    Raises :class:`_WrongWidth` when a row has the wrong number of cells, ``UnicodeError``
    when the bytes are not UTF-8.
    """
    names = [f"c{i}" for i in range(columns)]
    if lone_cr:
        # pyarrow ends lines at a bare carriage return; pandas' C reader can be told not to.
        return pd.read_csv(
            io.BytesIO(data),
            header=None,
            names=names,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            lineterminator="\n",
            encoding="utf-8",
            engine="c",
        )
    import pyarrow as pa
    import pyarrow.csv as pacsv

    wrong_width = []

    def invalid_row(row: object) -> str:
        wrong_width.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=quoted_newlines,
                ignore_empty_lines=False,
                invalid_row_handler=invalid_row,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        if "UTF8" in str(error) or "UTF-8" in str(error):
            raise UnicodeError(str(error)) from None
        raise
    if wrong_width:
        raise _WrongWidth()
    return table.to_pandas()


def _line_ending_problem(data: bytes, label: str) -> Problem:
    crlf = data.find(b"\r\n")
    position = crlf if crlf >= 0 else data.find(b"\r")
    line = data.count(b"\n", 0, position) + 1
    count = data.count(b"\r")
    more = f" ({count} carriage returns in the file)" if count > 1 else ""
    if crlf >= 0:
        found = "Windows line ends (CR LF)"
    else:
        found = "a carriage return (CR) without a line feed"
    return Problem(
        label,
        line,
        None,
        "line-ending",
        f"expected Unix line ends (LF only), found {found} on line {line}{more}; "
        "save the file with LF line endings",
    )


def _unreadable(label: str, error: OSError) -> Problem:
    reason = error.strerror or str(error)
    return Problem(label, None, None, "unreadable-file", f"the file cannot be read: {reason}")


def read_csv_text(file: Path, label: str, max_bytes: int) -> tuple[CsvText | None, list[Problem]]:
    """Read ``file`` (named ``label`` in problems) as CSV text cells with physical line numbers.

    Returns the text (or None when the file cannot be used at all) and the file-level problems:
    ``missing-file``, ``unreadable-file``, ``file-too-large``, ``empty-file``, ``bom``,
    ``encoding``, ``line-ending``, ``csv-syntax``, ``ragged-row``, ``header``. Ragged rows are
    reported and left out; the other rows are still returned.
    """
    try:
        size = file.stat().st_size
    except FileNotFoundError:
        return None, [Problem(label, None, None, "missing-file", "the file does not exist")]
    except OSError as error:
        return None, [_unreadable(label, error)]
    if not file.is_file():
        return None, [
            Problem(label, None, None, "unreadable-file", "expected a file, found a folder")
        ]
    if size > max_bytes:
        return None, [
            Problem(
                label,
                None,
                None,
                "file-too-large",
                f"the file has {size:,} bytes, more than the limit of {max_bytes:,} bytes; "
                "raise the limit with --max-file-size-mb if this is intended",
            )
        ]
    try:
        data = file.read_bytes()
    except OSError as error:
        return None, [_unreadable(label, error)]
    return parse_csv_bytes(data, label)


def parse_csv_bytes(data: bytes, label: str) -> tuple[CsvText | None, list[Problem]]:
    """The checks and parsing of :func:`read_csv_text`, on bytes already in memory."""
    problems: list[Problem] = []
    if data.startswith(BOM):
        problems.append(
            Problem(
                label,
                1,
                None,
                "bom",
                "the file starts with a byte order mark (BOM); expected UTF-8 without a BOM "
                "(save as 'UTF-8', not 'UTF-8 with BOM')",
            )
        )
        data = data[len(BOM) :]
    if not data or data.isspace():
        problems.append(
            Problem(label, None, None, "empty-file", "the file is empty; expected a header row")
        )
        return None, problems
    lone_cr = False
    if b"\r" in data:
        problems.append(_line_ending_problem(data, label))
        data = data.replace(b"\r\n", b"\n")
        lone_cr = b"\r" in data
        if lone_cr:
            encoding = _encoding_problem(data, label)
            if encoding is not None:
                return None, [*problems, encoding]

    arr = np.frombuffer(data, dtype=np.uint8)
    records, syntax = _records(arr, label)
    if records is None:
        encoding = _encoding_problem(data, label)  # mojibake often looks like bad quoting
        return None, [*problems, encoding or syntax]  # type: ignore[list-item]
    try:
        header_text = data[int(records.starts[0]) : int(records.ends[0])].decode("utf-8")
    except UnicodeDecodeError:
        return None, [*problems, _encoding_problem(data, label)]  # type: ignore[list-item]
    header = next(csv.reader(io.StringIO(header_text, newline="")), [])
    if not any(name.strip() for name in header):
        problems.append(
            Problem(label, 1, None, "header", "the first line is blank; expected the header row")
        )
        return None, problems

    columns = len(header)
    keep = np.ones(records.starts.size, dtype=bool)
    try:
        if lone_cr or _has_blank_record(arr, records):
            raise _WrongWidth()
        parsed = _parse(data, columns, records.quoted_newlines, lone_cr)
    except _WrongWidth:
        keep, ragged = _ragged(arr, records, label)
        problems.extend(ragged)
        try:
            parsed = _parse(
                _without_records(data, records, keep), columns, records.quoted_newlines, lone_cr
            )
        except (_WrongWidth, UnicodeError, ValueError) as error:
            return None, [*problems, _unparsable(data, label, error)]
    except (UnicodeError, ValueError) as error:
        return None, [*problems, _unparsable(data, label, error)]
    lines = records.lines[keep]
    if len(parsed) != lines.size:
        problems.append(
            Problem(
                label,
                None,
                None,
                "csv-syntax",
                f"the CSV reader found {len(parsed)} records where the line scan found "
                f"{lines.size}; expected RFC 4180 CSV",
            )
        )
        return None, problems
    rows = parsed.iloc[1:]
    first_of_name: dict[str, str] = {}
    for position, name in enumerate(header):
        first_of_name.setdefault(name, f"c{position}")
    rows = rows[list(first_of_name.values())]
    rows.columns = pd.Index(list(first_of_name.keys()))
    rows.index = pd.Index(lines[1:].astype(np.int64), name="line")
    return CsvText(header=header, rows=rows), problems


def _has_blank_record(arr: np.ndarray, records: _Records) -> bool:
    """Whether a data record is an empty line (pyarrow would read it as a row of empties)."""
    lengths = records.ends[1:] - records.starts[1:]
    return bool(((lengths == 1) & (arr[records.starts[1:]] == NEWLINE)).any())


def _unparsable(data: bytes, label: str, error: Exception) -> Problem:
    """The problem for bytes the CSV reader refused after the scan found no quoting error."""
    encoding = _encoding_problem(data, label)
    if encoding is not None:
        return encoding
    return Problem(label, None, None, "csv-syntax", f"the file cannot be parsed as CSV: {error}")


def header_problems(header: list[str], expected: list[str], label: str) -> list[Problem]:
    """Compare the header row with the schema's field names (same names, same order)."""
    if header == expected:
        return []
    problems = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if name in seen:
            problems.append(
                Problem(
                    label,
                    1,
                    name,
                    "header",
                    f"column {position} repeats the name {name!r}; expected each column name once",
                )
            )
        seen.add(name)
    known = set(expected)
    for position, name in enumerate(header, start=1):
        if name not in known:
            shown = repr(name) if name.strip() else "an empty name"
            problems.append(
                Problem(
                    label,
                    1,
                    name or None,
                    "unknown-column",
                    f"column {position} has {shown}, which the schema does not define; "
                    f"expected only these columns: {', '.join(expected)}",
                )
            )
    present = set(header)
    for name in expected:
        if name not in present:
            problems.append(
                Problem(
                    label,
                    1,
                    name,
                    "missing-column",
                    f"the header has no column {name!r}, which the schema requires; "
                    f"expected these columns in this order: {', '.join(expected)}",
                )
            )
    common_in_file = [name for name in dict.fromkeys(header) if name in known]
    common_expected = [name for name in expected if name in present]
    if common_in_file != common_expected:
        problems.append(
            Problem(
                label,
                1,
                None,
                "header",
                "the columns are in the wrong order; expected "
                f"{', '.join(common_expected)}; found {', '.join(common_in_file)}",
            )
        )
    return problems
