"""Opening a data package: its descriptor, the files inside it, its schemas and its CSV rows.

Every command reads a package through these functions. A path the package gives must name a
file inside the descriptor's folder (no URL, absolute path, backslash, ``..``, NUL or outward
link; nothing is fetched), and every read is bounded (:data:`~.paths.MAX_FILE_BYTES`). Errors
are :class:`PackageError` sentences naming the file. (Not ``cnplans.package``: that name is the
public function returning the descriptor.)

>>> from cnplans.datapackage.paths import bundled_root
>>> descriptor = read_descriptor(bundled_root())
>>> read_schema(bundled_root(), resource(descriptor, "plans")).primary_key
['plan_id']
>>> inside(bundled_root(), "../secrets.txt", "the path")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
cnplans.datapackage.PackageError: the path is '../secrets.txt', which points outside the data ...
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from cnplans.datapackage.errors import CnplansError
from cnplans.datapackage.paths import DESCRIPTOR_NAME, MAX_FILE_BYTES

if TYPE_CHECKING:
    from cnplans.datapackage.table_schema import (
        TableSchema,  # imports pandas: only read_schema needs it
    )

URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")  # a scheme: http:, file:, data:, C: ...
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")

Records = list[tuple[int, list[str]]]  # (physical line the record starts on, its cells)


class PackageError(CnplansError, ValueError):
    """A package or one of its files cannot be used; the message says which, why, and what to do.

    ``line`` is the line of the file the problem is on, when one is known.
    """

    line: int | None = None


class FileTooLarge(PackageError):
    """A file has more bytes than the caller's limit (a command may say how to raise it)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(
            f"{path} has {size:,} bytes, more than the limit of {limit:,} bytes; raise the "
            "limit if the file is meant to be this large"
        )
        self.path, self.size, self.limit = path, size, limit


def unsafe_reason(relative: str) -> str | None:
    """Why ``relative`` may not be read from a package, or None (the text alone decides).

    >>> unsafe_reason("resources/plans.csv") is None
    True
    >>> unsafe_reason("https://example.org/plans.csv")
    'the path is a URL; expected a file inside the package (nothing remote is read)'
    """
    if not relative:
        return "the path is empty"
    if "\x00" in relative:
        return "the path contains a NUL character"
    if relative.startswith(("/", "\\")) or WINDOWS_DRIVE.match(relative):
        return "the path is absolute; expected a path relative to the descriptor's folder"
    if URL.match(relative) or relative.startswith("//"):
        return "the path is a URL; expected a file inside the package (nothing remote is read)"
    if "\\" in relative:
        return "the path uses backslashes; expected forward slashes (resources/name.csv)"
    parts = PurePosixPath(relative).parts
    if ".." in parts:
        return "the path climbs out of the package with '..'; expected a path inside it"
    if not parts:
        return "the path names no file; expected a path such as resources/name.csv"
    return None


def resolve_inside(
    root: Path, relative: str, real_dirs: dict[str, str] | None = None
) -> tuple[Path | None, str | None]:
    """The file ``relative`` names inside ``root``, or (None, the reason it may not be opened).

    A link resolving outside ``root`` is refused. ``real_dirs`` caches resolved folders across
    calls, so a file that is not itself a link costs one ``lstat``.

    >>> from cnplans.datapackage.paths import bundled_root
    >>> resolve_inside(bundled_root(), "resources/plans.csv")[0].name
    'plans.csv'
    >>> resolve_inside(bundled_root(), "/etc/passwd")
    (None, "the path is absolute; expected a path relative to the descriptor's folder")
    """
    reason = unsafe_reason(relative)
    if reason is not None:
        return None, reason
    try:
        if real_dirs is None:
            target = root / relative
            target.resolve().relative_to(root.resolve())
            return target, None
        target_name = os.path.join(root, relative)
        resolved = _resolved(target_name, real_dirs)
        real_root = _resolved_dir(os.fspath(root), real_dirs)
        if resolved != real_root and not resolved.startswith(os.path.join(real_root, "")):
            raise ValueError(resolved)
        return Path(target_name), None
    except ValueError:
        return (
            None,
            "the path leads outside the package (through a link); expected a file inside it",
        )
    except RuntimeError:  # pathlib's "Symlink loop from ..."
        return None, "the path is a link that leads back to itself (a symlink loop)"
    except OSError as error:
        return None, f"the path cannot be resolved: {error.strerror or error}"


def inside(root: Path, relative: object, what: str) -> Path:
    """The file ``relative`` names inside ``root`` (see :func:`resolve_inside`), else a
    :class:`PackageError` about ``what`` ("resource 'plans' path")."""
    if not isinstance(relative, str) or not relative:
        raise PackageError(
            f"{what} is {relative!r}; expected a relative file path such as 'resources/plans.csv'"
        )
    file, reason = resolve_inside(root, relative)
    if file is None:
        raise PackageError(
            f"{what} is {relative!r}, which points outside the data package: {reason}"
        )
    return file


def _resolved_dir(folder: str, real_dirs: dict[str, str]) -> str:
    if folder not in real_dirs:
        real_dirs[folder] = os.fspath(Path(folder).resolve())
    return real_dirs[folder]


def _resolved(target: str, real_dirs: dict[str, str]) -> str:
    """``Path(target).resolve()`` as text, resolving its folder once per run."""
    try:
        is_link = stat.S_ISLNK(os.lstat(target).st_mode)
    except FileNotFoundError:
        is_link = False
    folder, name = os.path.split(target)
    if is_link or name in ("", ".", ".."):
        return os.fspath(Path(target).resolve())
    return os.path.join(_resolved_dir(folder, real_dirs), name)


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str | None:
    """What a ``stat`` mode names when it is not a regular file ("a FIFO (named pipe)"), else None.

    Such a file is refused before it is opened: reading a FIFO or a device may never end.

    >>> file_kind(os.stat(".").st_mode), file_kind(os.stat(__file__).st_mode)
    ('a folder', None)
    """
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES, expected: str = "a text file") -> str:
    """The UTF-8 text of the regular file ``path`` (at most ``max_bytes``; a BOM is kept).

    ``expected`` says in an error what the file should have been ("a CSV file").
    """
    try:
        try:
            status = path.stat()
        except FileNotFoundError:  # a broken link too; a link loop is OSError, "cannot be read"
            raise PackageError(f"{path} does not exist (expected {expected})") from None
        kind = file_kind(status.st_mode)
        if kind is not None:  # a folder, a FIFO, a device such as /dev/zero: never opened
            raise PackageError(f"{path} is {kind}, not a regular file (expected {expected})")
        size = status.st_size
        if size > max_bytes:
            raise FileTooLarge(path, size, max_bytes)
        data = path.read_bytes()
    except OSError as error:
        raise PackageError(f"{path} cannot be read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise PackageError(
            f"{path} is not UTF-8 text (line {line} has bytes that are not UTF-8); save it as UTF-8"
        ) from None


def parse_descriptor(text: str, label: str, *, require_resources: bool = True) -> dict[str, Any]:
    """The descriptor in ``text`` (a BOM ignored): a JSON object with a ``resources`` list
    (any object with ``require_resources=False``); ``label`` names the file in an error.

    >>> parse_descriptor('{"resources": []}', "datapackage.json")
    {'resources': []}
    >>> parse_descriptor('{"name": "x"}', "a.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cnplans.datapackage.PackageError: a.json holds JSON but not a data package descriptor ...
    """
    descriptor = parse_json(text.removeprefix("\ufeff"), label)
    if not isinstance(descriptor, dict) or (
        require_resources and not isinstance(descriptor.get("resources"), list)
    ):
        raise PackageError(
            f"{label} holds JSON but not a data package descriptor (expected an object with a "
            "'resources' list)"
        )
    return descriptor


def read_descriptor_text(
    path: Path, max_bytes: int = MAX_FILE_BYTES, *, require_resources: bool = True
) -> tuple[Path, str, dict[str, Any]]:
    """The descriptor's file, its text (without a BOM) and the descriptor (``path``: the file
    or its folder)."""
    file = path / DESCRIPTOR_NAME if path.is_dir() else path
    text = read_text(file, max_bytes, f"a {DESCRIPTOR_NAME}").removeprefix("\ufeff")
    return file, text, parse_descriptor(text, str(file), require_resources=require_resources)


def read_descriptor(path: Path, max_bytes: int = MAX_FILE_BYTES) -> dict[str, Any]:
    """The descriptor (``path`` is a ``datapackage.json`` or its folder).

    >>> read_descriptor(Path("nowhere.json"))
    Traceback (most recent call last):
    ...
    cnplans.datapackage.PackageError: nowhere.json does not exist (expected a datapackage.json)
    """
    return read_descriptor_text(path, max_bytes)[2]


def resource(
    descriptor: dict[str, Any], name: str, where: str = "the descriptor"
) -> dict[str, Any]:
    """The resource called ``name`` in a descriptor; a :class:`PackageError` listing the
    names when there is none (``where`` names the descriptor in it).

    >>> resource({"resources": [{"name": "plans"}]}, "plans")
    {'name': 'plans'}
    >>> resource({"resources": [{"name": "plans"}]}, "plan")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cnplans.datapackage.PackageError: the descriptor lists no resource named 'plan'; ...
    """
    listed = descriptor.get("resources")
    resources = [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
    for found in resources:
        if found.get("name") == name:
            return found
    names = ", ".join(str(r.get("name")) for r in resources) or "none"
    raise PackageError(f"{where} lists no resource named {name!r}; expected one of: {names}")


def read_schema(
    root: Path, resource: dict[str, Any], max_bytes: int = MAX_FILE_BYTES
) -> TableSchema:
    """A resource's Table Schema: inline, or the file its ``schema`` path names inside ``root``."""
    from cnplans.datapackage.table_schema import TableSchema

    name = resource.get("name")
    declared = resource.get("schema")
    try:
        if isinstance(declared, dict):
            return TableSchema.from_descriptor(declared)
        path = inside(root, declared, f"{root / DESCRIPTOR_NAME}: the schema of resource {name!r}")
        return TableSchema.from_descriptor(
            parse_json(read_text(path, max_bytes, "a Table Schema JSON file"), str(path))
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise PackageError(
            f"the Table Schema of resource {name!r} cannot be used ({type(error).__name__}: "
            f"{error}); run `cnplans validate` to see what is wrong"
        ) from None


def parse_rows(text: str, label: str) -> tuple[list[str], Records]:
    r"""A CSV text's header and its records (blank lines skipped), each with the physical line
    it starts on; ``label`` names the file in a :class:`PackageError`.

    >>> parse_rows('id,note\n1,"two\nlines"\n\n2,x\n', "t.csv")
    (['id', 'note'], [(2, ['1', 'two\nlines']), (5, ['2', 'x'])])
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: Records = []
    try:
        header = next(reader, [])
        previous_end = reader.line_num
        for cells in reader:
            if cells:
                records.append((previous_end + 1, cells))
            previous_end = reader.line_num
    except csv.Error as error:
        raise PackageError(f"{label} line {reader.line_num} is not valid CSV ({error})") from None
    return header, records


def read_rows(path: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[list[str], Records]:
    """A CSV file's header and records with their start lines (see :func:`parse_rows`);
    a BOM is dropped."""
    return parse_rows(read_text(path, max_bytes, "a CSV file").removeprefix("\ufeff"), str(path))


def source_documents(sources_csv: str) -> list[dict[str, str]] | None:
    """The descriptor's ``sources`` list from the text of the sources table: the title and
    archived path of each row with a title; None when the table has no such columns.

    >>> source_documents('"source_id","title","path"\\n"a","A","sources/a.txt"\\n')
    [{'title': 'A', 'path': 'sources/a.txt'}]
    """
    rows = list(csv.DictReader(io.StringIO(sources_csv.removeprefix("\ufeff"), newline="")))
    if not rows or "title" not in rows[0] or "path" not in rows[0]:
        return None
    return [{"title": row["title"], "path": row["path"]} for row in rows if row["title"]]


def with_key(
    data: dict[str, Any], key: str, value: Any, *, after: str = "", before: str = ""
) -> dict[str, Any]:
    """``data`` with ``key`` set in place; a new key goes right after ``after`` or before
    ``before`` (where a release stamp puts ``created`` and ``sources``).

    >>> with_key({"name": "x", "resources": []}, "sources", [], before="resources")
    {'name': 'x', 'sources': [], 'resources': []}
    """
    anchor = after or before
    if key in data or anchor not in data:
        return {**data, key: value}
    items = list(data.items())
    at = list(data).index(anchor) + (1 if after else 0)
    return dict([*items[:at], (key, value), *items[at:]])


def dump_descriptor(descriptor: dict[str, Any]) -> str:
    """The descriptor as ``datapackage.json`` text (two-space indent, UTF-8, final newline)."""
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def parse_json(text: str, label: str) -> Any:
    """The JSON value in ``text``, the one JSON reader of package files (descriptor, schemas).

    Invalid JSON, a key given twice in one object and nesting deeper than
    :data:`MAX_JSON_DEPTH` are a :class:`PackageError` naming ``label``.

    >>> parse_json('{"a": [1, {"b": null}]}', "x.json")
    {'a': [1, {'b': None}]}
    >>> parse_json('{"schema": "a.json", "schema": {}}', "x.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cnplans.datapackage.PackageError: x.json gives the key 'schema' twice in one object; ...
    """
    try:
        value = json.loads(text, object_pairs_hook=lambda pairs: _unique_keys(pairs, label))
    except json.JSONDecodeError as error:
        refused = PackageError(
            f"{label} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        )
        refused.line = error.lineno
        raise refused from None
    except RecursionError:
        value = None
        depth = MAX_JSON_DEPTH + 1
    else:
        depth = _depth(value)
    if depth > MAX_JSON_DEPTH:
        raise PackageError(
            f"{label} nests arrays and objects more than {MAX_JSON_DEPTH} deep; a descriptor "
            "or Table Schema needs a handful of levels"
        )
    return value


MAX_JSON_DEPTH = 64


def _unique_keys(pairs: list[tuple[str, Any]], label: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise PackageError(
                f"{label} gives the key {key!r} twice in one object; expected each "
                "key once (a JSON reader would keep only one of the two)"
            )
        found[key] = value
    return found


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_JSON_DEPTH:
            stack.extend((child, level + 1) for child in children)
    return deepest
