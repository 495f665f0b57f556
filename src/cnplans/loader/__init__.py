"""Load the data package's tables as typed pandas DataFrames.

The dtypes come from the Table Schemas through :mod:`cnplans.datapackage.table_schema` (the one type
map); this module only parses text into them. Bundled data is trusted: it was validated before it
was released, so loading checks what is cheap (recorded hashes, the header, the primary key, values
that do not parse as their type) and leaves the full validation to ``cnplans validate``.

Dates: ``date`` fields load as ``datetime64[ns]``, and so do the text fields whose Table Schema
pattern is that of a possibly partial ISO 8601 date (:data:`PARTIAL_DATE_PATTERN`:
``plans.issued``, ``sources.published``) where the value is a full date (``2024-11-12``). A
partial date (``2024``, ``2024-11``) is no day, so it loads as ``NaT`` and a
:class:`PartialDateWarning` names the values, which the CSV file keeps as text.

Nothing here imports pandera, frictionless or requests; ``version=`` imports
:mod:`cnplans.loader.releases`, which imports pooch (and so requests) only when it must download.

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

import csv
import hashlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cnplans import datapackage
from cnplans.datapackage import PackageError, paths
from cnplans.datapackage.table_schema import PANDAS_DTYPES, Field, TableSchema

# Files at least this big are read with types straight away: by pandas' C reader guessing them
# (kept when every guess matches the schema), else by pyarrow's reader told them; smaller ones
# are read as text by pandas' C reader, which starts faster. Measured on pandas 3.1 / pyarrow
# 26, 1,000,000 synthetic targets: text then conversion ~1.4 s, pyarrow typed ~0.6 s, C reader
# guessing ~0.5 s (benchmarks/validate.py prints the loader against plain pandas.read_csv).
PYARROW_MIN_BYTES = 256 * 1024

# How many offending values an error message lists before it says "and N more".
_MAX_EXAMPLES = 5

# The Table Schema pattern of a text field holding an ISO 8601 date that may be partial (YYYY,
# YYYY-MM or YYYY-MM-DD), as schemas/plans.json (issued) and schemas/sources.json (published)
# state it. Such fields load as dates where complete (see :func:`is_partial_date_field`).
PARTIAL_DATE_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
_FULL_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


class DataError(PackageError):
    """A table's file does not match its schema or its recorded hash, so it cannot be loaded.

    Also raised for a descriptor or schema that cannot be read (a :class:`ValueError`).
    """


class PartialDateWarning(UserWarning):
    """A date field holds partial dates (``2024``, ``2024-11``), which load as ``NaT``."""


def is_partial_date_field(f: Field) -> bool:
    """Whether ``f`` is a text field of possibly partial ISO dates, which loads as dates.

    >>> from cnplans.loader import schema
    >>> is_partial_date_field(schema("plans").field("issued"))
    True
    >>> is_partial_date_field(schema("plans").field("title"))
    False
    """
    return (
        f.type == "string"
        and f.enum is None
        and f.constraints.get("pattern") == PARTIAL_DATE_PATTERN
    )


def loaded_dtype(f: Field) -> Any:
    """The dtype :func:`load` gives field ``f``: its Table Schema type's, or a date's for a
    text field of possibly partial dates (:func:`is_partial_date_field`)."""
    if is_partial_date_field(f):
        return PANDAS_DTYPES["date"]
    return f.pandas_dtype()


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def package(*, version: str | None = None) -> dict[str, Any]:
    """The data package descriptor (``datapackage.json``) as a dict.

    With ``version="X.Y.Z"`` it is the descriptor of that published release (downloaded once,
    then read from the cache).

    >>> import cnplans
    >>> descriptor = cnplans.package()
    >>> descriptor["name"], descriptor["version"] == cnplans.__version__
    ('cnplans', True)
    """
    return read_descriptor(_data_root(version))


def tables(*, version: str | None = None) -> list[str]:
    """Names of the package's tables, in the order the descriptor lists them.

    >>> import cnplans
    >>> cnplans.tables()[:3]
    ['sources', 'regions', 'plans']
    """
    return [str(r["name"]) for r in read_descriptor(_data_root(version))["resources"]]


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
            "dtype": str(_dtype_name(f)),
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
    root = _data_root(version)
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
    return read_table(_data_root(version), name)


def load_all(*, version: str | None = None) -> dict[str, pd.DataFrame]:
    """Load every table, keyed by name in descriptor order (see :func:`load`).

    >>> import cnplans
    >>> frames = cnplans.load_all()
    >>> list(frames) == cnplans.tables()
    True
    """
    root = _data_root(version)
    return {
        str(r["name"]): read_table(root, str(r["name"])) for r in read_descriptor(root)["resources"]
    }


# --------------------------------------------------------------------------------------------
# Any data package folder (the bundled data, a cached release, a test fixture)
# --------------------------------------------------------------------------------------------


def read_descriptor(root: Path) -> dict[str, Any]:
    """Read ``root/datapackage.json``; a missing or malformed file is a :class:`DataError`."""
    try:
        return datapackage.read_descriptor(root / paths.DESCRIPTOR_NAME)
    except PackageError as error:
        raise DataError(str(error)) from None


def read_table(root: Path, name: str) -> pd.DataFrame:
    """Load table ``name`` of the data package in folder ``root`` (see :func:`load`)."""
    resource = _resource(read_descriptor(root), name)
    table_schema = _schema(root, resource)
    try:
        where = f"{root / paths.DESCRIPTOR_NAME}: resource {name!r} 'path'"
        path = datapackage.inside(root, resource.get("path"), where)
    except PackageError as error:
        raise DataError(str(error)) from None
    _check_hash(path, resource.get("hash"))
    encoding = str(resource.get("encoding", "utf-8"))
    frame = _read_inferred(path, table_schema, encoding)
    if frame is None:
        frame = _read_typed(path, table_schema, encoding)
    if frame is None:  # small files, and anything unusual: read as text, convert, explain
        frame = _read_strings(path, table_schema, encoding)
    _check_header(path, frame, table_schema)
    columns = {f.name: _convert(path, frame[f.name], f, name) for f in table_schema.fields}
    typed = pd.DataFrame(columns, copy=False)  # schema order; one construction, no inserts
    _check_primary_key(path, typed, table_schema.primary_key)
    return typed


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _data_root(version: str | None) -> Path:
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
    """The resource's Table Schema (``scripts/site`` reads schemas with it too)."""
    try:
        return datapackage.read_schema(root, resource)
    except PackageError as error:
        raise DataError(str(error)) from None


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


def _read_inferred(path: Path, table_schema: TableSchema, encoding: str) -> pd.DataFrame | None:
    """A big file read by pandas' C parser with its own type guesses, kept only when every
    guess is what the schema says; None otherwise.

    The C parser is fastest when it may guess types (text it keeps in pyarrow, numbers it
    reads correctly rounded); told to read text as text it is many times slower. So it
    guesses, and the guesses are checked: text fields must have come out as text, number
    fields as numbers, integer and year fields as integers. Any other outcome (a text column
    of digits, "True" read as a boolean, a "nan") gives None and a slower, sure read.
    """
    try:
        if path.stat().st_size < PYARROW_MIN_BYTES or not _has_pyarrow():
            return None
        guessed = pd.read_csv(
            path,
            engine="c",
            encoding=encoding,
            dtype_backend="pyarrow",
            keep_default_na=False,
            na_values=table_schema.missing_values,
        )
    except (
        OSError,
        UnicodeDecodeError,
        ValueError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
    ):
        return None
    if [str(c) for c in guessed.columns] != table_schema.field_names:
        return None
    import pyarrow as pa

    columns: dict[str, pd.Series] = {}
    for f in table_schema.fields:
        column = guessed[f.name]
        kind = getattr(column.dtype, "pyarrow_dtype", None)
        if kind is None:
            return None
        arrow = column.array.__arrow_array__()
        if arrow.null_count == len(arrow):
            as_text = f.enum is not None or is_partial_date_field(f)  # converted later
            wanted = "string" if as_text else _dtype_name(f)
            columns[f.name] = pd.Series(pd.NA, index=column.index, dtype=wanted)
        elif (
            f.enum is None
            and f.type == "number"
            and (pa.types.is_floating(kind) or pa.types.is_integer(kind))
        ):
            numbers = _masked(column, pa.float64())
            if numbers is None:
                return None  # "nan": missing to the text conversion
            columns[f.name] = numbers
        elif f.enum is None and f.type in ("integer", "year") and pa.types.is_integer(kind):
            integers = _masked(column, pa.int64())
            if integers is None:
                return None
            columns[f.name] = integers
        elif f.enum is None and f.type == "boolean" and pa.types.is_boolean(kind):
            columns[f.name] = column.astype("boolean")
        elif (f.enum is not None or f.type not in ("number", "integer", "year", "boolean")) and (
            pa.types.is_string(kind) or pa.types.is_large_string(kind)
        ):
            text = column.array.__arrow_array__().cast(pa.large_string())  # the bytes stay
            columns[f.name] = pd.Series(
                pd.arrays.ArrowStringArray(text), index=column.index, copy=False
            )
        else:
            return None
    return pd.DataFrame(columns, copy=False)


def _masked(column: pd.Series, kind: Any) -> pd.Series | None:
    """A pyarrow-backed number column as pandas' Float64 or Int64 (``kind`` float64/int64);
    None when it holds a NaN (which the text conversion reads as missing)."""
    values = column.array.__arrow_array__().cast(kind)
    numbers = np.asarray(values.fill_null(0).to_numpy())
    if str(kind) != "int64" and bool(np.isnan(numbers).any()):
        return None
    missing = np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    array: Any = (
        pd.arrays.IntegerArray(numbers.astype(np.int64), missing)
        if str(kind) == "int64"
        else pd.arrays.FloatingArray(numbers.astype(np.float64), missing)
    )
    return pd.Series(array, index=column.index, copy=False)


def _read_typed(path: Path, table_schema: TableSchema, encoding: str) -> pd.DataFrame | None:
    """A big file read by pyarrow straight into its number types; None when that is not sure.

    pyarrow parses numbers while it reads (in parallel), where reading text and converting it
    afterwards costs twice. Text, enum, date and boolean fields are still read as text and
    converted by :func:`_convert`. None for small files, for anything pyarrow refuses (a
    value that is not a number, a header that does not match), and for "nan" in a number
    column (text conversion reads it as missing): the text path then decides and explains.
    """
    try:
        if path.stat().st_size < PYARROW_MIN_BYTES or not _has_pyarrow():
            return None
    except OSError:
        return None
    if encoding.lower().replace("-", "").replace("_", "") != "utf8":
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    types = {
        f.name: pa.float64()
        if f.enum is None and f.type == "number"
        else pa.int64()
        if f.enum is None and f.type in ("integer", "year")
        else pa.large_string()
        for f in table_schema.fields
    }
    try:
        pool = pa.jemalloc_memory_pool()  # no first-use cost, unlike the default (mimalloc)
    except (NotImplementedError, AttributeError):
        pool = pa.default_memory_pool()
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 22),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=list(table_schema.missing_values),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
            memory_pool=pool,
        )
    except (pa.ArrowException, OSError, ValueError):
        return None
    if table.column_names != table_schema.field_names:
        return None
    for name, kind in types.items():
        if kind == pa.float64() and pc.any(pc.is_nan(table.column(name))).as_py():
            return None
    mapper = {
        pa.large_string(): pd.StringDtype("pyarrow"),
        pa.float64(): pd.Float64Dtype(),
        pa.int64(): pd.Int64Dtype(),
    }
    frame: pd.DataFrame = table.to_pandas(types_mapper=mapper.get)
    return frame


def _read_strings(path: Path, table_schema: TableSchema, encoding: str) -> pd.DataFrame:
    """Read every column as nullable text; the schema's missing values become <NA>."""
    try:
        size_bytes = path.stat().st_size
    except FileNotFoundError:
        raise DataError(f"{path} does not exist; the data package is incomplete") from None
    engine: Literal["c", "pyarrow"] = (
        "pyarrow" if size_bytes >= PYARROW_MIN_BYTES and _has_pyarrow() else "c"
    )
    return _read_csv(path, table_schema, encoding, engine)


def _read_csv(
    path: Path, table_schema: TableSchema, encoding: str, engine: Literal["c", "pyarrow"]
) -> pd.DataFrame:
    try:
        return pd.read_csv(
            path,
            engine=engine,
            encoding=encoding,
            dtype={name: "string" for name in table_schema.field_names},
            keep_default_na=False,
            na_values=table_schema.missing_values,
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; expected at least a header row") from None
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path} cannot be read as {encoding} CSV: {exc}") from None


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _check_header(path: Path, frame: pd.DataFrame, table_schema: TableSchema) -> None:
    found = [str(c) for c in frame.columns]
    missing = [n for n in table_schema.field_names if n not in found]
    extra = [n for n in found if n not in table_schema.field_names]
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            problems.append(f"unexpected column(s) {', '.join(extra)}")
        raise DataError(
            f"{path}, line 1: the header does not match the schema ({'; '.join(problems)}); "
            f"expected {', '.join(table_schema.field_names)}"
        )


def _dtype_name(f: Field) -> str:
    dtype = loaded_dtype(f)
    return "category" if isinstance(dtype, pd.CategoricalDtype) else str(dtype)


def _convert(path: Path, text: pd.Series, f: Field, table: str) -> pd.Series:
    """Parse one text column into the field's dtype; unparsable values are a DataError."""
    if is_partial_date_field(f):
        return _convert_partial_dates(path, text, f, table)
    dtype = f.pandas_dtype()
    if isinstance(dtype, pd.CategoricalDtype):
        categorical = _categorical(text, dtype)
        unknown = text.notna() & categorical.isna()
        _report(path, f, text, unknown, f"one of {', '.join(map(str, dtype.categories))}")
        return categorical
    if f.type in ("date", "datetime"):
        return _convert_datetime(path, text, f, dtype)
    if f.type == "boolean":
        if pd.api.types.is_bool_dtype(text.dtype):  # the fast path read it as booleans
            return text.astype(dtype)
        values = {"true": True, "True": True, "TRUE": True, "1": True}
        values.update({"false": False, "False": False, "FALSE": False, "0": False})
        converted = text.map(values, na_action="ignore").astype(dtype)
        _report(path, f, text, converted.isna() & text.notna(), "true or false")
        return converted
    if text.dtype == dtype:  # text fields: already what the reader produced
        return text
    fast = _cast_plain_numbers(text, dtype)
    if fast is not None:
        return fast
    try:
        return text.astype(dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        if f.type in ("integer", "year"):
            bad = text.notna() & ~text.str.fullmatch(r"[+-]?[0-9]+").fillna(False)
        else:
            bad = text.notna() & pd.to_numeric(text, errors="coerce").isna()
        _report(path, f, text, bad, f"a value of Table Schema type {f.type!r}")
        raise DataError(f"{path}, column {f.name}: cannot convert to {dtype}: {exc}") from None


_NUMBER_BYTES = frozenset(b"0123456789.eE+-")


def _cast_plain_numbers(text: pd.Series, dtype: Any) -> pd.Series | None:
    """``text.astype(dtype)`` by pyarrow's cast, for columns of number characters only.

    pandas converts pyarrow-backed text to numbers one value at a time; pyarrow's cast gives
    the same (correctly rounded) values at once. None (pandas' own conversion decides, and
    words its errors) when the column holds any other character or pyarrow refuses a value.
    """
    import pyarrow as pa

    targets = {"Float64": (pa.float64(), "Float64"), "Int64": (pa.int64(), "Int64")}
    array = text.array
    if str(dtype) not in targets or not hasattr(array, "__arrow_array__"):
        return None
    arrow = array.__arrow_array__()
    allowed = np.zeros(256, dtype=bool)
    allowed[list(_NUMBER_BYTES)] = True
    for chunk in getattr(arrow, "chunks", [arrow]):
        buffers = chunk.buffers()
        if buffers[2] is None:
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(buffers[1], dtype=width)
        first, last = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
        if not allowed[np.frombuffer(buffers[2], dtype=np.uint8)[first:last]].all():
            return None
    target, _ = targets[str(dtype)]
    try:
        values = arrow.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    numbers = np.asarray(values.fill_null(0).to_numpy())
    missing = np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    masked: Any = (
        pd.arrays.FloatingArray(numbers.astype(np.float64), missing)
        if str(dtype) == "Float64"
        else pd.arrays.IntegerArray(numbers.astype(np.int64), missing)
    )
    return pd.Series(masked, index=text.index, name=text.name, copy=False)


def _categorical(text: pd.Series, dtype: pd.CategoricalDtype) -> pd.Series:
    """``text`` as categories: values outside them become NA (the caller reports them).

    pandas looks each value up as Python text; pyarrow's ``index_in`` finds the codes at once.
    """
    array = text.array
    if not hasattr(array, "__arrow_array__"):
        known = text.where(text.isin(list(dtype.categories)))
        return known.astype(dtype)
    import pyarrow as pa
    import pyarrow.compute as pc

    categories = pa.array([str(c) for c in dtype.categories], type=pa.large_string())
    arrow = array.__arrow_array__().cast(pa.large_string())
    codes = pc.fill_null(pc.index_in(arrow, value_set=categories), -1)
    values = pd.Categorical.from_codes(np.asarray(codes.to_numpy(), dtype=np.int64), dtype=dtype)
    return pd.Series(values, index=text.index, name=text.name, copy=False)


def _convert_datetime(path: Path, text: pd.Series, f: Field, dtype: Any) -> pd.Series:
    if f.format == "any":
        fmt = "mixed"
    elif f.format not in ("default", ""):
        fmt = f.format
    else:
        fmt = "%Y-%m-%d" if f.type == "date" else "ISO8601"
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
    partial = text[text.notna() & ~full]
    if len(partial):
        shown = ", ".join(repr(str(v)) for v in partial.iloc[:_MAX_EXAMPLES])
        more = f" and {len(partial) - _MAX_EXAMPLES} more" if len(partial) > _MAX_EXAMPLES else ""
        warnings.warn(
            f"table {table}, field {f.name}: {len(partial)} partial date(s) ({shown}{more}) are "
            f"no day, so they load as NaT; {path} keeps them as text",
            PartialDateWarning,
            stacklevel=2,
        )
    date_dtype: Any = PANDAS_DTYPES["date"]
    dates: pd.Series = parsed.astype(date_dtype)
    return dates


def _report(path: Path, f: Field, text: pd.Series, bad: pd.Series, expected: str) -> None:
    """Raise a DataError naming the lines of the first values flagged in ``bad``."""
    flags = bad.to_numpy(dtype=bool, na_value=False)
    if not flags.any():
        return
    positions = np.flatnonzero(flags).tolist()
    lines = _record_lines(path)
    examples = [
        f"line {lines[i] if i < len(lines) else '?'}: {text.iloc[i]!r}"
        for i in positions[:_MAX_EXAMPLES]
    ]
    more = f" and {len(positions) - _MAX_EXAMPLES} more" if len(positions) > _MAX_EXAMPLES else ""
    raise DataError(
        f"{path}, column {f.name}: expected {expected}, found {'; '.join(examples)}{more}"
    )


def _check_primary_key(path: Path, frame: pd.DataFrame, primary_key: list[str]) -> None:
    if not primary_key:
        return
    if len(primary_key) == 1:  # the common case, and Series checks are much faster
        key = frame[primary_key[0]]
        if not key.hasnans and (_sorted_and_distinct(key) or key.is_unique):
            return
    keys = frame[primary_key]
    label = ", ".join(primary_key)
    missing = keys.isna().any(axis=1)
    if missing.any():
        lines = _record_lines(path)
        first = [str(lines[i]) for i in _positions(missing)[:_MAX_EXAMPLES]]
        raise DataError(
            f"{path}: the primary key ({label}) is empty on line(s) {', '.join(first)}; "
            "every row needs one"
        )
    duplicated = keys.duplicated(keep=False)
    if not duplicated.any():
        return
    lines = _record_lines(path)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i in _positions(duplicated):
        groups.setdefault(tuple(keys.iloc[i]), []).append(lines[i] if i < len(lines) else -1)
    examples = [
        f"{_key_text(key)} on lines {', '.join(map(str, where))}"
        for key, where in list(groups.items())[:_MAX_EXAMPLES]
    ]
    raise DataError(
        f"{path}: the primary key ({label}) is not unique: {'; '.join(examples)}; "
        "each row needs its own key"
    )


def _sorted_and_distinct(key: pd.Series) -> bool:
    """Whether a text key (without missing values) is strictly increasing: then it is unique.

    The bundled tables are sorted by their key, and comparing each key with the previous one
    is much cheaper than hashing them all; False only means "not shown this way".
    """
    array = key.array
    if len(key) < 2 or not hasattr(array, "__arrow_array__"):
        return False
    import pyarrow.compute as pc

    arrow = array.__arrow_array__()
    arrow = arrow.combine_chunks() if hasattr(arrow, "combine_chunks") else arrow
    try:
        increasing = pc.greater(arrow.slice(1), arrow.slice(0, len(arrow) - 1))
    except NotImplementedError:
        return False
    return bool(pc.all(increasing).as_py())


def _key_text(key: tuple[Any, ...]) -> str:
    return repr(key[0]) if len(key) == 1 else "(" + ", ".join(map(repr, key)) + ")"


def _positions(mask: pd.Series) -> list[int]:
    return [i for i, flag in enumerate(mask.to_numpy(dtype=bool)) if flag]


def _record_lines(path: Path) -> list[int]:
    """Line number on which each data record starts (only computed to word an error)."""
    return list(_iter_record_lines(path))


def _iter_record_lines(path: Path) -> Iterator[int]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        end_of_previous = 0
        header_seen = False
        for row in reader:
            start = end_of_previous + 1
            end_of_previous = reader.line_num
            if not row:  # blank lines are skipped by the CSV readers too
                continue
            if not header_seen:
                header_seen = True
                continue
            yield start
