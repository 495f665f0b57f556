"""Reading a CSV file as text cells, with the physical line each row starts on.

A file byte for byte in the package's CSV form (the form every table is kept in) is read by
pyarrow's streaming CSV reader, which checks that form on the way (:func:`_read_in_form`):
at a million target rows (2 CPUs, 2026-12-04) loading the package took 7.4 s and left no form
check to run, against 10.7 s and 14.3 s for the form check with the ``csv`` module alone.

Any other file goes through the ``csv`` module, line by line (split at LF only), whose
``line_num`` counts physical lines; what it tolerates (a BOM, CR, a quote inside an unquoted
cell, blank or ragged rows) is checked on the way, and each problem is worded with its line.
Cells are gathered column by column, so the bytes are never held whole beside them, except to
word a problem that ends the reading.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from cnplans.datapackage import file_kind
from cnplans.datapackage.csv_form import render_rows, text_columns
from cnplans.validation.problems import Problem

if TYPE_CHECKING:
    import pandas as pd

    from cnplans.datapackage.table_schema import TableSchema

BOM = b"\xef\xbb\xbf"
# Limits of one table, each told as a problem at its line: a cell of megabytes is no quote, and
# a header of more columns than any schema has would cost minutes to compare.
MAX_ROW_BYTES = 1 << 22
MAX_COLUMNS = 1_000
# The rules of the problems :func:`read_csv_text` reports about a file (the one list of them).
READING_RULES: tuple[str, ...] = (
    "missing-file",
    "unreadable-file",
    "file-too-large",
    "empty-file",
    "bom",
    "encoding",
    "line-ending",
    "csv-syntax",
    "ragged-row",
    "row-too-large",
    "header",
)
csv.field_size_limit(max(csv.field_size_limit(), MAX_ROW_BYTES))
_LONE_CR = "\ue000"  # stands for a carriage return inside a line while the csv module reads it
_CELL = r'(?:"[^"]*(?:""[^"]*)*"|[^",\n]*)'
_QUOTED_RECORD = re.compile(rf"{_CELL}(?:,{_CELL})*\n?")  # RFC 4180 quoting, on quoted records
# Files from this size up are tried with pyarrow's reader first (below it, its setting-up costs
# more than it saves: the real package's nine small files load about 20 ms slower with it).
IN_FORM_READ_MIN_BYTES = 1 << 18
_BATCH_ROWS = 1 << 12  # rows gathered into columns at a time (larger batches measured slower)
_SYNTAX_MESSAGES = (
    "a double quote appears inside a cell that does not start with one; "
    'expected the whole cell in double quotes with each inner quote doubled ("")',
    "a quoted cell is followed by other characters; expected a comma or the end "
    "of the line right after the closing double quote",
)


@dataclass
class CsvText:
    """A CSV file read as text: its header and its data rows indexed by physical start line."""

    header: list[str]
    rows: pd.DataFrame  # str cells; columns named by the header (first of duplicate names)
    in_form: bool = False  # known to be byte for byte the package's CSV form (see _read_in_form)


def _encoding_problem(data: bytes, label: str) -> Problem | None:
    """The first non-UTF-8 bytes of ``data`` as a problem, or None when it is all UTF-8."""
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        found = " ".join(f"0x{b:02X}" for b in data[error.start : error.start + 4])
    hint = ""
    try:
        data.decode("gb18030")
        hint = " It looks like Chinese text saved as GBK/GB18030;"
    except UnicodeDecodeError:
        pass
    message = (
        f"the file is not valid UTF-8: line {line} has the bytes {found}, which are not UTF-8."
        f"{hint} expected UTF-8 text: open the file and save it again as 'UTF-8'."
    )
    return Problem(label, line, None, "encoding", message)


def _line_ending_problems(data: bytes, label: str) -> list[Problem]:
    if b"\r" not in data:
        return []
    crlf = data.find(b"\r\n")
    position = crlf if crlf >= 0 else data.find(b"\r")
    line = data.count(b"\n", 0, position) + 1
    count = data.count(b"\r")
    more = f" ({count} carriage returns in the file)" if count > 1 else ""
    found = (
        "Windows line ends (CR LF)" if crlf >= 0 else "a carriage return (CR) without a line feed"
    )
    message = (
        f"expected Unix line ends (LF only), found {found} on line {line}{more}; "
        "save the file with LF line endings"
    )
    return [Problem(label, line, None, "line-ending", message)]


def _misquoted(record: str, start: int, label: str) -> Problem | None:
    """The first quoting error in ``record`` (which starts on line ``start``), or None.

    Quotes alternate: an opening one starts a cell or doubles, a closing one ends it or doubles.
    """
    quotes = [match.start() for match in re.finditer('"', record)]
    for index, position in enumerate(quotes):
        closing = index % 2 == 1
        if closing:
            bad = record[position + 1 : position + 2] not in ("", ",", "\n", '"')
        else:
            bad = position > 0 and record[position - 1] not in ',\n"'
        if bad:
            line = start + record.count("\n", 0, position)
            message = _SYNTAX_MESSAGES[closing]
            opened = start + record.count("\n", 0, quotes[index - 1]) if closing else line
            if opened != line:
                message += (
                    f" (the quoted cell starts on line {opened}: a double quote there "
                    "may be missing its pair)"
                )
            return Problem(label, line, None, "csv-syntax", message)
    if len(quotes) % 2:
        line = start + record.count("\n", 0, quotes[-1])
        message = f"a quoted cell that starts on line {line} is never closed; "
        return Problem(label, line, None, "csv-syntax", message + "expected a closing double quote")
    return None


def _too_large(label: str, line: int, size: int) -> Problem:
    message = (
        f"the row is {size:,} bytes long, more than the limit of {MAX_ROW_BYTES:,} bytes for "
        "one row (a fixed limit of the CSV reader); expected cells of a few sentences: a quote "
        "is the passage that states the row"
    )
    return Problem(label, line, None, "row-too-large", message)


def _ragged(label: str, line: int, found: int, expected: int) -> Problem:
    if not found:
        message = f"the line is blank; expected a row of {expected} cells (remove the line)"
    else:
        cells = "1 cell" if found == 1 else f"{found} cells"
        hint = (
            "a comma inside a cell needs double quotes around the cell"
            if found > expected
            else "empty cells still need their commas"
        )
        message = (
            f"the row has {cells} but the header has {expected}; "
            f"expected one cell per column ({hint})"
        )
    return Problem(label, line, None, "ragged-row", message)


class _Stop(Exception):
    """A problem that ends the reading (None: bytes that are not UTF-8)."""

    def __init__(self, problem: Problem | None, syntax: bool = False) -> None:
        super().__init__()
        self.problem, self.syntax = problem, syntax


class _Lines:
    """The decoded lines of a file, keeping those of the record being read."""

    def __init__(self, raw: Iterable[bytes]) -> None:
        self.raw, self.pending, self.carriage_returns = raw, list[str](), False

    def __iter__(self) -> Iterator[str]:
        for raw in self.raw:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _Stop(None) from None
            if "\r" in text:
                self.carriage_returns = True
                text = text.replace("\r\n", "\n").replace("\r", _LONE_CR)
            self.pending.append(text)
            yield text

    def record(self, start: int, label: str, cells: list[str]) -> None:
        """Check the quoting and size of the record just read (from line ``start``).

        ``csv`` keeps a quote inside an unquoted cell as text, so such records are matched
        against RFC 4180.
        """
        pending = self.pending
        record = pending[0] if len(pending) == 1 else "".join(pending)
        pending.clear()
        if '"' in "".join(cells) and _QUOTED_RECORD.fullmatch(record) is None:
            raise _Stop(_misquoted(record, start, label), syntax=True)
        if len(record) > MAX_ROW_BYTES // 4 and len(record.encode()) > MAX_ROW_BYTES:
            raise _Stop(_too_large(label, start, len(record.encode())))


def _read(
    stream: BinaryIO, label: str, whole: Callable[[], bytes]
) -> tuple[CsvText | None, list[Problem]]:
    """Read the CSV ``stream``; ``whole()`` gives its bytes, to word a problem that ends it."""
    import pandas as pd  # here, not above: the package's metadata is sent off before this import
    import pyarrow as pa

    found: list[Problem] = []
    first = stream.readline()
    if first.startswith(BOM):
        message = (
            "the file starts with a byte order mark (BOM); expected UTF-8 without a BOM "
            "(save as 'UTF-8', not 'UTF-8 with BOM')"
        )
        found.append(Problem(label, 1, None, "bom", message))
        first = first[len(BOM) :]
    lines = _Lines(itertools.chain([first], stream))
    reader = csv.reader(lines, strict=True)
    ragged: list[Problem] = []
    done = 0  # physical lines of the records read
    try:
        header = next(reader, [])
        if not any(name.strip() for name in header):
            data = whole().removeprefix(BOM)
            if not data or data.isspace():
                message = "the file is empty; expected a header row"
                return None, [*found, Problem(label, None, None, "empty-file", message)]
            message = "the first line is blank; expected the header row"
            raise _Stop(Problem(label, 1, None, "header", message))
        lines.record(1, label, header)
        if len(header) > MAX_COLUMNS:
            message = (
                f"the header has {len(header):,} columns, more than the limit of "
                f"{MAX_COLUMNS:,}; expected the schema's fields (a fixed limit of the validator)"
            )
            raise _Stop(Problem(label, 1, None, "header", message))
        first_of: dict[str, int] = {}
        for position, name in enumerate(header):
            first_of.setdefault(name, position)
        columns: list[list[Any]] = [[] for _ in first_of]  # pyarrow arrays, a batch each
        starts: list[int] = []
        batch: list[list[str]] = []
        width, done = len(header), reader.line_num
        for row in reader:
            start, done = done + 1, reader.line_num
            lines.record(start, label, row)
            if len(row) != width and (row or width > 1):
                ragged.append(_ragged(label, start, len(row), width))
                continue
            batch.append(row or [""])
            starts.append(start)
            if len(batch) == _BATCH_ROWS:
                _gather(batch, first_of.values(), columns, lines.carriage_returns)
        _gather(batch, first_of.values(), columns, lines.carriage_returns)
    except (_Stop, csv.Error) as error:
        data = whole().removeprefix(BOM)
        if isinstance(error, _Stop):
            problem, syntax = error.problem, error.syntax
        else:
            record = "".join(lines.pending)
            problem, syntax = _misquoted(record, done + 1, label), True
            if problem is None and "field larger" in str(error):
                problem = _too_large(label, done + 1, len(record.encode()))
            elif problem is None:
                message = f"the file cannot be parsed as CSV: {error}"
                problem = Problem(label, None, None, "csv-syntax", message)
        if problem is None or syntax:  # mojibake often looks like bad quoting
            problem = _encoding_problem(data, label) or problem
        assert problem is not None
        return None, [*found, *_line_ending_problems(data, label), *ragged, problem]
    if lines.carriage_returns:
        found += _line_ending_problems(whole().removeprefix(BOM), label)
    arrays = [pa.chunked_array(chunks, type=pa.large_string()) for chunks in columns]
    rows = pa.Table.from_arrays(arrays, names=list(first_of)).to_pandas()
    rows.index = pd.Index(starts, dtype="int64", name="line")
    return CsvText(header, rows), [*found, *ragged]


def _gather(
    batch: list[list[str]], positions: Iterable[int], columns: list[list[Any]], lone_cr: bool
) -> None:
    """Move the cells at ``positions`` of the rows of ``batch`` into ``columns`` (pyarrow)."""
    import pyarrow as pa

    cells = list(zip(*batch, strict=True))
    for position, column in zip(positions, columns, strict=True):
        texts = cells[position] if cells else ()
        if lone_cr:
            texts = tuple(text.replace(_LONE_CR, "\r") for text in texts)
        column.append(pa.array(texts, type=pa.large_string()))
    batch.clear()


def file_too_large(label: str, size: int, limit: int) -> Problem:
    """The problem of a file of ``size`` bytes, above the ``limit`` of the bytes read."""
    message = (
        f"the file has {size:,} bytes, more than the limit of {limit:,} bytes; "
        "raise the limit with --max-file-size-mb if this is intended"
    )
    return Problem(label, None, None, "file-too-large", message)


def _unreadable(label: str, error: OSError) -> Problem:
    reason = error.strerror or str(error)
    return Problem(label, None, None, "unreadable-file", f"the file cannot be read: {reason}")


def _arrow_quoted(cells: Any) -> Any:
    """Each cell in double quotes, its inner quotes doubled (pyarrow large_string cells)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    quote, nothing = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
    return pc.binary_join_element_wise(
        quote, pc.replace_substring(cells, '"', '""'), quote, nothing
    )


def _arrow_records(columns: list[Any], text_columns: Collection[int]) -> Any:
    """The records of ``columns`` (large_string cells) in the package's CSV form, LF ended:
    :func:`~cnplans.datapackage.csv_form.render_rows` of the same rows, by pyarrow's kernels."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = []
    for position, column in enumerate(columns):
        if position in text_columns:
            quoted = pc.not_equal(column, pa.scalar("", pa.large_string()))
        else:  # as QUOTE_MINIMAL writes it (the file has no CR: see _read_in_form)
            quoted = pc.match_substring_regex(column, '[,"\n]')
        cells.append(pc.if_else(quoted, _arrow_quoted(column), column))
    comma, newline = pa.scalar(",", pa.large_string()), pa.scalar("\n", pa.large_string())
    records = pc.binary_join_element_wise(*cells, comma)
    return pc.binary_join_element_wise(records, newline, pa.scalar("", pa.large_string()))


def _read_in_form(file: Path, schema: TableSchema) -> CsvText | None:
    """``file`` read by pyarrow's CSV reader, when it is byte for byte the package's CSV form of
    the cells read (with the text columns of ``schema``); else None, and
    :func:`_read` reads it and words its problems.

    Such a file is RFC 4180 with at least two columns, distinct names, no BOM, CR, blank line,
    ragged or oversized row, so the ``csv`` module reads the same cells from it; a record's
    physical start line is counted from the line feeds in the cells before it. Each batch of
    pyarrow's streaming reader is rendered and compared as it comes, so only the cells stay.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pv

    from cnplans.validation.vectorized import spans

    with file.open("rb") as data:
        first = data.readline()
        if first.startswith(BOM) or not first.endswith(b"\n") or b"\r" in first:
            return None
        try:
            header = next(csv.reader([first.decode("utf-8")]), [])
        except (UnicodeDecodeError, csv.Error):
            return None
        if not 2 <= len(header) <= MAX_COLUMNS or len(set(header)) != len(header):
            return None
        if render_rows([header], ()).encode("utf-8") != first:
            return None
        texts = set(text_columns(header, schema))
        batches, breaks = [], []  # breaks: the line feeds in each record's cells
        try:
            reader = pv.open_csv(
                file,
                read_options=pv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
                parse_options=pv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                convert_options=pv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.large_string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            for batch in reader:
                records = _arrow_records(batch.columns, texts)
                offsets, text = spans(records)
                if len(offsets) > 1 and int(np.diff(offsets).max()) > MAX_ROW_BYTES:
                    return None
                expected = text[offsets[0] : offsets[-1]]
                found = np.frombuffer(data.read(len(expected)), dtype=np.uint8)
                if not np.array_equal(found, expected) or 13 in found:  # (13: a CR)
                    return None
                batches.append(batch)
                breaks.append(pc.count_substring(records, "\n").to_numpy() - 1)
        except (pa.ArrowException, OSError):
            return None
        if data.read(1):
            return None
    feeds = np.concatenate(breaks) if breaks else np.zeros(0, dtype=np.int64)
    starts = 2 + np.arange(len(feeds), dtype=np.int64) + np.cumsum(feeds) - feeds
    schema_of = pa.schema([(name, pa.large_string()) for name in header])
    rows = pa.Table.from_batches(batches, schema_of).to_pandas()
    rows.index = pd.Index(starts, name="line")
    return CsvText(header, rows, in_form=True)


def read_csv_text(
    file: Path, label: str, max_bytes: int, schema: TableSchema | None = None
) -> tuple[CsvText | None, list[Problem]]:
    """Read ``file`` (named ``label`` in problems) as CSV text cells with physical line numbers.

    Returns the text (None when the file cannot be used) and its :data:`READING_RULES` problems;
    ragged rows are reported and left out. With the table's ``schema``, a file of
    :data:`IN_FORM_READ_MIN_BYTES` or more in the package's CSV form is read by pyarrow
    (:func:`_read_in_form`).
    """
    try:
        status = file.stat()
    except FileNotFoundError:
        return None, [Problem(label, None, None, "missing-file", "the file does not exist")]
    except OSError as error:
        return None, [_unreadable(label, error)]
    kind = file_kind(status.st_mode)
    if kind is not None:  # never opened: a FIFO or a device would wait or never end
        return None, [
            Problem(label, None, None, "unreadable-file", f"expected a CSV file, found {kind}")
        ]
    if status.st_size > max_bytes:
        return None, [file_too_large(label, status.st_size, max_bytes)]
    try:
        fast = schema is not None and status.st_size >= IN_FORM_READ_MIN_BYTES
        in_form = _read_in_form(file, schema) if fast and schema is not None else None
        if in_form is not None:
            return in_form, []
        with file.open("rb") as stream:
            return _read(stream, label, file.read_bytes)
    except OSError as error:
        return None, [_unreadable(label, error)]


def parse_csv_bytes(data: bytes, label: str) -> tuple[CsvText | None, list[Problem]]:
    """The checks and parsing of :func:`read_csv_text`, on bytes already in memory."""
    return _read(io.BytesIO(data), label, lambda: data)


def header_problems(header: list[str], expected: list[str], label: str) -> list[Problem]:
    """Compare the header row with the schema's field names (same names, same order)."""
    if header == expected:
        return []
    problems = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if name in seen:
            message = f"column {position} repeats the name {name!r}; expected each column name once"
            problems.append(Problem(label, 1, name, "header", message))
        seen.add(name)
    known = set(expected)
    for position, name in enumerate(header, start=1):
        if name not in known:
            shown = repr(name) if name.strip() else "an empty name"
            message = (
                f"column {position} has {shown}, which the schema does not define; "
                f"expected only these columns: {', '.join(expected)}"
            )
            problems.append(Problem(label, 1, name or None, "unknown-column", message))
    present = set(header)
    for name in expected:
        if name not in present:
            message = (
                f"the header has no column {name!r}, which the schema requires; "
                f"expected these columns in this order: {', '.join(expected)}"
            )
            problems.append(Problem(label, 1, name, "missing-column", message))
    common_in_file = [name for name in dict.fromkeys(header) if name in known]
    common_expected = [name for name in expected if name in present]
    if common_in_file != common_expected:
        message = (
            "the columns are in the wrong order; expected "
            f"{', '.join(common_expected)}; found {', '.join(common_in_file)}"
        )
        problems.append(Problem(label, 1, None, "header", message))
    return problems
