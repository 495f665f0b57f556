"""Derived US dollar columns of ``targets``: compute them from the exchange-rate table.

A target is money when its ``unit`` is an ISO 4217 code. Money is converted at the annual
average ``federal_reserve`` rate (units per US dollar; the dollar converts at 1) of one year,
chosen by the IATI value-date rule: the plan's issue year (basis ``plan_issued``), else the
source's publication year (``source_published``), else none (``unknown``: the three other cells
stay empty). Percentages and counts get four empty cells; a known year without a rate is an
error naming the currency and year.

``usd`` is ``value / fx_units_per_usd`` in decimal arithmetic, rounded to whole dollars (half
to even); ``fx_units_per_usd`` is the rate's text as ``exchange_rates.csv`` writes it. Every
other cell keeps its text: the rows are written back in the package's CSV form
(:func:`cnplans.datapackage.csv_form.table_text`), and a file with nothing to recompute is not
written. Which cells are stale is computed once, by
:func:`cnplans.validation.stale_derived.find_stale_columns`, for ``convert``, ``convert --check``
and the validator's ``stale-derived-value`` rule.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
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
    if not expected or not found or column not in (*NUMERIC_COLUMNS, "fx_year"):
        return expected == found
    try:
        if column == "fx_year":
            return int(float(expected)) == int(float(found))
        return (
            f"{float(expected):.{SIGNIFICANT_DIGITS}g}" == f"{float(found):.{SIGNIFICANT_DIGITS}g}"
        )
    except ValueError:
        return False


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
    # fx_basis -> number of money targets, in the order plan_issued, source_published, unknown
    bases: dict[str, int] = field(default_factory=dict)
    rewritten: int = 0  # how many cells' text the conversion changes


def _label(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _lacks(label: str, header: Iterable[str], needed: Iterable[str]) -> None:
    """Refuse a header without the columns ``needed``."""
    missing = [c for c in needed if c not in header]
    if missing:
        raise ConvertError(f"{label}: line 1: the header lacks {', '.join(missing)}")


def _column_map(path: Path, root: Path, key: str, value: str) -> dict[str, str]:
    """``{key: value}`` for every row of a small CSV file (plans' issue dates, sources' dates)."""
    reader = csv.DictReader(io.StringIO(read_text(path, expected="a CSV file"), newline=""))
    _lacks(_label(path, root), reader.fieldnames or [], (key, value))
    return {row[key]: row[value] or "" for row in reader}


def compute_conversion(descriptor: Path, provider: str = DEFAULT_PROVIDER) -> Conversion:
    """Compute the derived columns of the package's targets without writing anything.

    Raises :class:`ConvertError` (with every missing rate, or the first unreadable value,
    located by file and line) when the conversion cannot be done.
    """
    # Imported here: stale_derived imports this module, and both load pandas.
    from cnplans.validation.stale_derived import find_stale_columns

    root = descriptor.parent
    try:  # a file that cannot be used (read_text: a FIFO is never opened) is exit code 2
        path, plans, sources, rates_path = (
            resource_path(descriptor, name)
            for name in ("targets", "plans", "sources", RESOURCE_NAME)
        )
        issued = _column_map(plans, root, "plan_id", "issued")
        published = _column_map(sources, root, "source_id", "published")
        try:
            rates = read_rates(rates_path)
        except RatesFileError as error:
            raise ConvertError(str(error)) from None
        text = read_text(path, expected="a CSV file")
        file, _, data = read_descriptor_text(descriptor)  # the schema says which cells are text
        schema = read_schema(file.parent, resource(data, "targets", str(file)))
    except (FileNotFoundError, PackageError) as error:
        raise ConvertError(str(error), exit_code=2) from None
    label = _label(path, root)
    try:
        header, rows = parse_rows(text, label)
    except PackageError as error:
        raise ConvertError(f"{error}; `cnplans validate` says what is wrong") from None
    if not header and not rows:
        raise ConvertError(f"{label}: the file is empty; expected a header line")
    needed = ["plan_id", "source_id", "unit", "value", *DERIVED_COLUMNS]
    _lacks(label, header, needed)
    # The first row that cannot be converted stops the conversion: a row of the wrong width,
    # an unknown plan or source, a value that is not a number. When none does, every missing
    # rate is listed.
    widths = [
        (line, f"expected {len(header)} cells, found {len(cells)}")
        for line, cells in rows
        if len(cells) != len(header)
    ]
    found = find_stale_columns(
        _text_table(header, rows, needed), issued, published, rates, provider
    )
    stop = min([*widths[:1], *found.skipped[:1]], key=lambda stop: stop[0], default=None)
    if stop is not None:
        raise ConvertError(f"{label}: line {stop[0]}: {stop[1]}")
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
        row_at = dict(rows)
        for line, column, expected, _ in found.rewrites:
            row_at[line][position[column]] = expected
        # A cell holding a carriage return would not stay in its cell once rewritten with LF
        # line ends (Python before 3.13 writes it unquoted).
        for line, cells in rows if "\r" in text else ():
            name = next((n for n, c in zip(header, cells, strict=False) if "\r" in c), None)
            if name is not None:
                raise ConvertError(
                    f"{label}: line {line}: column {name}: the cell holds a carriage return (CR); "
                    "expected LF line ends only: save the file with LF line ends, then convert"
                )
        new_text = table_text(header, (cells for _, cells in rows), schema)
    return Conversion(path, label, text, new_text, stale, found.bases, len(found.rewrites))


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


def write_conversion(conversion: Conversion) -> bool:
    """Write the converted targets atomically if anything changed; return whether it wrote."""
    if conversion.new_text == conversion.old_text:
        return False
    atomic.write_text(conversion.path, conversion.new_text)
    return True
