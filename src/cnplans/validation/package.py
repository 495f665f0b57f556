"""Loading a data package for validation: descriptor, path safety, schemas, tables.

Only files inside the descriptor's folder are ever opened (any other path is an ``unsafe-path``
problem). Frictionless checks the descriptor and inlined schemas as metadata only, in a child
process while the tables are read (:class:`MetadataCheck`); a non-standard ``profile`` is
reported and hidden from it, since it would fetch or open it.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

# resolve_inside and unsafe_reason are imported from here too (validation.provenance)
from cnplans.datapackage import (
    FileTooLarge,
    PackageError,
    parse_json,
    read_descriptor_text,
    resolve_inside,
    unsafe_reason,
)
from cnplans.datapackage.paths import MAX_FILE_BYTES
from cnplans.datapackage.table_schema import TableSchema
from cnplans.validation.context import (
    PackageContext,
    ResourceEntry,
    Table,
    TextTable,
)
from cnplans.validation.frictionless_metadata import Child, metadata_messages
from cnplans.validation.problems import CannotRun, Problem
from cnplans.validation.reading import CsvText, file_too_large, header_problems, read_csv_text

# Profiles frictionless knows by name; it loads any other one as a JSON Schema, from the network.
STANDARD_PROFILES = {
    "package": ("data-package", "tabular-data-package"),
    "resource": ("data-resource", "tabular-data-resource"),
}


def descriptor_line(
    context: PackageContext, key: str, value: str, occurrence: int = 0, in_resources: bool = True
) -> int | None:
    """The line of the descriptor on which ``"key": value`` is written (its n-th occurrence).

    With ``in_resources``, only the text after ``"resources"`` is searched, so a resource's path
    is not taken for a path in ``sources`` or ``licenses``.
    """
    text = context.descriptor_text
    start = max(text.find('"resources"'), 0) if in_resources else 0
    for ascii_only in (False, True):
        literal = json.dumps(value, ensure_ascii=ascii_only)
        pattern = re.escape(json.dumps(key)) + r"\s*:\s*" + re.escape(literal)
        matches = list(re.compile(pattern).finditer(text, start))
        if occurrence < len(matches):
            return text.count("\n", 0, matches[occurrence].start()) + 1
    return None


def _load_schema_json(
    context: PackageContext, name: str, schema: Any, occurrence: int = 0
) -> tuple[str, dict[str, Any] | None, list[Problem]]:
    """One resource's schema (inline or from its file), the file it is in, and problems.

    ``occurrence`` counts earlier resources naming the same schema, to locate this one's line.
    """
    label = context.descriptor_label
    if isinstance(schema, dict):
        return label, schema, []
    if not isinstance(schema, str):
        message = f"resource {name!r} has no schema; expected a path such as schemas/name.json"
        return label, None, [_descriptor_problem(label, message)]
    file, reason = resolve_inside(context.root, schema)
    if file is None:
        message = f"resource {name!r} schema {schema!r}: {reason}"
        line = descriptor_line(context, "schema", schema, occurrence)
        return label, None, [Problem(label, line, None, "unsafe-path", message)]
    if not file.is_file():
        message = f"the schema of resource {name!r} does not exist; expected a Table Schema file"
        return schema, None, [Problem(schema, None, None, "missing-file", message)]
    size = file.stat().st_size
    if size > context.max_file_bytes:
        return schema, None, [file_too_large(schema, size, context.max_file_bytes)]
    try:
        data = parse_json(file.read_bytes().decode("utf-8"), schema)
    except (OSError, UnicodeDecodeError) as error:
        return schema, None, [_descriptor_problem(schema, f"the schema cannot be read: {error}")]
    except PackageError as error:
        return schema, None, [Problem(schema, error.line, None, "descriptor", str(error))]
    if not isinstance(data, dict):
        return schema, None, [_descriptor_problem(schema, "expected a JSON object with 'fields'")]
    return schema, data, []


def _descriptor_problem(file: str, message: str) -> Problem:
    return Problem(file, None, None, "descriptor", message)


class MetadataCheck:
    """Frictionless' verdict on the descriptor and schemas, found by a child process meanwhile.

    :meth:`result` waits for it; when the child fails or is late, it is found in this process.
    """

    def __init__(
        self,
        context: PackageContext,
        schemas: dict[int, tuple[str, dict[str, Any] | None]],
        package: dict[str, Any],
        child: Child | None = None,
    ) -> None:
        """``package``: a copy of the descriptor without the profiles frictionless would load."""
        resources = package.get("resources")
        for resource in resources if isinstance(resources, list) else []:
            path = resource.get("path") if isinstance(resource, dict) else None
            if isinstance(path, str) and unsafe_reason(path) is not None:
                resource["path"] = "unsafe-path-checked-by-cnplans.csv"
        self._request: dict[str, Any] = {
            "schemas": [[index, schema] for index, (_, schema) in schemas.items()],
            "package": package,
        }
        self._labels = {index: label for index, (label, _) in schemas.items()}
        self._names = {entry.index: entry.name for entry in context.resources}
        self._descriptor_label = context.descriptor_label
        self._child = child or Child()
        self._child.send(self._request)

    def result(self) -> tuple[set[int], list[Problem]]:
        """The indexes of resources whose schema is not valid, and the problems found."""
        verdict = self._child.verdict() or metadata_messages(
            self._request["schemas"], self._request["package"]
        )
        invalid: set[int] = set()
        problems: list[Problem] = []
        for index, messages in verdict["schemas"].items():
            name = self._names.get(int(index), f"#{int(index) + 1}")
            invalid.add(int(index))
            problems.extend(
                _descriptor_problem(
                    self._labels[int(index)],
                    f"the Table Schema of resource {name!r} is not valid: {message}",
                )
                for message in messages
            )
        problems.extend(
            _descriptor_problem(self._descriptor_label, message) for message in verdict["package"]
        )
        return invalid, problems


def _without_loadable_profiles(context: PackageContext, package: dict[str, Any]) -> list[Problem]:
    """Remove from ``package`` (a copy) every profile frictionless would load, and report it.

    Frictionless loads any profile but the standard names (a URL fetched, a path opened).
    """
    resources = package.get("resources")
    holders = [("package", "the package", package)] + [
        ("resource", f"resource {r.get('name')!r}", r)
        for r in (resources if isinstance(resources, list) else [])
        if isinstance(r, dict)
    ]
    problems = []
    seen: dict[tuple[str, str], int] = {}
    for kind, owner, holder in holders:
        profile = holder.get("profile")
        if profile is None or profile in STANDARD_PROFILES[kind]:
            continue
        del holder["profile"]
        line = None
        if isinstance(profile, str) and kind == "package":
            line = descriptor_line(context, "profile", profile, in_resources=False)
        elif isinstance(profile, str):
            line = descriptor_line(context, "profile", profile, _count(seen, "profile", profile))
        message = (
            f"{owner} has the profile {profile!r}, which would be loaded from elsewhere; "
            "cnplans never fetches or opens profiles. Expected one of: "
            f"{', '.join(STANDARD_PROFILES[kind])}, or no profile"
        )
        problems.append(Problem(context.descriptor_label, line, None, "unsafe-path", message))
    return problems


def _foreign_key_problems(context: PackageContext) -> list[Problem]:
    """Foreign keys must name a listed resource and fields that resource has."""
    problems = []
    schemas: dict[str, TableSchema | None] = {}  # by name, the first resource's
    for entry in context.resources:
        schemas.setdefault(entry.name, entry.schema)
    for entry in context.resources:
        if entry.schema is None:
            continue
        for fk in entry.schema.foreign_keys:
            target_name = fk.resource or entry.name
            if target_name not in schemas:
                message = (
                    f"a foreign key on {', '.join(fk.fields)} refers to resource "
                    f"{target_name!r}, which the package does not list; expected one of: "
                    f"{', '.join(sorted(schemas))}"
                )
                problems.append(_descriptor_problem(entry.schema_label, message))
                continue
            target = schemas[target_name]
            if target is None:
                continue
            missing = [f for f in fk.reference_fields if f not in target.field_names]
            if missing or len(fk.reference_fields) != len(fk.fields):
                message = (
                    f"a foreign key on {', '.join(fk.fields)} refers to "
                    f"{target_name}.{', '.join(fk.reference_fields)}; expected as many fields, "
                    f"all in {target_name}'s schema ({', '.join(target.field_names)})"
                )
                problems.append(_descriptor_problem(entry.schema_label, message))
    return problems


def _unlisted_files(context: PackageContext) -> list[Problem]:
    """Files no row names: CSVs under resources/ that no resource lists, and files under sources/
    that no row of the sources table names (by path, links not followed; FIFOs and devices are
    files here too)."""
    listed = {
        os.path.normpath(context.root / entry.path)
        for entry in context.resources
        if entry.path and unsafe_reason(entry.path) is None
    }
    checks = [
        (
            "resources",
            listed,
            ".csv",
            f"the file is not listed in {context.descriptor_label}; expected every CSV in "
            "resources/ to be a resource of the package (add it, or remove the file)",
        )
    ]
    sources = context.texts.get("sources")
    if sources is not None and "path" in sources.raw.columns:
        named = {
            os.path.normpath(context.root / str(path))
            for path in sources.raw["path"].tolist()
            if path and unsafe_reason(str(path)) is None
        }
        message = (
            f"no row of {sources.path} names this file; expected every file in sources/ to be "
            "the archived text of a source (add its row with `cnplans new-source`, or remove it)"
        )
        checks.append(("sources", named, "", message))
    problems: list[Problem] = []
    for folder_name, known, suffix, message in checks:
        folder = context.root / folder_name
        if not folder.is_dir() or folder.is_symlink():
            continue
        files = sorted(path for path in folder.rglob("*") if path.is_symlink() or not path.is_dir())
        problems.extend(
            Problem(context.relative(file), None, None, "unlisted-file", message)
            for file in files
            if file.suffix.lower().endswith(suffix) and os.path.normpath(file) not in known
        )
    return problems


def load_package(
    descriptor_path: Path,
    max_file_bytes: int = MAX_FILE_BYTES,
    rejected: Collection[int] | None = None,
    metadata_child: Child | None = None,
) -> PackageContext:
    """Read the descriptor, its schemas and its tables into a :class:`PackageContext`.

    Raises :class:`CannotRun` only when the descriptor is unusable; other problems go to
    ``context.problems``, but frictionless' verdict, which :attr:`PackageContext.metadata` gives.
    With ``rejected`` (resources whose schema that verdict refused), it is not sought again and
    those schemas are not used; ``metadata_child`` is a child process started earlier.
    """
    try:
        descriptor_path, text, descriptor = read_descriptor_text(
            descriptor_path, max_file_bytes, require_resources=False
        )
    except FileTooLarge as error:
        raise CannotRun(
            f"cannot validate: {error.path} has {error.size:,} bytes, more than the limit of "
            f"{error.limit:,} bytes; raise it with --max-file-size-mb"
        ) from None
    except PackageError as error:
        raise CannotRun(f"cannot validate: {error}") from None
    context = PackageContext(
        root=descriptor_path.parent,
        descriptor_path=descriptor_path,
        descriptor=descriptor,
        max_file_bytes=max_file_bytes,
        descriptor_text=text,
    )
    schemas = _list_resources(context)
    package = copy.deepcopy(context.descriptor)
    context.problems.extend(_without_loadable_profiles(context, package))
    if rejected is None:  # sent off before pandas is imported (reading the tables imports it)
        context.metadata = MetadataCheck(context, schemas, package, metadata_child)
    invalid = set(rejected or ())
    for entry in context.resources:
        schema_label, schema_json = schemas[entry.index]
        if schema_json is None or entry.index in invalid:
            continue
        try:
            entry.schema = TableSchema.from_descriptor(schema_json)
            for field in entry.schema.fields:
                field.pandas_dtype()
                if "pattern" in field.constraints:
                    re.compile(str(field.constraints["pattern"]))
        except (KeyError, TypeError, ValueError, AttributeError, re.error) as error:
            entry.schema = None
            message = f"the Table Schema cannot be used: {error}"
            context.problems.append(_descriptor_problem(schema_label, message))
    texts: dict[int, tuple[CsvText | None, list[Problem]]] = {}
    for entry in context.resources:
        if entry.file is None:
            continue
        if not entry.file.exists():
            message = (
                f"{context.descriptor_label} lists this file for resource {entry.name!r}, "
                "but it does not exist; expected the file there (add it, or fix the path)"
            )
            texts[entry.index] = None, [Problem(entry.path, None, None, "missing-file", message)]
            continue
        texts[entry.index] = read_csv_text(
            entry.file, entry.path, context.max_file_bytes, entry.schema
        )
        csv_text = texts[entry.index][0]
        if csv_text is not None:
            context.texts[entry.name] = TextTable(
                entry.name, entry.path, csv_text.rows, csv_text.in_form
            )
    context.problems.extend(_foreign_key_problems(context))
    from cnplans.validation.conversion import convert_table

    for entry in context.resources:
        csv_text, problems = texts.get(entry.index, (None, []))
        context.problems.extend(problems)
        if csv_text is None or entry.schema is None:
            continue
        names = entry.schema.field_names
        context.problems.extend(header_problems(csv_text.header, names, entry.path))
        raw = csv_text.rows[[name for name in names if name in csv_text.rows.columns]]
        frame, unparsed = convert_table(raw, entry.schema)
        context.tables[entry.name] = Table(
            entry.name, entry.path, entry.schema, csv_text.header, raw, frame, unparsed
        )
    context.problems.extend(_unlisted_files(context))
    return context


def _list_resources(context: PackageContext) -> dict[int, tuple[str, dict[str, Any] | None]]:
    """Fill ``context.resources`` from the descriptor; each resource's schema (label, JSON)."""
    occurrences: dict[tuple[str, str], int] = {}
    label = context.descriptor_label
    resources = context.descriptor.get("resources")
    if not isinstance(resources, list):
        resources = []
    schemas: dict[int, tuple[str, dict[str, Any] | None]] = {}
    seen_names: set[str] = set()
    files_named: dict[str, str] = {}  # file -> the resource naming it first
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            continue
        name = str(resource.get("name", f"#{index + 1}"))
        if name in seen_names:
            message = f"two resources are named {name!r}; expected every name once"
            context.problems.append(_descriptor_problem(label, message))
        seen_names.add(name)
        schema = resource.get("schema")
        schema_label, schema_json, problems = _load_schema_json(
            context, name, schema, _count(occurrences, "schema", schema)
        )
        context.problems.extend(problems)
        schemas[index] = (schema_label, schema_json)
        path = resource.get("path")
        file = None
        if isinstance(path, str):
            file, reason = resolve_inside(context.root, path)
            occurrence = _count(occurrences, "path", path)
            if file is not None and os.path.normpath(file) in files_named:
                reason = (
                    f"resource {files_named[os.path.normpath(file)]!r} names this file too; "
                    "expected one file per resource"
                )
                file = None
            elif file is not None:
                files_named[os.path.normpath(file)] = name
            if reason is not None:
                line = descriptor_line(context, "path", path, occurrence)
                message = f"resource {name!r} path {path!r}: {reason}"
                context.problems.append(Problem(label, line, None, "unsafe-path", message))
        elif path is not None:
            message = f"resource {name!r} has path {path!r}; expected one relative file path"
            context.problems.append(_descriptor_problem(label, message))
        context.resources.append(
            ResourceEntry(
                index, name, path if isinstance(path, str) else "", file, schema_label, None
            )
        )
    return schemas


def _count(seen: dict[tuple[str, str], int], key: str, value: object) -> int:
    """How many earlier resources gave ``key`` this same text value (0 for the first)."""
    if not isinstance(value, str):
        return 0
    count = seen.get((key, value), 0)
    seen[(key, value)] = count + 1
    return count
