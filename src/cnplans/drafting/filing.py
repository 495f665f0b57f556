"""Filing rows: ``cnplans add`` checks new rows with the gate's own rules, ``cnplans fmt`` orders.

``add`` fills the cells a rows file leaves out (the derived US dollar columns as ``cnplans
convert`` computes them), inserts the rows into a temporary copy of the package and validates it
before and after: only new problems are refused, each at its place in the rows file. ``fmt``
writes every table in the ``sort-order`` rule's order and the package's CSV form.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from cnplans.datapackage import PackageError, parse_rows
from cnplans.datapackage.atomic import under_package_lock
from cnplans.datapackage.csv_form import table_text
from cnplans.datapackage.errors import EXIT_CANNOT_RUN
from cnplans.drafting.scaffold import (
    SOURCES,
    Change,
    CsvTable,
    Package,
    ScaffoldError,
    _refuse,
    clean,
    table_changes,
    write_all,
)

if TYPE_CHECKING:
    from cnplans.validation.problems import Problem

MAX_ROWS_BYTES = 50 * 1024 * 1024  # the largest ROWS.csv read
STDIN = "-"
STDIN_LABEL = "standard input"
TARGETS = "targets"
# Columns a draft writes that are not a table's: left out, with a remark.
DROPPED_COLUMNS: dict[str, tuple[str, ...]] = {TARGETS: ("kind",)}
# Cells a rows file may leave out as a whole column, and the value each row then gets.
DEFAULT_CELLS: dict[str, dict[str, str]] = {TARGETS: {"strive": "false"}}
# Problems on a new row that later rows resolve (a plan's targets and measures come after it).
EXPECTED_FOR_NOW: dict[str, frozenset[str]] = {"plans": frozenset({"plan-without-facts"})}
NEXT_STEP = "nox -s validate"
_LINE_NUMBER = re.compile(r"\b(lines?) [0-9]+")


@dataclass(frozen=True)
class NewRow:
    """A row to add: its table, every cell by field name, and where it came from.

    ``origin`` names the row in messages (``rows.csv line 3``), or ``options`` the option that
    gave each field (``new-plan``); ``given`` lists the fields given (the others were filled);
    ``allow`` lists rules expected on this row for now.
    """

    table: str
    cells: Mapping[str, str]
    origin: str
    given: frozenset[str]
    options: Mapping[str, str] = field(default_factory=dict)
    allow: frozenset[str] = frozenset()

    def where(self, column: str | None, table_label: str) -> str:
        """The place of a problem in this row, as the contributor wrote the row."""
        option = self.options.get(column) if column else None
        if option is not None:
            return f"{option} (the {column} column of {table_label})"
        return f"{self.origin}, column {column}" if column else self.origin


@dataclass(frozen=True)
class AddedRows:
    """The rows added to one table: each one's key (as shown) and the line it landed on."""

    table: str
    label: str
    placed: list[tuple[str, int]]


@dataclass
class Filing:
    """What :func:`file_rows` wrote (or, with ``dry_run``, would write)."""

    changes: list[Change]
    added: list[AddedRows]
    remarks: list[str] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class Formatting:
    """What :func:`format_tables` wrote (or, with ``check``, would write)."""

    changes: list[Change]
    reordered: list[str]  # tables whose records move
    tidied: list[str]  # tables whose only change is their form (quotes, blank lines, line ends)
    check: bool = False


def read_rows_data(name: str, stdin: BinaryIO | None = None) -> tuple[bytes, str]:
    """The bytes of the rows file ``name`` (``-``: standard input) and its label for messages."""
    if name == STDIN:
        stream = stdin if stdin is not None else sys.stdin.buffer
        data, label = stream.read(MAX_ROWS_BYTES + 1), STDIN_LABEL
        size = len(data)
    else:
        path, label = Path(name), name
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise ScaffoldError(f"{name} {what}; expected a CSV file of rows (or - for stdin)")
        size = path.stat().st_size
        data = path.read_bytes() if size <= MAX_ROWS_BYTES else b""
        size = max(size, len(data))
    if size > MAX_ROWS_BYTES:
        raise ScaffoldError(
            f"{label} has more than {MAX_ROWS_BYTES:,} bytes ({MAX_ROWS_BYTES >> 20} MB), the "
            "most `cnplans add` reads at once; split the rows into several files"
        )
    return data, label


def read_rows(table: CsvTable, data: bytes, label: str) -> tuple[list[NewRow], list[str]]:
    """The rows of a rows file for ``table`` (cells whitespace-normalized, blank lines skipped,
    fields left out filled), and remarks on what was filled or left out.

    Raises :class:`ScaffoldError` for a file that is not UTF-8 CSV, an unknown or repeated
    column, or a row whose cells do not match the header.
    """
    expected = f"expected a header line naming columns of {table.label}, then one line per row"
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ScaffoldError(
            f"{label} is not UTF-8 text (line {line} has bytes that are not UTF-8); open "
            "it and save it again as 'UTF-8', then run this command again"
        ) from None
    try:
        first, rest = parse_rows(text, label)
    except PackageError as error:
        raise ScaffoldError(f"{error}; {expected}") from None
    cleaned = [(line, [clean(cell) for cell in cells]) for line, cells in [(1, first), *rest]]
    records = [(line, cells) for line, cells in cleaned if any(cells)]
    if not records:
        raise ScaffoldError(f"{label} is empty; {expected}")
    (header_line, header), *records = records
    fields = table.schema.field_names
    problems: list[str] = []
    remarks: list[str] = []
    dropped: list[int] = []
    for position, name in enumerate(header, start=1):
        where = f"{label} line {header_line}, column {position}"
        if not name:
            problems.append(
                f"{where}: the header names no column; expected a field of {table.label}"
            )
        elif header.index(name) != position - 1:
            problems.append(f"{where}: the column {name!r} is named twice")
        elif name in fields:
            continue
        elif name in DROPPED_COLUMNS.get(table.name, ()):
            dropped.append(position - 1)
            remarks.append(
                f"{label}: the column {name!r} is not a column of {table.label}; it was left out"
            )
        else:
            close = difflib.get_close_matches(name, fields, n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else f"its columns are: {', '.join(fields)}"
            )
            problems.append(f"{where}: {name!r} is not a column of {table.label}; {hint}")
    for line, cells in records:
        if len(cells) != len(header):
            problems.append(
                f"{label} line {line}: {len(cells)} cells; expected {len(header)}, one for each "
                "column of the header"
            )
    _refuse(problems)

    kept = [i for i in range(len(header)) if i not in dropped]
    given = frozenset(header[i] for i in kept)
    defaults = {
        name: value
        for name, value in DEFAULT_CELLS.get(table.name, {}).items()
        if name in fields and name not in given
    }
    if records:
        remarks.extend(
            f"{name}: {label} has no {name} column, so every row's {name} is {value} "
            f"(add the column to say otherwise)"
            for name, value in defaults.items()
        )
    else:
        remarks.append(f"{label} has no rows below its header; nothing to add from it")
    allow = EXPECTED_FOR_NOW.get(table.name, frozenset())
    rows = []
    for line, cells in records:
        row = {**dict.fromkeys(fields, ""), **defaults, **{header[i]: cells[i] for i in kept}}
        rows.append(NewRow(table.name, row, f"{label} line {line}", given, allow=allow))
    return rows, remarks


@under_package_lock
def add_rows(
    descriptor: Path,
    pairs: Sequence[tuple[str, str]],
    *,
    dry_run: bool = False,
    stdin: BinaryIO | None = None,
) -> Filing:
    """``cnplans add``: file the rows of each ``(table, rows file)`` pair, checked together.

    A rows file ``-`` is standard input (``stdin``, by default ``sys.stdin``), at most once.
    Raises :class:`ScaffoldError`; writes nothing then, nor with ``dry_run``.
    """
    package = Package.open(descriptor)
    names = [r.get("name") for r in package.descriptor["resources"] if isinstance(r, dict)]
    known = [name for name in names if isinstance(name, str)]
    if [name for _, name in pairs].count(STDIN) > 1:
        raise ScaffoldError("standard input (-) can be read once only; name the other files")
    unknown = []
    for wanted, _ in pairs:
        if wanted not in known:
            close = difflib.get_close_matches(wanted, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"its tables are: {', '.join(known)}"
            unknown.append(f"{wanted!r} is not a table of {package.path.name}; {hint}")
    _refuse(unknown)
    rows: list[NewRow] = []
    remarks: list[str] = []
    tables: dict[str, CsvTable] = {}
    for table_name, rows_name in pairs:
        table = tables.get(table_name) or package.table(table_name)
        tables[table_name] = table
        data, label = read_rows_data(rows_name, stdin)
        new, notes = read_rows(table, data, label)
        rows.extend(new)
        remarks.extend(notes)
    if not rows:
        raise ScaffoldError("the rows files have no rows; nothing to add")
    filing = file_rows(package, rows, dry_run=dry_run)
    filing.remarks[:0] = remarks
    return filing


def file_rows(package: Package, rows: Sequence[NewRow], *, dry_run: bool = False) -> Filing:
    """Check ``rows`` with the gate's own rules and, when no problem is new, write them.

    The validator runs over a temporary copy of the package before and after the rows (with
    their derived US dollar cells) are inserted; a problem the rows bring is refused at the row's
    origin, as is a key already in its table. The tables and the descriptor's stamps are written
    together (not with ``dry_run``). Raises :class:`ScaffoldError`.
    """
    tables = {name: package.table(name) for name in dict.fromkeys(row.table for row in rows)}
    _refuse(_key_problems(tables, rows))

    by_table = {name: [row for row in rows if row.table == name] for name in tables}
    remarks: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cnplans-add-") as folder:
        texts_named = [row.cells.get("path", "") for row in rows if row.table == SOURCES]
        copy = _copy_package(package, Path(folder), texts_named)
        before = _validate(copy)
        # The rows as given (derived cells still empty), so the conversion sees them.
        for name, table in tables.items():
            text, _ = table.with_rows([row.cells for row in by_table[name]])
            (Path(folder) / table.label).write_bytes(text.encode("utf-8"))
        complete, conversion_error = _with_derived_cells(copy, tables, by_table, remarks)
        texts: list[tuple[CsvTable, bytes]] = []
        placed: dict[tuple[str, int], NewRow] = {}
        added = []
        for name, table in tables.items():
            new_rows = complete[name]
            text, lines = table.with_rows([row.cells for row in new_rows])
            texts.append((table, text.encode("utf-8")))
            landed = list(zip(new_rows, lines, strict=True))
            added.append(
                AddedRows(name, table.label, [(_shown_key(table, r.cells), n) for r, n in landed])
            )
            placed.update(((table.label, line), row) for row, line in landed)
        changes = table_changes(package, texts)
        for change in changes:
            (Path(folder) / change.label).write_bytes(change.data)
        after = _validate(copy)

    rank = {(row.table, row.origin): index for index, row in enumerate(rows)}
    problems, expected = _new_problems(before, after, placed, rank)
    refused = [_located(problem, placed, tables) for problem in problems]
    if refused and conversion_error is not None:
        refused.append(
            "the derived US dollar columns could not be computed (`cnplans convert` stops at: "
            f"{conversion_error})"
        )
    _refuse(refused)
    if conversion_error is not None:
        remarks.append(
            "the derived US dollar columns could not be computed; run `cnplans convert` when "
            f"it can (it stops at: {conversion_error})"
        )
    remarks.extend(
        f"expected for now: {_located(problem, placed, tables)} (add the plan's targets or "
        "measures next)"
        for problem in expected
    )
    if not dry_run:
        write_all(changes)
    return Filing(changes, added, remarks, dry_run)


def _key_problems(tables: Mapping[str, CsvTable], rows: Sequence[NewRow]) -> list[str]:
    """Rows whose primary key is in the table already, or given twice."""
    problems = []
    existing = {
        name: {table.key_of(cells): line for line, cells in table.records}
        for name, table in tables.items()
    }
    seen: dict[tuple[str, tuple[str, ...]], NewRow] = {}
    for row in rows:
        table = tables[row.table]
        if not table.schema.primary_key:
            continue
        key = table.key_of([row.cells.get(name, "") for name in table.header])
        if not all(key):
            continue  # the validator reports the empty cell
        shown = _shown_key(table, row.cells)
        where = row.where(table.schema.primary_key[0], table.label)
        if key in existing[row.table]:
            problems.append(
                f"{where}: {shown} is already in {table.label} (line "
                f"{existing[row.table][key]}); ids are never reused: choose another"
            )
        elif (row.table, key) in seen:
            problems.append(f"{where}: {shown} is given twice (also {seen[row.table, key].origin})")
        else:
            seen[row.table, key] = row
    return problems


def _shown_key(table: CsvTable, cells: Mapping[str, str]) -> str:
    values = [cells.get(name, "") for name in table.schema.primary_key]
    return values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"


def _copy_package(package: Package, folder: Path, also: Sequence[str] = ()) -> Path:
    """Copy what the validator reads (descriptor, tables, schemas, source texts, and the files
    ``also`` names when they exist) to ``folder``."""
    relatives: list[object] = [package.path.name]
    for resource in package.descriptor["resources"]:
        if isinstance(resource, dict):
            relatives.extend(resource.get(key) for key in ("path", "schema"))
    documents = package.descriptor.get("sources")
    if isinstance(documents, list):
        relatives.extend(d.get("path") for d in documents if isinstance(d, dict))
    relatives.extend(_source_paths(package))
    relatives.extend(also)
    for relative in dict.fromkeys(relatives):
        if not isinstance(relative, str):
            continue  # an inline schema, or a path the validator reports
        try:
            file = package.inside(relative, "a file of the package")
        except ScaffoldError:
            continue  # unsafe: the validator reports it, before and after alike
        if file.is_file():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
    return folder / package.path.name


def _source_paths(package: Package) -> list[str]:
    """The ``path`` of every row of the sources table, read leniently (the validator judges)."""
    try:
        resource = package.resource(SOURCES)
        data = package.inside(resource.get("path"), "the path of the sources table").read_bytes()
    except (ScaffoldError, OSError):
        return []
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    try:
        return [row.get("path") or "" for row in csv.DictReader(io.StringIO(text, newline=""))]
    except csv.Error:
        return []


def _validate(descriptor: Path) -> list[Problem]:
    from cnplans.validation.problems import CannotRun
    from cnplans.validation.runner import validate_package

    try:
        report = validate_package(descriptor)
    except CannotRun as error:
        raise ScaffoldError(f"the package cannot be validated: {error}", EXIT_CANNOT_RUN) from None
    if report.crashed:
        raise ScaffoldError(
            f"the check {report.crashed[0]} crashed while checking the rows; this is a bug in "
            "cnplans, please report it (nothing was written)",
            EXIT_CANNOT_RUN,
        )
    return report.problems


def _with_derived_cells(
    descriptor: Path,
    tables: Mapping[str, CsvTable],
    by_table: Mapping[str, list[NewRow]],
    remarks: list[str],
) -> tuple[dict[str, list[NewRow]], str | None]:
    """The rows with the derived US dollar cells they left out, from the conversion of the copy
    at ``descriptor``, and the conversion's error when it could not run (cells stay empty)."""
    from cnplans.conversion.convert import DERIVED_COLUMNS, ConvertError, compute_conversion

    rows = by_table.get(TARGETS, [])
    targets = tables.get(TARGETS)
    if targets is None or not any(_to_derive(row) for row in rows):
        return dict(by_table), None
    try:
        conversion = compute_conversion(descriptor)
    except ConvertError as error:
        return dict(by_table), str(error)
    header, records = parse_rows(conversion.new_text, targets.label)
    derived = {
        targets.key_of(cells): dict(zip(header, cells, strict=False)) for _, cells in records
    }
    filled = []
    for row in rows:
        key = targets.key_of([row.cells.get(name, "") for name in targets.header])
        missing = _to_derive(row)
        if missing and key in derived:
            row = replace(row, cells={**row.cells, **{n: derived[key].get(n, "") for n in missing}})
        filled.append(row)
    remarks.append(
        f"{', '.join(DERIVED_COLUMNS)}: computed from the exchange rates, as `cnplans convert` "
        "does, where the rows left them out or empty"
    )
    return {**by_table, TARGETS: filled}, None


def _to_derive(row: NewRow) -> list[str]:
    """The derived columns of a target row that it left out or empty."""
    from cnplans.conversion.convert import DERIVED_COLUMNS

    return [name for name in DERIVED_COLUMNS if name not in row.given or not row.cells.get(name)]


def _comparable(problem: Problem) -> tuple[str, str | None, str, str]:
    """A problem without its line (nor the lines its message names), which inserting shifts."""
    message = _LINE_NUMBER.sub(lambda match: match.group(1) + " N", problem.message)
    return (problem.file, problem.column, problem.rule, message)


def _new_problems(
    before: Sequence[Problem],
    after: Sequence[Problem],
    placed: Mapping[tuple[str, int], NewRow],
    rank: Mapping[tuple[str, str], int],
) -> tuple[list[Problem], list[Problem]]:
    """The problems ``after`` has beyond ``before`` (a multiset, lines ignored; of equal ones,
    those on a new row): to refuse, and expected for now (their row's ``allow``), in row order."""

    def order(problem: Problem) -> tuple[int, int, tuple[str, int, int, str, str]]:
        row = placed.get((problem.file, problem.line or 0))
        if row is None:
            return (1, 0, problem.sort_key())
        return (0, rank.get((row.table, row.origin), 0), problem.sort_key())

    surplus = Counter(_comparable(p) for p in after) - Counter(_comparable(p) for p in before)
    new = []
    for problem in sorted(after, key=lambda p: (p.file, p.line or 0) not in placed):
        key = _comparable(problem)
        if surplus[key] > 0:
            surplus[key] -= 1
            new.append(problem)
    refused: list[Problem] = []
    expected: list[Problem] = []
    for problem in sorted(new, key=order):
        row = placed.get((problem.file, problem.line or 0))
        (expected if row is not None and problem.rule in row.allow else refused).append(problem)
    return refused, expected


def _located(
    problem: Problem, placed: Mapping[tuple[str, int], NewRow], tables: Mapping[str, CsvTable]
) -> str:
    """A problem at its new row's origin, else at its file and line on disk."""
    row = placed.get((problem.file, problem.line or 0))
    if row is not None:
        where = row.where(problem.column, tables[row.table].label)
        return f"{where}: {problem.rule}: {problem.message}"
    line: int | str = "-"
    if problem.line is not None:  # the line in the file as it is (without the new rows)
        line = problem.line - sum(
            1 for file, new_line in placed if file == problem.file and new_line < problem.line
        )
    return f"{problem.file}:{line}:{problem.column or '-'}: {problem.rule}: {problem.message}"


@under_package_lock
def format_tables(descriptor: Path, *, check: bool = False) -> Formatting:
    """``cnplans fmt``: every table's records in primary-key order, in the package's CSV form.

    Writes the tables that change (and the descriptor's stamps), all or none, unless ``check``.
    Raises :class:`ScaffoldError` (exit code 2) when a table cannot be read; writes nothing then.
    """
    package = Package.open(descriptor)
    names = [r.get("name") for r in package.descriptor["resources"] if isinstance(r, dict)]
    tables = [package.table(name) for name in names if isinstance(name, str)]
    reordered: list[str] = []
    tidied: list[str] = []
    edited: list[tuple[CsvTable, bytes]] = []
    for table in tables:
        # In primary-key order (a stable sort: a table without a key keeps its order).
        records = sorted((cells for _, cells in table.records), key=table.sort_key)
        text = table_text(table.header, records, table.schema)
        if text != table.text:
            (tidied if table.in_key_order() else reordered).append(table.label)
            edited.append((table, text.encode("utf-8")))
    changes = table_changes(package, edited, sources=False)
    if changes and not check:
        write_all(changes)
    return Formatting(changes, reordered, tidied, check)
