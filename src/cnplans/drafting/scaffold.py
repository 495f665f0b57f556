"""Starting a contribution: archive a source text (``cnplans new-source``), then add its plan
(``cnplans new-plan``), as CONTRIBUTING.md asks.

Each value is checked against its table's Table Schema and references; a new row goes where
primary-key order puts it, every other byte stays as it was, and all files (with the descriptor's
``sources`` list and stamps) change together or not at all. Cells not given stay empty.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnplans import datapackage
from cnplans.datapackage import FileTooLarge, PackageError, atomic
from cnplans.datapackage.atomic import under_package_lock
from cnplans.datapackage.csv_form import render_rows, text_columns
from cnplans.datapackage.errors import EXIT_CANNOT_RUN, EXIT_INVALID, CnplansError
from cnplans.datapackage.paths import MAX_FILE_BYTES
from cnplans.datapackage.table_schema import Field, TableSchema

SOURCES, PLANS, REGIONS = "sources", "plans", "regions"
SOURCE_FOLDER = "sources"
DEFAULT_LANGUAGE = "en"


class ScaffoldError(CnplansError):
    """A contribution cannot be added; the message says what is wrong and what to do instead.

    ``exit_code`` is 1 when the values given are refused, 2 when the package cannot be used.
    """

    exit_code = EXIT_INVALID


@dataclass(frozen=True)
class Change:
    """A file to write: its new bytes, and whether it must not exist yet."""

    path: Path
    label: str  # relative to the descriptor's folder, for messages
    data: bytes
    new: bool = False


@dataclass
class Result:
    """What a command did: the files it wrote, the new row's line, remarks and next steps."""

    changes: list[Change]
    table_label: str
    line: int
    remarks: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _cannot_run(then: str = "") -> Iterator[None]:
    """Turn a :class:`PackageError` into a :class:`ScaffoldError` (exit 2), ``then`` appended."""
    try:
        yield
    except PackageError as error:
        raise ScaffoldError(f"{error}{then}", EXIT_CANNOT_RUN) from None


@dataclass
class Package:
    """A data package opened for editing: the descriptor and where its files are."""

    path: Path
    root: Path
    descriptor: dict[str, Any]

    @classmethod
    def open(cls, descriptor: Path) -> Package:
        """The package whose ``datapackage.json`` is ``descriptor`` (or is in that folder)."""
        then = (
            "; fix it first (`cnplans validate` says more), or name another package with --package"
        )
        with _cannot_run(then):
            path, _, data = datapackage.read_descriptor_text(descriptor)
        return cls(path, path.parent, data)

    def resource(self, name: str) -> dict[str, Any]:
        with _cannot_run():
            return datapackage.resource(self.descriptor, name, self.path.name)

    def inside(self, relative: object, what: str) -> Path:
        """The file ``relative`` names inside the package; never outside it, never a URL."""
        with _cannot_run():
            return datapackage.inside(self.root, relative, what)

    def table(self, name: str) -> CsvTable:
        resource = self.resource(name)
        try:
            schema = datapackage.read_schema(self.root, resource)
        except PackageError as error:
            raise ScaffoldError(
                f"the Table Schema of {name!r} cannot be read ({error}); run `cnplans validate`",
                EXIT_CANNOT_RUN,
            ) from None
        path = self.inside(resource.get("path"), f"the path of {name!r}")
        return CsvTable.read(name, path, path.relative_to(self.root).as_posix(), schema)


@dataclass
class CsvTable:
    """A table's CSV text, its header and its records with the line each starts on."""

    name: str
    path: Path
    label: str
    schema: TableSchema
    text: str
    header: list[str]
    records: list[tuple[int, list[str]]]  # (start line, cells), data rows only

    @classmethod
    def read(cls, name: str, path: Path, label: str, schema: TableSchema) -> CsvTable:
        """The table's file: UTF-8 without a byte order mark, LF line ends, the schema's header."""
        fix = "fix it first: `cnplans validate` says where"
        with _cannot_run(f"; {fix}"):
            text = datapackage.read_text(path, MAX_FILE_BYTES, "a CSV file")
            if text.startswith("\ufeff"):
                raise PackageError(f"{label} starts with a byte order mark")
            if "\r" in text:
                raise PackageError(f"{label} has Windows line ends (CR)")
            header, records = datapackage.parse_rows(text, label)
        if header != schema.field_names:
            raise ScaffoldError(
                f"the header of {label} is {','.join(header)!r}, but its schema expects "
                f"{','.join(schema.field_names)!r}; {fix}",
                EXIT_CANNOT_RUN,
            )
        return cls(name, path, label, schema, text, header, records)

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [cells[index] if index < len(cells) else "" for _, cells in self.records]

    def key_of(self, cells: Sequence[str]) -> tuple[str, ...]:
        """The primary-key cells of a record, as text."""
        positions = [self.header.index(k) for k in self.schema.primary_key]
        return tuple(cells[i] if i < len(cells) else "" for i in positions)

    def sort_key(self, cells: Sequence[str]) -> tuple[tuple[int, float | str], ...]:
        """Where a record goes in the order ``cnplans validate`` checks: numbers as numbers,
        other text in code point order; an empty or mistyped cell after the values."""
        ordered: list[tuple[int, float | str]] = []
        for name, text in zip(self.schema.primary_key, self.key_of(cells), strict=True):
            schema_field = self.schema.field(name)
            numeric = schema_field.type in ("integer", "year", "number")
            if not text:
                ordered.append((2, ""))
            elif numeric and not _is_number(schema_field, text):
                ordered.append((1, text))
            else:
                ordered.append((0, float(text) if numeric else text))
        return tuple(ordered)

    def in_key_order(self) -> bool:
        """Whether the records are in primary-key order (a table without a key always is)."""
        keys = [self.sort_key(cells) for _, cells in self.records]
        return all(a <= b for a, b in itertools.pairwise(keys))

    def with_rows(self, rows: Sequence[Mapping[str, str]]) -> tuple[str, list[int]]:
        """The file's text with ``rows`` (cells by field name) inserted in primary-key order,
        every other byte as it was, and each row's line in the new text."""
        keys = [self.sort_key(cells) for _, cells in self.records]
        placed = []  # (the record it goes before, its key, its index in rows)
        for index, row in enumerate(rows):
            key = self.sort_key([row.get(name, "") for name in self.header])
            placed.append((next((i for i, k in enumerate(keys) if k > key), len(keys)), key, index))
        text = self.text
        if any(before == len(self.records) for before, _, _ in placed) and not text.endswith("\n"):
            text += "\n"
        # Where each line starts; a row appended at the end starts on the line after the last.
        starts = [0] + [match.end() for match in re.finditer("\n", text)]
        pieces: list[str] = []
        cursor = 0
        lines = [0] * len(rows)
        texts = text_columns(self.header, self.schema)
        for count, (before, _, index) in enumerate(sorted(placed)):
            if before < len(self.records):
                line = self.records[before][0]
                offset = starts[line - 1]
            else:
                line, offset = len(starts), len(text)
            pieces.append(text[cursor:offset])
            cursor = offset
            pieces.append(render_rows([[rows[index].get(name, "") for name in self.header]], texts))
            lines[index] = line + count
        pieces.append(text[cursor:])
        return "".join(pieces), lines


def clean(value: str | None) -> str:
    """A value as it goes into a cell: runs of whitespace (line breaks too) made one space."""
    return " ".join(value.split()) if value else ""


def _is_number(field: Field, value: str) -> bool:
    """Whether ``value`` is a valid value of the number, integer or year ``field``."""
    from cnplans.validation.conversion import INTEGER, NUMBER, YEAR

    pattern = {"integer": INTEGER, "year": YEAR}.get(field.type, NUMBER)
    return bool(re.fullmatch(pattern, value)) and math.isfinite(float(value))


def cell_problem(table: str, field: Field, value: str, option: str) -> str | None:
    """Why ``value`` cannot go into ``field`` of ``table``, as a sentence; None when it can."""
    from cnplans.validation.conversion import STRING_FORMATS, expected_text
    from cnplans.validation.rows import shown
    from cnplans.validation.rules import FORMULA_START

    where = f"{option} (the {field.name} column of {table})"
    choices = f"one of: {', '.join(field.enum)}" if field.enum is not None else ""
    limits = field.constraints
    if not value:
        if field.required:
            return f"{where} is required ({field.description}); pass {option} " + (
                f"with {choices}" if choices else "with a value"
            )
        return None
    if field.type in ("integer", "year", "number"):
        if not _is_number(field, value):
            expected = expected_text(field)
        elif limits.get("minimum") is not None and float(value) < float(limits["minimum"]):
            expected = f"at least {limits['minimum']}"
        elif limits.get("maximum") is not None and float(value) > float(limits["maximum"]):
            expected = f"at most {limits['maximum']}"
        else:
            return None
        return f"{where}: expected {expected}; found {shown(value)}"
    if re.match(FORMULA_START, value):
        return (
            f"{where}: the text starts with {value[0]!r}, which spreadsheet programs run as a "
            "formula; expected text that starts with another character"
        )
    pattern = limits.get("pattern")
    string_format = STRING_FORMATS.get(field.format) if field.type == "string" else None
    if choices and value not in (field.enum or []):
        expected = choices
    elif pattern is not None and not re.fullmatch(str(pattern), value):
        if "slug" in field.description.lower():
            expected = (
                "a slug: lower-case letters a-z and digits, words joined by single hyphens "
                "(like 'shanxi-new-materials-growth')"
            )
        else:
            expected = f"{field.description.rstrip('.')} (the pattern {pattern})"
    elif string_format is not None and not re.fullmatch(string_format[0], value):
        expected = string_format[1]
    elif len(value) < int(limits.get("minLength", 0)):
        expected = f"at least {limits['minLength']} characters"
    elif "maxLength" in limits and len(value) > int(limits["maxLength"]):
        return f"{where}: expected at most {limits['maxLength']} characters"
    else:
        return None
    return f"{where}: expected {expected}; found {shown(value)}"


def row_problems(table: CsvTable, row: Mapping[str, str], options: Mapping[str, str]) -> list[str]:
    """Every schema problem of a new row; ``options`` names the option that gave each field."""
    found = [
        cell_problem(table.label, f, row.get(f.name, ""), options.get(f.name, f.name))
        for f in table.schema.fields
    ]
    return [problem for problem in found if problem is not None]


def _refuse(problems: Sequence[str]) -> None:
    if len(problems) == 1:
        raise ScaffoldError(problems[0])
    if problems:
        raise ScaffoldError(
            f"{len(problems)} problems, nothing was written:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


def table_changes(
    package: Package, tables: Sequence[tuple[CsvTable, bytes]], *, sources: bool = True
) -> list[Change]:
    """The tables' new bytes, then datapackage.json with their stamps updated (and, with
    ``sources`` and the sources table among them, its ``sources`` list) if that changes it."""
    contents = {table.name: content for table, content in tables}
    changes = [Change(table.path, table.label, content) for table, content in tables]
    data = copy.deepcopy(package.descriptor)
    if sources and SOURCES in contents:
        documents = datapackage.source_documents(contents[SOURCES].decode("utf-8"))
        if documents is not None:
            data = datapackage.with_key(data, "sources", documents, before="resources")
    for resource in data["resources"]:
        if not isinstance(resource, dict) or resource.get("name") not in contents:
            continue
        content = contents[resource["name"]]
        if "bytes" in resource:
            resource["bytes"] = len(content)
        if "hash" in resource:
            resource["hash"] = "sha256:" + hashlib.sha256(content).hexdigest()
    if data != package.descriptor:
        text = datapackage.dump_descriptor(data)
        changes.append(Change(package.path, package.path.name, text.encode("utf-8")))
    return changes


def write_all(changes: Sequence[Change]) -> None:
    """Write every change or none: all are staged beside their files first, then moved into
    place (each atomically); on an error the moved ones are undone."""
    for change in changes:
        if change.new and (change.path.exists() or change.path.is_symlink()):
            raise ScaffoldError(f"{change.label} already exists; nothing was written")
    staged: list[tuple[Path, Change]] = []
    done: list[tuple[Change, bytes | None]] = []
    try:
        for change in changes:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            staged.append((atomic.temporary_copy(change.path, change.data), change))
        for temporary, change in staged:
            previous = None if change.new else change.path.read_bytes()
            if change.new:
                _create(temporary, change)
            else:
                os.replace(temporary, change.path)
            done.append((change, previous))
    except BaseException:
        for change, previous in reversed(done):
            with contextlib.suppress(OSError):
                if previous is None:
                    change.path.unlink()
                else:
                    atomic.write_bytes(change.path, previous)
        raise
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                temporary.unlink()


def _create(temporary: Path, change: Change) -> None:
    """Move ``temporary`` to the new file's place, refusing to replace a file that appeared."""
    try:
        os.link(temporary, change.path)  # atomic, and fails if the file exists
    except OSError as error:
        if isinstance(error, FileExistsError) or change.path.exists():
            raise ScaffoldError(f"{change.label} already exists; nothing was written") from None
        os.replace(temporary, change.path)  # a file system without hard links


_SOURCE_FIELDS = ("title", "publisher", "url", "published", "dateline", "language", "notes")
SOURCE_OPTIONS = {"source_id": "--id"} | {name: f"--{name}" for name in _SOURCE_FIELDS}


def source_text(path: Path) -> str:
    """The UTF-8 text of a source file (a byte order mark kept); :class:`PackageError` if not."""
    try:
        return datapackage.read_text(path, MAX_FILE_BYTES, "the source text")
    except FileTooLarge as error:
        raise PackageError(
            f"{path} has {error.size:,} bytes, more than the {MAX_FILE_BYTES:,} bytes "
            "`cnplans validate` reads; archive the document's text only"
        ) from None


@under_package_lock
def new_source(
    descriptor: Path,
    text_file: Path,
    source_id: str,
    *,
    title: str | None = None,
    publisher: str | None = None,
    url: str | None = None,
    published: str | None = None,
    dateline: str | None = None,
    language: str | None = None,
    notes: str | None = None,
) -> Result:
    """Archive ``text_file`` as ``sources/<source_id>.txt`` and add its ``sources`` row.

    The bytes are copied unchanged and their SHA-256 recorded. ``title`` defaults to the text's
    first non-empty line and ``language`` to ``en`` (a remark says so for each). Raises
    :class:`ScaffoldError`; writes nothing then.
    """
    package = Package.open(descriptor)
    sources = package.table(SOURCES)
    try:
        text = source_text(text_file)
    except PackageError as error:
        raise ScaffoldError(str(error)) from None
    if not text.strip():
        raise ScaffoldError(f"{text_file} is empty; expected the source's text")
    data, text = text.encode("utf-8"), text.removeprefix("\ufeff")
    remarks = []
    if title is None or not title.strip():
        title = next(line for line in text.splitlines() if line.strip())
        from cnplans.validation.rows import shown

        remarks.append(
            f"title: taken from the first non-empty line of {text_file.name}: "
            f"{shown(clean(title))}; pass --title to give the document's own headline instead"
        )
    if language is None:
        language = DEFAULT_LANGUAGE
        remarks.append(
            f"language: {DEFAULT_LANGUAGE} (the default); pass --language zh for a Chinese text"
        )
    relative = f"{SOURCE_FOLDER}/{source_id}.txt"
    row = {
        "source_id": source_id,
        "title": clean(title),
        "publisher": clean(publisher),
        "url": clean(url),
        "published": clean(published),
        "dateline": clean(dateline),
        "language": clean(language),
        "path": relative,
        "sha256": hashlib.sha256(data).hexdigest(),
        "notes": clean(notes),
    }
    problems = row_problems(sources, row, SOURCE_OPTIONS)
    if any(problem.startswith(SOURCE_OPTIONS["source_id"] + " ") for problem in problems):
        problems = [p for p in problems if not p.startswith("path ")]  # follows from the ID
    if source_id in sources.column("source_id"):
        problems.append(
            f"--id {source_id!r} is already a source in {sources.label}; IDs are never reused: "
            "choose another slug"
        )
    digests = zip(sources.column("source_id"), sources.column("sha256"), strict=True)
    problems.extend(
        f"{text_file.name} is already archived, byte for byte, as source {existing_id!r}"
        for existing_id, digest in digests
        if digest == row["sha256"]
    )
    _refuse(problems)
    target = package.inside(relative, "the archived text's path")
    if target.exists() or target.is_symlink():
        _refuse([f"{relative} already exists; choose another --id (nothing was overwritten)"])

    new_text, (line,) = sources.with_rows([row])
    changes = [
        Change(target, relative, data, new=True),
        *table_changes(package, [(sources, new_text.encode("utf-8"))]),
    ]
    write_all(changes)
    plans_label = _label_or(package, PLANS, "resources/plans.csv")
    return Result(
        changes,
        sources.label,
        line,
        remarks,
        [
            f"Check the new row on line {line} of {sources.label}: fill in publisher, url and "
            "published only where the document itself states them (an empty cell is right "
            "where it is silent), and explain anything unusual in notes.",
            f"Add the plan: cnplans new-plan --source {source_id} --id PLAN-SLUG --region CODE "
            '--title "..." --quote "..." (it adds the row to ' + plans_label + ").",
            "Then add the plan's targets, clusters, cluster_regions, projects and measures, "
            "each with a verbatim quote (see CONTRIBUTING.md).",
            "Run `nox -s convert`, then `nox -s validate`, and fix what it reports.",
        ],
    )


def _label_or(package: Package, name: str, default: str) -> str:
    try:
        path = package.resource(name).get("path")
    except ScaffoldError:
        return default
    return path if isinstance(path, str) else default


_PLAN_FIELDS = "title issuer sector document_type issued issued_basis period_start period_end"
PLAN_OPTIONS = {"plan_id": "--id", "region_id": "--region", "source_id": "--source"} | {
    name: "--" + name.replace("_", "-") for name in [*_PLAN_FIELDS.split(), "quote", "notes"]
}


@under_package_lock
def new_plan(
    descriptor: Path,
    *,
    source_id: str,
    plan_id: str,
    region_id: str,
    title: str,
    quote: str,
    issuer: str | None = None,
    sector: str | None = None,
    document_type: str | None = None,
    issued: str | None = None,
    issued_basis: str | None = None,
    period_start: str | None = None,
    period_end: str | None = None,
    notes: str | None = None,
) -> Result:
    """Add the ``plans`` row of a plan stated in an archived source text.

    The values, the region and the source are checked first, naming the option; then the row is
    filed as ``cnplans add`` files rows (:func:`cnplans.drafting.filing.file_rows`: the gate,
    which also finds the quote in the source's text), ``plan-without-facts`` expected. Cells not
    given stay empty. Raises :class:`ScaffoldError`; writes nothing then.
    """
    package = Package.open(descriptor)
    plans = package.table(PLANS)
    sources = package.table(SOURCES)
    regions = package.table(REGIONS)
    row = {
        "plan_id": plan_id,
        "region_id": clean(region_id),
        "title": clean(title),
        "issuer": clean(issuer),
        "sector": clean(sector),
        "document_type": clean(document_type),
        "issued": clean(issued),
        # The year of a date given is the quote's unless the contributor says it is the dateline's.
        "issued_basis": clean(issued_basis) or ("quote" if clean(issued) else ""),
        "period_start": clean(period_start),
        "period_end": clean(period_end),
        "source_id": source_id,
        "quote": clean(quote),
        "notes": clean(notes),
    }
    problems = row_problems(plans, row, PLAN_OPTIONS)
    if plan_id in plans.column("plan_id"):
        problems.append(
            f"--id {plan_id!r} is already a plan in {plans.label}; IDs are never reused: "
            "choose another slug"
        )
    if row["region_id"] and row["region_id"] not in regions.column("region_id"):
        problems.append(
            f"--region {row['region_id']!r} is not in {regions.label}; add the region's row "
            "first (its GB/T 2260 code, names, level and a quote naming it; see CONTRIBUTING.md)"
        )
    if source_id not in sources.column("source_id"):
        problems.append(
            f"--source {source_id!r} is not in {sources.label}; archive the text first with "
            "`cnplans new-source PATH --id SLUG`"
        )
    _refuse(problems)

    # The gate checks the rest (the quote among it); `plan-without-facts` is expected for now.
    from cnplans.drafting.filing import EXPECTED_FOR_NOW, NewRow, file_rows

    origin, allow = f"the new row of {plans.label}", EXPECTED_FOR_NOW[PLANS]
    filing = file_rows(package, [NewRow(PLANS, row, origin, frozenset(row), PLAN_OPTIONS, allow)])
    line = filing.added[0].placed[0][1]
    targets = _label_or(package, "targets", "resources/targets.csv")
    measures = _label_or(package, "measures", "resources/measures.csv")
    return Result(
        filing.changes,
        plans.label,
        line,
        [],  # the remark that the plan has no facts yet is the next step
        [
            f"Check the new row on line {line} of {plans.label}; cells you did not give are "
            "empty (right where the source is silent).",
            f"Add the plan's quantified goals to {targets} and its policy actions to {measures} "
            f"(every plan needs at least one of either), with plan_id {plan_id}, source_id "
            f"{source_id} and a verbatim quote each.",
            "Add the clusters, cluster_regions and projects the source names, the same way.",
            "Run `nox -s convert` (it fills the US dollar columns of targets), then "
            "`nox -s validate`, and fix what it reports.",
        ],
    )
