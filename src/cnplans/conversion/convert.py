"""Derived US dollar columns of ``targets``: compute them from the exchange-rate table.

A target is money when its ``unit`` is an ISO 4217 currency code (not ``percent`` or ``count``).
Money is converted at the annual average rate of one year, chosen by the IATI value-date rule:

1. the year the plan was issued (``plans.issued``, a possibly partial ISO date), basis
   ``plan_issued``;
2. else the year the target's source was published (``sources.published``), basis
   ``source_published``;
3. else the amount stays unconverted: basis ``unknown``, and ``usd``, ``fx_year`` and
   ``fx_units_per_usd`` stay empty.

The rates are the ``federal_reserve`` rows of ``exchange_rates`` (units of currency per US
dollar); the US dollar converts at 1. Percentages and counts get four empty cells. A known year
whose rate the table lacks is an error naming the currency and year, never an empty cell.

How the cells are written, deterministically:

- ``usd`` = ``value`` / ``fx_units_per_usd``, computed in decimal arithmetic and rounded to whole
  dollars (half to even). Only ``value`` is converted: for a range it is the lower bound, and the
  upper bound in dollars is ``value_max / fx_units_per_usd`` (the same rate).
- ``fx_year`` is the four-digit year; ``fx_units_per_usd`` is the rate's text exactly as
  ``exchange_rates.csv`` writes it (``6.7290``); ``fx_basis`` is the word.
- ``reported_usd`` (the source's own dollar figure) and every other cell keep their text: the
  file is read with :mod:`csv`, the four derived cells are changed and the rows are written
  back in the package's CSV form (:func:`cnplans.datapackage.csv_form.table_text`: text cells
  quoted), the form the validator's ``non-canonical-csv`` rule asks for. A file in that form
  changes only in the derived cells; a file with nothing to recompute is not written at all.

:func:`compute_conversion` computes everything without writing; :func:`write_conversion` writes
it atomically. Which cells are stale (numbers compared to 6 significant figures) is computed
once, by :func:`cnplans.validation.stale_derived.find_stale_columns`, for
``cnplans convert``, ``convert --check`` and the validator's ``stale-derived-value`` rule.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from cnplans.conversion.fx import (
    CURRENCY_CODE,
    DEFAULT_PROVIDER,
    RESOURCE_NAME,
    USD,
    RatesFileError,
    RateTable,
    read_rates,
    resource_path,
)
from cnplans.datapackage import (
    PackageError,
    atomic,
    parse_rows,
    read_descriptor_text,
    read_schema,
    read_text,
    resource,
)
from cnplans.datapackage.csv_form import table_text
from cnplans.datapackage.errors import EXIT_INVALID, CnplansError

if TYPE_CHECKING:
    import pandas as pd

    from cnplans.datapackage.table_schema import TableSchema

DERIVED_COLUMNS: tuple[str, ...] = ("usd", "fx_year", "fx_units_per_usd", "fx_basis")
NUMERIC_COLUMNS: frozenset[str] = frozenset({"usd", "fx_units_per_usd"})
SIGNIFICANT_DIGITS = 6  # how closely --check compares derived numbers
_YEAR_PREFIX = re.compile(r"^([0-9]{4})(?:-|$)")


class ConvertError(CnplansError, ValueError):
    """The targets cannot be converted; the message says which file, line and value.

    ``exit_code`` 1: the data is wrong or incomplete; 2: a file is unreadable.
    """

    exit_code = EXIT_INVALID


@dataclass(frozen=True)
class Derived:
    """The four derived cells of one target, as the text to write."""

    usd: str = ""
    fx_year: str = ""
    fx_units_per_usd: str = ""
    fx_basis: str = ""

    def cells(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in DERIVED_COLUMNS}


def year_of(partial_date: str | None) -> int | None:
    """The year of a possibly partial ISO date (``2024``, ``2024-11``, ``2024-11-12``), or None."""
    match = _YEAR_PREFIX.match((partial_date or "").strip())
    return int(match.group(1)) if match else None


def is_money(unit: str) -> bool:
    """Whether a target's unit is a currency (an ISO 4217 code) rather than percent or count."""
    return bool(CURRENCY_CODE.match(unit))


def derive(
    unit: str,
    value: str,
    plan_issued: str | None,
    source_published: str | None,
    rates: RateTable,
    provider: str = DEFAULT_PROVIDER,
) -> Derived:
    """The derived cells of one target from its unit, value text and the two candidate dates.

    Raises :class:`MissingRateError` when the basis year is known but the table has no rate for
    the currency in it, and ``ValueError`` when ``value`` is not a number.
    """
    if not is_money(unit):
        return Derived()
    issued_year = year_of(plan_issued)
    published_year = year_of(source_published)
    if issued_year is not None:
        year, basis = issued_year, "plan_issued"
    elif published_year is not None:
        year, basis = published_year, "source_published"
    else:
        return Derived(fx_basis="unknown")
    rate_text = "1" if unit == USD else rates.require(unit, year, provider).units_per_usd
    try:
        amount = Decimal(value.strip())
        rate = Decimal(rate_text)
    except InvalidOperation:
        raise ValueError(f"expected a number, found {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"expected a finite number, found {value!r}")
    if rate <= 0:
        raise ValueError(f"the rate of {unit} in {year} is {rate_text!r}, not a positive number")
    usd = (amount / rate).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return Derived(f"{usd:f}", str(year), rate_text, basis)


def same_cell(column: str, expected: str, found: str) -> bool:
    """Whether a derived cell's text agrees with the expected text.

    Numbers (``usd``, ``fx_units_per_usd``) agree when equal to 6 significant figures, years when
    equal as integers, anything else when equal as text; empty agrees only with empty.
    """
    expected, found = expected.strip(), found.strip()
    if not expected or not found:
        return expected == found
    if column in NUMERIC_COLUMNS:
        try:
            return f"{float(expected):.{SIGNIFICANT_DIGITS}g}" == (
                f"{float(found):.{SIGNIFICANT_DIGITS}g}"
            )
        except ValueError:
            return False
    if column == "fx_year":
        try:
            return int(float(expected)) == int(float(found))
        except ValueError:
            return False
    return expected == found


# --------------------------------------------------------------------------------------------
# The conversion of one package
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleCell:
    """A derived cell whose text disagrees with what the exchange-rate table gives."""

    file: str  # relative to the descriptor's folder
    line: int
    column: str
    column_number: int  # 1-based position in the header
    expected: str
    found: str

    def sentence(self) -> str:
        expected = repr(self.expected) if self.expected else "an empty cell"
        found = repr(self.found) if self.found else "an empty cell"
        return (
            f"{self.file}:{self.line}:{self.column}: stale-derived-value: expected {expected} "
            f"(column {self.column_number}, from the exchange rates), found {found}"
        )


@dataclass
class Conversion:
    """What ``cnplans convert`` would write: the new text of targets.csv and what changes."""

    path: Path
    label: str
    old_text: str
    new_text: str
    stale: list[StaleCell] = field(default_factory=list)
    bases: dict[str, int] = field(default_factory=dict)  # fx_basis -> number of money targets,
    # in the order plan_issued, source_published, unknown
    rewritten: int = 0  # how many cells' text the conversion changes


def _label(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _column_map(path: Path, root: Path, key: str, value: str) -> dict[str, str]:
    """``{key: value}`` for every row of a small CSV file (plans' issue dates, sources' dates)."""
    reader = csv.DictReader(io.StringIO(read_text(path, expected="a CSV file"), newline=""))
    missing = [c for c in (key, value) if c not in (reader.fieldnames or [])]
    if missing:
        raise ConvertError(f"{_label(path, root)}: line 1: the header lacks {', '.join(missing)}")
    return {row[key]: row[value] or "" for row in reader}


def compute_conversion(descriptor: Path, provider: str = DEFAULT_PROVIDER) -> Conversion:
    """Compute the derived columns of the package's targets without writing anything.

    Raises :class:`ConvertError` (with every missing rate, or the first unreadable value,
    located by file and line) when the conversion cannot be done.
    """
    root = descriptor.parent
    try:  # a file that cannot be used (read_text: a FIFO is never opened) is exit code 2
        targets_path, plans, sources, rates_path = (
            resource_path(descriptor, name)
            for name in ("targets", "plans", "sources", RESOURCE_NAME)
        )
        issued = _column_map(plans, root, "plan_id", "issued")
        published = _column_map(sources, root, "source_id", "published")
        try:
            rates = read_rates(rates_path)
        except RatesFileError as error:
            raise ConvertError(str(error)) from None
        text = read_text(targets_path, expected="a CSV file")
        file, _, data = read_descriptor_text(descriptor)  # the schema says which cells are text
        schema = read_schema(file.parent, resource(data, "targets", str(file)))
    except (FileNotFoundError, PackageError) as error:
        raise ConvertError(str(error), exit_code=2) from None
    label = _label(targets_path, root)
    return _convert_text(text, targets_path, label, schema, issued, published, rates, provider)


def _text_table(
    header: list[str], records: list[tuple[int, list[str]]], columns: Iterable[str]
) -> pd.DataFrame:
    """``columns`` of the data records as a text table indexed by line, as the validator has it.

    A record too short for a column gets an empty cell there.
    """
    import pandas as pd

    text = pd.StringDtype("pyarrow")
    cells = {}
    for name in columns:
        at = header.index(name)
        cells[name] = pd.array([c[at] if at < len(c) else "" for _, c in records], dtype=text)
    return pd.DataFrame(cells, index=pd.Index([line for line, _ in records], name="line"))


def _convert_text(
    text: str,
    path: Path,
    label: str,
    schema: TableSchema,
    issued: Mapping[str, str],
    published: Mapping[str, str],
    rates: RateTable,
    provider: str,
) -> Conversion:
    # Imported here: stale_derived imports this module, and both load pandas.
    from cnplans.validation.stale_derived import find_stale_columns

    try:
        header, rows = parse_rows(text, label)
    except PackageError as error:
        raise ConvertError(f"{error}; `cnplans validate` says what is wrong") from None
    if not header and not rows:
        raise ConvertError(f"{label}: the file is empty; expected a header line")
    needed = ["plan_id", "source_id", "unit", "value", *DERIVED_COLUMNS]
    missing = [c for c in needed if c not in header]
    if missing:
        raise ConvertError(f"{label}: line 1: the header lacks {', '.join(missing)}")
    # The first row that cannot be converted stops the conversion: a row of the wrong width,
    # an unknown plan or source, a value that is not a number. When none does, every missing
    # rate is listed.
    stops = [
        (line, f"expected {len(header)} cells, found {len(cells)}")
        for line, cells in rows
        if len(cells) != len(header)
    ][:1]
    found = find_stale_columns(
        _text_table(header, rows, needed), issued, published, rates, provider
    )
    stops = sorted([*stops, *found.skipped[:1]], key=lambda stop: stop[0])
    if stops:
        line, sentence = stops[0]
        raise ConvertError(f"{label}: line {line}: {sentence}")
    if found.missing:
        raise ConvertError(
            "\n".join(f"{label}: line {line}: {error}" for line, error in found.missing)
        )

    position = {name: header.index(name) for name in needed}
    stale = [
        StaleCell(label, line, column, position[column] + 1, expected, cell)
        for line, column, expected, cell in found.cells
    ]
    new_text = text
    if found.rewrites:
        row_at = {line: cells for line, cells in rows}
        for line, column, expected, _ in found.rewrites:
            row_at[line][position[column]] = expected
        _refuse_carriage_returns(text, rows, header, label)
        new_text = table_text(header, (cells for _, cells in rows), schema)
    return Conversion(path, label, text, new_text, stale, found.bases, len(found.rewrites))


def _refuse_carriage_returns(
    text: str, rows: list[tuple[int, list[str]]], header: list[str], label: str
) -> None:
    """Refuse a cell holding a carriage return: rewritten with LF line ends, it would not stay
    in its cell (Python before 3.13 writes it unquoted)."""
    if "\r" not in text:
        return
    for line, cells in rows:
        for name, cell in zip(header, cells, strict=False):
            if "\r" in cell:
                raise ConvertError(
                    f"{label}: line {line}: column {name}: the cell holds a carriage return (CR); "
                    "expected LF line ends only: save the file with LF line ends, then convert"
                )


def write_conversion(conversion: Conversion) -> bool:
    """Write the converted targets atomically if anything changed; return whether it wrote."""
    if conversion.new_text == conversion.old_text:
        return False
    atomic.write_text(conversion.path, conversion.new_text)
    return True
