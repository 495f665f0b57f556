"""Load the data package's tables as typed pandas DataFrames.

The dtypes come from the Table Schemas (:mod:`cnplans.datapackage.table_schema`, the one type
map). Loading checks what is cheap (recorded hashes, the header, the primary key, values that do
not parse as their type) and leaves the full validation to ``cnplans validate``.

Dates load as ``datetime64[ns]``, and so do the text fields of possibly partial ISO dates
(:data:`PARTIAL_DATE_PATTERN`: ``plans.issued``, ``sources.published``); a partial date
(``2024-11``) is no day, so it loads as ``NaT`` with a :class:`PartialDateWarning`.

Nothing here imports pandera, frictionless or requests (``version=`` may import pooch).

>>> import cnplans
>>> "plans" in cnplans.tables()
True
>>> plans = cnplans.load("plans")
>>> list(plans.columns[:3])
['plan_id', 'region_id', 'title']
>>> str(plans["period_start"].dtype), str(plans["region_id"].dtype), str(plans["sector"].dtype)
('Int64', 'string', 'category')
>>> str(plans["issued"].dtype)
'datetime64[ns]'
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cnplans import datapackage
from cnplans.datapackage import PackageError, paths
from cnplans.datapackage.errors import EXIT_INVALID
from cnplans.datapackage.table_schema import (
    PANDAS_DTYPES,
    PARTIAL_DATE_PATTERN,
    Field,
    TableSchema,
    is_partial_date_field,
)

_MAX_EXAMPLES = 5  # offending values an error lists before "and N more"

# The pattern of a text field of possibly partial ISO dates (plans.issued, sources.published).
_FULL_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "1": True}
_BOOLEANS |= {"false": False, "False": False, "FALSE": False, "0": False}


class DataError(PackageError):
    """A table's file does not match its schema or its recorded hash, so it cannot be loaded.

    Also raised for a descriptor or schema that cannot be read (a :class:`ValueError`).
    """

    exit_code = EXIT_INVALID


class PartialDateWarning(UserWarning):
    """A date field holds partial dates (``2024``, ``2024-11``), which load as ``NaT``."""


def loaded_dtype(f: Field) -> Any:
    """The dtype :func:`load` gives field ``f``: its Table Schema type's, or a date's for a
    text field of possibly partial dates (:func:`is_partial_date_field`)."""
    return PANDAS_DTYPES["date"] if is_partial_date_field(f) else f.pandas_dtype()


def package(*, version: str | None = None) -> dict[str, Any]:
    """The data package descriptor (``datapackage.json``) as a dict.

    With ``version="X.Y.Z"`` it is the descriptor of that published release (downloaded once,
    then read from the cache).

    >>> import cnplans
    >>> descriptor = cnplans.package()
    >>> descriptor["name"], descriptor["version"] == cnplans.__version__
    ('cnplans', True)
    """
    return read_descriptor(data_root(version))


def tables(*, version: str | None = None) -> list[str]:
    """Names of the package's tables, in the order the descriptor lists them.

    >>> import cnplans
    >>> cnplans.tables()[:3]
    ['sources', 'regions', 'plans']
    """
    return [str(r["name"]) for r in read_descriptor(data_root(version))["resources"]]


def describe(name: str, *, version: str | None = None) -> pd.DataFrame:
    """The data dictionary of one table, generated from its Table Schema.

    One row per field, in schema order, with the columns ``field``, ``title``, ``type`` (Table
    Schema type), ``dtype`` (what :func:`load` gives), ``key`` (primary or foreign key),
    ``constraints`` (as text) and ``description``.

    >>> import cnplans
    >>> fields = cnplans.describe("plans")
    >>> fields.loc[0, ["field", "type", "dtype", "key"]].tolist()
    ['plan_id', 'string', 'string', 'primary key']
    >>> fields.set_index("field").loc["region_id", "key"]
    'foreign key -> regions.region_id'
    >>> fields.set_index("field").loc["sector", "constraints"]
    'required; one of: new_materials, electronic_information_manufacturing, multi_sector'
    """
    table_schema = schema(name, version=version)
    keys: dict[str, list[str]] = {}
    for field_name in table_schema.primary_key:
        keys.setdefault(field_name, []).append("primary key")
    for fk in table_schema.foreign_keys:
        for own, ref in zip(fk.fields, fk.reference_fields, strict=True):
            keys.setdefault(own, []).append(f"foreign key -> {fk.resource or name}.{ref}")
    rows = [
        {
            "field": f.name,
            "title": f.title,
            "type": f.type,
            "dtype": str(loaded_dtype(f)),  # an enum's CategoricalDtype prints as "category"
            "key": "; ".join(keys.get(f.name, [])),
            "constraints": f.constraints_text(),
            "description": f.description,
        }
        for f in table_schema.fields
    ]
    columns = ["field", "title", "type", "dtype", "key", "constraints", "description"]
    return pd.DataFrame(rows, columns=columns).astype("string")


def schema(name: str, *, version: str | None = None) -> TableSchema:
    """The parsed Table Schema of one table (fields, keys), as :func:`load` uses it.

    >>> from cnplans.loader import schema
    >>> schema("targets").primary_key
    ['target_id']
    """
    root = data_root(version)
    return _schema(root, _resource(read_descriptor(root), name))


def load(name: str, *, version: str | None = None) -> pd.DataFrame:
    """Load one table with the dtypes its Table Schema gives, columns in schema order.

    ``version=None`` reads the data bundled with this installation; ``version="X.Y.Z"`` reads
    that published release, downloaded once and verified against its sha256, then served from
    the cache (see :mod:`cnplans.loader.releases`).

    Raises ``KeyError`` (listing the valid names) for an unknown table, :class:`DataError` when
    the file does not match its schema (header, unparsable values, duplicate primary keys) or its
    recorded hash.

    >>> import cnplans
    >>> regions = cnplans.load("regions")
    >>> regions["region_id"].is_unique
    True
    >>> cnplans.load("plan")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "no table named 'plan'; the tables are: sources, regions, plans, ..."
    """
    return read_table(data_root(version), name)


def load_all(*, version: str | None = None) -> dict[str, pd.DataFrame]:
    """Load every table, keyed by name in descriptor order (see :func:`load`).

    >>> import cnplans
    >>> frames = cnplans.load_all()
    >>> list(frames) == cnplans.tables()
    True
    """
    root = data_root(version)
    return {
        str(r["name"]): read_table(root, str(r["name"])) for r in read_descriptor(root)["resources"]
    }


def read_descriptor(root: Path) -> dict[str, Any]:
    """Read ``root/datapackage.json``; a missing or malformed file is a :class:`DataError`."""
    with _data_errors():
        return datapackage.read_descriptor(root / paths.DESCRIPTOR_NAME)


def read_table(root: Path, name: str) -> pd.DataFrame:
    """Load table ``name`` of the data package in folder ``root`` (see :func:`load`)."""
    resource = _resource(read_descriptor(root), name)
    table_schema = _schema(root, resource)
    with _data_errors():
        where = f"{root / paths.DESCRIPTOR_NAME}: resource {name!r} 'path'"
        path = datapackage.inside(root, resource.get("path"), where)
    _check_hash(path, resource.get("hash"))
    frame = _read_strings(path, table_schema, str(resource.get("encoding", "utf-8")))
    _check_header(path, frame, table_schema)
    columns = {f.name: _convert(path, frame[f.name], f, name) for f in table_schema.fields}
    typed = pd.DataFrame(columns, copy=False)  # schema order
    _check_primary_key(path, typed, table_schema.primary_key)
    return typed


@contextmanager
def _data_errors() -> Iterator[None]:
    """Re-raise a :class:`PackageError` as a :class:`DataError` with the same message."""
    try:
        yield
    except DataError:
        raise
    except PackageError as error:
        raise DataError(str(error)) from None


def data_root(version: str | None) -> Path:
    """The folder of the bundled data package (None) or of the published release ``version``."""
    if version is None:
        return paths.bundled_root()
    from cnplans.loader import releases  # imports pooch/requests only when it has to download

    return releases.fetch(version)


def _resource(descriptor: dict[str, Any], name: str) -> dict[str, Any]:
    try:
        return dict(datapackage.resource(descriptor, name))
    except PackageError:
        names = ", ".join(
            str(r.get("name")) for r in descriptor["resources"] if isinstance(r, dict)
        )
        raise KeyError(f"no table named {name!r}; the tables are: {names}") from None


def _schema(root: Path, resource: dict[str, Any]) -> TableSchema:
    with _data_errors():
        return datapackage.read_schema(root, resource)


def _check_hash(path: Path, recorded: object) -> None:
    """Compare a file with the descriptor's ``hash`` ("sha256:<hex>"; bare hex is md5)."""
    if not recorded:
        return
    algorithm, _, expected = str(recorded).rpartition(":")
    algorithm = algorithm or "md5"  # Data Package v1: a hash without a prefix is md5
    if algorithm not in hashlib.algorithms_guaranteed:
        raise DataError(f"{path}: the descriptor's hash {recorded!r} uses an unknown algorithm")
    try:
        with path.open("rb") as file:
            actual = hashlib.file_digest(file, algorithm).hexdigest()
    except FileNotFoundError:
        raise DataError(f"{path} does not exist; the data package is incomplete") from None
    if actual != expected.lower():
        raise DataError(
            f"{path} does not match the {algorithm} recorded in datapackage.json (expected "
            f"{expected}, found {actual}); the file was changed after the package was built. "
            "Reinstall cnplans, or rebuild the descriptor's hashes if you edited the data."
        )


def _read_strings(path: Path, table_schema: TableSchema, encoding: str) -> pd.DataFrame:
    """Read every column as nullable text; the schema's missing values become <NA>."""

    def read(engine: Literal["c", "pyarrow"]) -> pd.DataFrame:
        return pd.read_csv(
            path,
            engine=engine,
            encoding=encoding,
            dtype="string",
            keep_default_na=False,
            na_values=table_schema.missing_values,
        )

    try:
        try:
            return read(engine="pyarrow")
        except ValueError:  # pandas' own parser reads short rows, and names the line it refuses
            return read(engine="c")
    except FileNotFoundError:
        raise DataError(f"{path} does not exist; the data package is incomplete") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; expected at least a header row") from None
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path} cannot be read as {encoding} CSV: {exc}") from None


def _check_header(path: Path, frame: pd.DataFrame, table_schema: TableSchema) -> None:
    found = [str(c) for c in frame.columns]
    missing = [n for n in table_schema.field_names if n not in found]
    extra = [n for n in found if n not in table_schema.field_names]
    problems = [
        f"{kind} column(s) {', '.join(names)}"
        for kind, names in (("missing", missing), ("unexpected", extra))
        if names
    ]
    if problems:
        raise DataError(
            f"{path}, line 1: the header does not match the schema ({'; '.join(problems)}); "
            f"expected {', '.join(table_schema.field_names)}"
        )


def _convert(path: Path, text: pd.Series, f: Field, table: str) -> pd.Series:
    """Parse one text column into the field's dtype; unparsable values are a DataError."""
    if is_partial_date_field(f):
        return _convert_partial_dates(path, text, f, table)
    dtype = f.pandas_dtype()
    if isinstance(dtype, pd.CategoricalDtype):
        categorical = text.astype("category").cat.set_categories(dtype.categories)  # others: NA
        unknown = text.notna() & categorical.isna()
        _report(path, f, text, unknown, f"one of {', '.join(map(str, dtype.categories))}")
        return categorical
    if f.type in ("date", "datetime"):
        return _convert_datetime(path, text, f, dtype)
    if f.type == "boolean":
        converted = text.map(_BOOLEANS, na_action="ignore").astype(dtype)
        _report(path, f, text, converted.isna() & text.notna(), "true or false")
        return converted
    if text.dtype == dtype:  # text fields: already what the reader produced
        return text
    try:
        return text.astype(dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        if f.type in ("integer", "year"):
            bad = text.notna() & ~text.str.fullmatch(r"[+-]?[0-9]+").fillna(False)
        else:
            bad = text.notna() & pd.to_numeric(text, errors="coerce").isna()
        _report(path, f, text, bad, f"a value of Table Schema type {f.type!r}")
        raise DataError(f"{path}, column {f.name}: cannot convert to {dtype}: {exc}") from None


def _convert_datetime(path: Path, text: pd.Series, f: Field, dtype: Any) -> pd.Series:
    default = "%Y-%m-%d" if f.type == "date" else "ISO8601"
    fmt = {"any": "mixed", "default": default, "": default}.get(f.format, f.format)
    parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=f.type == "datetime")
    if f.type == "datetime":
        parsed = parsed.dt.tz_localize(None)  # UTC, without a zone: the dtype the type map gives
    _report(path, f, text, parsed.isna() & text.notna(), f"a {f.type} in format {fmt!r}")
    return parsed.astype(dtype)


def _convert_partial_dates(path: Path, text: pd.Series, f: Field, table: str) -> pd.Series:
    """Full dates as dates; partial ones as NaT, named in one :class:`PartialDateWarning`."""
    text = text.astype("string")
    dated = text.str.fullmatch(PARTIAL_DATE_PATTERN).fillna(False).astype(bool)
    _report(path, f, text, text.notna() & ~dated, "an ISO date YYYY-MM-DD, YYYY-MM or YYYY")
    full = text.str.fullmatch(_FULL_DATE).fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(full), format="%Y-%m-%d", errors="coerce")
    _report(path, f, text, full & parsed.isna(), "a date that exists (YYYY-MM-DD)")
    partial = [repr(str(v)) for v in text[text.notna() & ~full]]
    if partial:
        warnings.warn(
            f"table {table}, field {f.name}: {len(partial)} partial date(s) "
            f"({_examples(partial, ', ')}) are no day, so they load as NaT; {path} keeps them "
            "as text",
            PartialDateWarning,
            stacklevel=2,
        )
    return parsed.astype(loaded_dtype(f))


def _examples(items: Sequence[str], separator: str) -> str:
    """The first few ``items`` joined, then "and N more"."""
    shown = separator.join(items[:_MAX_EXAMPLES])
    more = len(items) - _MAX_EXAMPLES
    return f"{shown} and {more} more" if more > 0 else shown


def _report(path: Path, f: Field, text: pd.Series, bad: pd.Series, expected: str) -> None:
    """Raise a DataError naming the lines of the values flagged in ``bad``."""
    positions = _positions(bad)
    if not positions:
        return
    lines = _record_lines(path)
    found = [f"line {lines[i] if i < len(lines) else '?'}: {text.iloc[i]!r}" for i in positions]
    raise DataError(f"{path}, column {f.name}: expected {expected}, found {_examples(found, '; ')}")


def _check_primary_key(path: Path, frame: pd.DataFrame, primary_key: list[str]) -> None:
    if not primary_key:
        return
    keys = frame[primary_key]
    label = ", ".join(primary_key)
    missing = _positions(keys.isna().any(axis=1))
    if missing:
        lines = _record_lines(path)
        first = ", ".join(str(lines[i]) for i in missing[:_MAX_EXAMPLES])
        raise DataError(
            f"{path}: the primary key ({label}) is empty on line(s) {first}; every row needs one"
        )
    duplicated = _positions(keys.duplicated(keep=False))
    if not duplicated:
        return
    lines = _record_lines(path)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i in duplicated:
        groups.setdefault(tuple(keys.iloc[i]), []).append(lines[i] if i < len(lines) else -1)
    examples = [
        f"{repr(key[0]) if len(key) == 1 else '(' + ', '.join(map(repr, key)) + ')'} on lines "
        f"{', '.join(map(str, where))}"
        for key, where in list(groups.items())[:_MAX_EXAMPLES]
    ]
    raise DataError(
        f"{path}: the primary key ({label}) is not unique: {'; '.join(examples)}; "
        "each row needs its own key"
    )


def _positions(mask: pd.Series) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))]


def _record_lines(path: Path) -> list[int]:
    """Line number on which each data record starts (only read to word an error)."""
    with _data_errors():
        header, records = datapackage.read_rows(path)
    lines = [line for line, _ in records]
    return lines if header else lines[1:]  # blank lines before the header: it is the first record
