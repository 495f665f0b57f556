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
- ``reported_usd`` (the source's own dollar figure) and every other cell are never touched: the
  file is rewritten by replacing the bytes of the four derived cells only, so quoting, number
  formatting and line endings elsewhere stay byte for byte the same.

:func:`plan_conversion` computes everything without writing; :func:`write_conversion` writes it
atomically; ``cnplans convert --check`` and the validator's ``stale-derived-value`` rule report
cells that disagree with the rates (numbers compared to 6 significant figures). Standard library
only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

from cnplans import atomic
from cnplans.fx import (
    CURRENCY_CODE,
    DEFAULT_PROVIDER,
    RESOURCE_NAME,
    USD,
    MissingRateError,
    RatesFileError,
    RateTable,
    read_rates,
    resource_path,
)

DERIVED_COLUMNS: tuple[str, ...] = ("usd", "fx_year", "fx_units_per_usd", "fx_basis")
NUMERIC_COLUMNS: frozenset[str] = frozenset({"usd", "fx_units_per_usd"})
SIGNIFICANT_DIGITS = 6  # how closely --check compares derived numbers
_YEAR_PREFIX = re.compile(r"^([0-9]{4})(?:-|$)")


class ConvertError(ValueError):
    """The targets cannot be converted; the message says which file, line and value."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # 1: the data is wrong or incomplete; 2: a file is unreadable


@dataclass(frozen=True)
class Derived:
    """The four derived cells of one target, as the text to write."""

    usd: str = ""
    fx_year: str = ""
    fx_units_per_usd: str = ""
    fx_basis: str = ""

    def cells(self) -> dict[str, str]:
        return {
            "usd": self.usd,
            "fx_year": self.fx_year,
            "fx_units_per_usd": self.fx_units_per_usd,
            "fx_basis": self.fx_basis,
        }


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
# CSV text with the positions of its cells
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawRecord:
    """One CSV record: the physical line it starts on and the [start, end) span of each cell."""

    line: int
    spans: list[tuple[int, int]]


def scan_records(text: str, label: str) -> list[RawRecord]:
    """Split CSV text into records, keeping where every cell's raw text is (quotes included).

    Blank lines are skipped. Raises :class:`ConvertError` for an unterminated quoted cell or text
    after a closing quote.
    """
    records: list[RawRecord] = []
    n = len(text)
    i = 0
    line = 1
    while i < n:
        start_line = line
        spans: list[tuple[int, int]] = []
        while True:
            start = i
            if i < n and text[i] == '"':
                i += 1
                while True:
                    j = text.find('"', i)
                    if j == -1:
                        raise ConvertError(
                            f"{label}: line {start_line}: a quoted cell is never closed"
                        )
                    line += text.count("\n", i, j)
                    if j + 1 < n and text[j + 1] == '"':
                        i = j + 2
                        continue
                    i = j + 1
                    break
            else:
                while i < n and text[i] not in ",\r\n":
                    i += 1
            spans.append((start, i))
            if i >= n:
                break
            char = text[i]
            if char == ",":
                i += 1
                continue
            if char in "\r\n":
                i += 2 if text.startswith("\r\n", i) else 1
                line += 1
                break
            raise ConvertError(
                f"{label}: line {line}: expected a comma or the end of the line after a "
                f"quoted cell, found {char!r}"
            )
        if len(spans) == 1 and spans[0][0] == spans[0][1]:
            continue  # a blank line
        records.append(RawRecord(start_line, spans))
    return records


def cell_text(raw: str) -> str:
    """The value of a raw cell: quotes removed and doubled quotes undone."""
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        return raw[1:-1].replace('""', '"')
    return raw


def _render_cell(value: str) -> str:
    if any(char in value for char in ',"\r\n') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


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

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text


def _label(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _read_text(path: Path, label: str) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as file:
            return file.read()
    except FileNotFoundError:
        raise ConvertError(f"{label}: no such file", exit_code=2) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConvertError(f"{label}: cannot read the file ({error})", exit_code=2) from None


def _column_map(path: Path, label: str, key: str, value: str) -> dict[str, str]:
    """``{key: value}`` for every row of a small CSV file (plans' issue dates, sources' dates)."""
    text = _read_text(path, label)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in (key, value) if c not in (reader.fieldnames or [])]
    if missing:
        raise ConvertError(f"{label}: line 1: the header lacks {', '.join(missing)}")
    return {row[key]: row[value] or "" for row in reader}


def _resource_file(descriptor: Path, name: str) -> Path:
    try:
        return resource_path(descriptor, name)
    except FileNotFoundError as error:
        raise ConvertError(str(error), exit_code=2) from None
    except ValueError as error:
        raise ConvertError(str(error), exit_code=2) from None


def plan_conversion(descriptor: Path, provider: str = DEFAULT_PROVIDER) -> Conversion:
    """Compute the derived columns of the package's targets without writing anything.

    Raises :class:`ConvertError` (with every missing rate, or the first unreadable value,
    located by file and line) when the conversion cannot be done.
    """
    root = descriptor.parent
    targets_path = _resource_file(descriptor, "targets")
    files = {name: _resource_file(descriptor, name) for name in ("plans", "sources", RESOURCE_NAME)}
    label = _label(targets_path, root)
    issued = _column_map(files["plans"], _label(files["plans"], root), "plan_id", "issued")
    published = _column_map(
        files["sources"], _label(files["sources"], root), "source_id", "published"
    )
    try:
        rates = read_rates(files[RESOURCE_NAME])
    except RatesFileError as error:
        raise ConvertError(str(error)) from None
    text = _read_text(targets_path, label)
    return _convert_text(text, targets_path, label, issued, published, rates, provider)


def _convert_text(
    text: str,
    path: Path,
    label: str,
    issued: Mapping[str, str],
    published: Mapping[str, str],
    rates: RateTable,
    provider: str,
) -> Conversion:
    records = scan_records(text, label)
    if not records:
        raise ConvertError(f"{label}: the file is empty; expected a header line")
    header = [cell_text(text[a:b]) for a, b in records[0].spans]
    needed = ["plan_id", "source_id", "unit", "value", *DERIVED_COLUMNS]
    missing = [c for c in needed if c not in header]
    if missing:
        raise ConvertError(f"{label}: line 1: the header lacks {', '.join(missing)}")
    position = {name: header.index(name) for name in needed}

    pieces: list[str] = []
    cursor = 0
    stale: list[StaleCell] = []
    bases: dict[str, int] = {}
    errors: list[str] = []
    rewritten = 0
    for record in records[1:]:
        if len(record.spans) != len(header):
            raise ConvertError(
                f"{label}: line {record.line}: expected {len(header)} cells, "
                f"found {len(record.spans)}"
            )

        def cell(name: str, record: RawRecord = record) -> str:
            a, b = record.spans[position[name]]
            return cell_text(text[a:b])

        plan_id, source_id = cell("plan_id"), cell("source_id")
        if plan_id not in issued:
            raise ConvertError(
                f"{label}: line {record.line}: column plan_id: {plan_id!r} is not in plans"
            )
        if source_id not in published:
            raise ConvertError(
                f"{label}: line {record.line}: column source_id: {source_id!r} is not in sources"
            )
        try:
            derived = derive(
                cell("unit"),
                cell("value"),
                issued[plan_id],
                published[source_id],
                rates,
                provider,
            )
        except MissingRateError as error:
            errors.append(f"{label}: line {record.line}: {error}")
            continue
        except ValueError as error:
            raise ConvertError(f"{label}: line {record.line}: column value: {error}") from None
        if derived.fx_basis:
            bases[derived.fx_basis] = bases.get(derived.fx_basis, 0) + 1
        for name, expected in derived.cells().items():
            a, b = record.spans[position[name]]
            found = cell_text(text[a:b])
            if not same_cell(name, expected, found):
                stale.append(
                    StaleCell(label, record.line, name, position[name] + 1, expected, found)
                )
            if found != expected:
                rewritten += 1
                pieces.append(text[cursor:a])
                pieces.append(_render_cell(expected))
                cursor = b
    if errors:
        raise ConvertError("\n".join(errors))
    pieces.append(text[cursor:])
    order = ("plan_issued", "source_published", "unknown")
    bases = {basis: bases[basis] for basis in order if basis in bases}
    return Conversion(path, label, text, "".join(pieces), stale, bases, rewritten)


def write_conversion(conversion: Conversion) -> bool:
    """Write the converted targets atomically if anything changed; return whether it wrote."""
    if not conversion.changed:
        return False
    atomic.write_bytes(conversion.path, conversion.new_text.encode("utf-8"))
    return True


def find_stale(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    issued: Mapping[str, str],
    published: Mapping[str, str],
    rates: RateTable,
    provider: str = DEFAULT_PROVIDER,
) -> tuple[list[tuple[int, str, str, str]], list[tuple[int, str]]]:
    """Stale derived cells of targets given as ``(line, {column: text})`` pairs.

    ``issued`` maps plan ids to ``plans.issued``, ``published`` source ids to
    ``sources.published``. Returns ``(line, column, expected, found)`` for every disagreeing cell,
    and ``(line, sentence)`` for every row whose rate is missing. Rows whose plan or source is
    unknown or whose value does not parse are skipped: other rules report them.
    """
    stale: list[tuple[int, str, str, str]] = []
    missing: list[tuple[int, str]] = []
    for line, row in rows:
        plan_id, source_id = row.get("plan_id", ""), row.get("source_id", "")
        if plan_id not in issued or source_id not in published:
            continue
        try:
            derived = derive(
                row.get("unit", ""),
                row.get("value", ""),
                issued[plan_id],
                published[source_id],
                rates,
                provider,
            )
        except MissingRateError as error:
            missing.append((line, str(error)))
            continue
        except ValueError:
            continue
        for name, expected in derived.cells().items():
            found = row.get(name, "")
            if not same_cell(name, expected, found):
                stale.append((line, name, expected, found))
    return stale, missing
