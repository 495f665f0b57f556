"""Exchange rates: reading the ``exchange_rates`` table and converting amounts between currencies.

Rates are units of the currency per US dollar, one row per currency, year and provider:
``federal_reserve`` (G.5A, FRED series AEXCHUS) is the conversion basis, ``world_bank``
(PA.NUS.FCRF) a second series kept for comparison. :func:`read_rates_file` is the one reader
(``csv``, cells as text); :func:`read_rates` caches it per file version; :func:`to_currency` is
the researcher-facing API.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cnplans.datapackage import (
    PackageError,
    inside,
    parse_rows,
    read_descriptor_text,
    read_text,
    resource,
)
from cnplans.datapackage.errors import EXIT_INVALID, CnplansError

if TYPE_CHECKING:
    import pandas as pd

RESOURCE_NAME = "exchange_rates"
USD = "USD"
# The provider whose rates ``cnplans convert`` and :func:`to_currency` use by default.
DEFAULT_PROVIDER = "federal_reserve"
# What an ISO 4217 currency code looks like; a target's unit matching this is money.
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
# The columns conversion reads; the file's own header decides the order of all its columns.
RATE_COLUMNS: tuple[str, ...] = ("currency", "year", "provider", "units_per_usd")

RateKey = tuple[str, int, str]  # (currency, year, provider): the table's primary key


class MissingRateError(CnplansError, KeyError, ValueError):
    """No exchange rate exists for a currency and year (catchable as KeyError or ValueError)."""

    exit_code = EXIT_INVALID

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class RatesFileError(CnplansError, ValueError):
    """The exchange-rate table cannot be read: missing file, missing column, unparsable value."""


@dataclass(frozen=True)
class Rate:
    """One row of the exchange-rate table, values kept as the text written in the file."""

    currency: str
    year: int
    provider: str
    units_per_usd: str  # text as in the file, so derived columns can copy it byte for byte
    line: int  # physical line in the CSV file (header is line 1)

    @property
    def value(self) -> float:
        return float(self.units_per_usd)


@dataclass(frozen=True)
class RateTable:
    """The exchange-rate table, indexed by (currency, provider) then year."""

    path: Path
    rates: dict[tuple[str, str], dict[int, Rate]]

    def require(self, currency: str, year: int, provider: str = DEFAULT_PROVIDER) -> Rate:
        """The rate of ``currency`` in ``year``; :class:`MissingRateError` when there is none."""
        rate = self.rates.get((currency, provider), {}).get(year)
        if rate is None:
            raise MissingRateError(missing_rate_message(self.path, currency, [year], provider))
        return rate

    @classmethod
    def from_rows(cls, path: Path, rows: Iterable[tuple[int, Mapping[str, str]]]) -> RateTable:
        """A table from ``(line, row)`` pairs of text cells (rows that do not parse are skipped),
        for callers that report the file's problems themselves, such as the validator."""
        rates: dict[tuple[str, str], dict[int, Rate]] = {}
        for line, row in rows:
            year_text, text = row.get("year", ""), row.get("units_per_usd", "")
            if not re.fullmatch(r"[0-9]{4}", year_text) or not _is_positive_number(text):
                continue
            rate = Rate(
                row.get("currency", ""), int(year_text), row.get("provider", ""), text, line
            )
            rates.setdefault((rate.currency, rate.provider), {})[rate.year] = rate
        return cls(path, rates)


def missing_rate_message(path: Path, currency: str, years: list[int], provider: str) -> str:
    """The sentence every missing-rate error uses: which currency, which years, which file."""
    listed = ", ".join(str(y) for y in sorted(set(years)))
    noun = "year" if len(set(years)) == 1 else "years"
    return (
        f"no exchange rate for {currency} in {noun} {listed} (provider {provider}) in {path}: "
        f"add the row to the {RESOURCE_NAME} table or run `nox -s rates`"
    )


def resource_path(descriptor_path: Path, name: str) -> Path:
    """Path of the file of resource ``name`` as ``datapackage.json`` lists it, inside its folder.

    :class:`FileNotFoundError` without the descriptor, else a
    :class:`~cnplans.datapackage.PackageError`.
    """
    if not descriptor_path.exists():
        raise FileNotFoundError(f"{descriptor_path}: no such file")
    file, _, descriptor = read_descriptor_text(descriptor_path)
    listed = resource(descriptor, name, str(file))
    return inside(file.parent, listed.get("path"), f"{file}: resource {name!r} path")


@dataclass(frozen=True)
class RatesFile:
    """The exchange-rate CSV file as written: its header and every row's cells as text."""

    path: Path
    header: list[str]
    rows: dict[RateKey, dict[str, str]]  # cells by column, by primary key, in file order
    lines: dict[RateKey, int]  # physical line each row starts on (the header is line 1)

    def rate_table(self) -> RateTable:
        """The rates of these rows, for :func:`to_currency` and ``cnplans convert``."""
        return RateTable.from_rows(self.path, ((self.lines[k], r) for k, r in self.rows.items()))


def read_rates_file(path: Path, required: Iterable[str] = RATE_COLUMNS) -> RatesFile:
    """Read the exchange-rate CSV file; :class:`RatesFileError` names the line that is wrong.

    Every row needs one cell per column, a four-digit ``year``, a positive ``units_per_usd`` and
    its own primary key; blank lines are skipped.
    """
    if not path.exists():
        raise RatesFileError(f"{path}: no such file; the exchange-rate table is missing")
    try:
        text = read_text(path, expected="the exchange-rate CSV file")  # bounded, regular files
    except PackageError as error:
        raise RatesFileError(f"{path}: cannot read the file ({error})") from None
    try:
        header, records = parse_rows(text, str(path))
    except PackageError as error:
        raise RatesFileError(str(error)) from None
    if not header and not records:
        raise RatesFileError(f"{path}: the file is empty; expected a header line")
    missing = [column for column in (*RATE_COLUMNS, *required) if column not in header]
    if missing:
        listed = ", ".join(dict.fromkeys(missing))
        raise RatesFileError(f"{path}: line 1: the header lacks the column(s) {listed}")
    rows: dict[RateKey, dict[str, str]] = {}
    lines: dict[RateKey, int] = {}
    for line, cells in records:
        where = f"{path}: line {line}"
        if len(cells) != len(header):
            raise RatesFileError(f"{where}: expected {len(header)} cells, found {len(cells)}")
        row = dict(zip(header, cells, strict=True))
        if not re.fullmatch(r"[0-9]{4}", row["year"]):
            raise RatesFileError(
                f"{where}: column year: expected a four-digit year, found {row['year']!r}"
            )
        if not _is_positive_number(row["units_per_usd"]):
            raise RatesFileError(
                f"{where}: column units_per_usd: expected a positive number, "
                f"found {row['units_per_usd']!r}"
            )
        key = (row["currency"], int(row["year"]), row["provider"])
        if key in rows:
            raise RatesFileError(
                f"{where}: a second row for currency {key[0]}, year {key[1]}, "
                f"provider {key[2]} (the first is on line {lines[key]})"
            )
        rows[key], lines[key] = row, line
    return RatesFile(path, header, rows, lines)


def read_rates(path: Path) -> RateTable:
    """The rates of the exchange-rate file at ``path`` (read again only when the file changes)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise RatesFileError(f"{path}: no such file; the exchange-rate table is missing") from None
    return _cached_rates(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _cached_rates(path: Path, mtime_ns: int, size: int) -> RateTable:
    return read_rates_file(path).rate_table()


def _is_positive_number(text: str | None) -> bool:
    try:
        number = float(text or "")
    except ValueError:
        return False
    return math.isfinite(number) and number > 0


def to_currency(
    amounts: pd.Series,
    currency: str = "CNY",
    *,
    year: int | pd.Series,
    to: str = USD,
    provider: str = DEFAULT_PROVIDER,
    rates_path: Path | None = None,
) -> pd.Series:
    """Convert ``amounts`` from ``currency`` to ``to`` at the annual average rate of ``year``.

    ``year`` is one year, or a Series with the index of ``amounts``. Any pair goes through the
    dollar (``amount / rate[currency] * rate[to]``) with the bundled rates (or ``rates_path``);
    a missing amount or year gives a missing result, a missing rate :class:`MissingRateError`.

    >>> import pandas as pd
    >>> from cnplans import to_currency
    >>> to_currency(pd.Series([6_729.0, 13_458.0]), "CNY", year=2022).tolist()
    [1000.0, 2000.0]
    >>> to_currency(pd.Series([1_000.0]), "USD", year=2022, to="CNY").tolist()
    [6729.0]
    >>> to_currency(pd.Series([1.0, 1.0]), year=pd.Series([2020, 2021])).round(4).tolist()
    [0.1448, 0.155]
    >>> to_currency(pd.Series([1.0]), year=1900)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cnplans.conversion.fx.MissingRateError: no exchange rate for CNY in year 1900 (provider ...
    """
    import pandas as pd

    from cnplans.datapackage.paths import bundled_descriptor

    if not isinstance(amounts, pd.Series):
        raise TypeError(f"amounts must be a pandas Series, got {type(amounts).__name__}")
    if rates_path is None:  # the table bundled with this installation of cnplans
        rates_path = resource_path(bundled_descriptor(), RESOURCE_NAME)
    table = read_rates(rates_path)
    if isinstance(year, pd.Series):
        if not year.index.equals(amounts.index):
            raise ValueError("year must be an int or a Series with the same index as amounts")
        years = year
    elif isinstance(year, int) and not isinstance(year, bool):
        years = pd.Series(year, index=amounts.index, dtype="Int64")
    else:
        raise TypeError(f"year must be an int or a pandas Series, got {type(year).__name__}")
    source = _rates_for(table, currency, years, amounts, provider)
    target = _rates_for(table, to, years, amounts, provider)
    result = amounts / source * target
    result.name = amounts.name
    return result


def _rates_for(
    table: RateTable, currency: str, years: pd.Series, amounts: pd.Series, provider: str
) -> pd.Series:
    """Per-row rate of ``currency`` (float, NaN where the year or amount is missing)."""
    import pandas as pd

    if currency == USD:
        return pd.Series(1.0, index=years.index)
    by_year = {year: rate.value for year, rate in table.rates.get((currency, provider), {}).items()}
    numeric_years = pd.to_numeric(years, errors="raise")
    looked_up = numeric_years.map(lambda y: by_year.get(int(y), math.nan) if pd.notna(y) else y)
    looked_up = looked_up.astype("float64")
    missing = looked_up.isna() & numeric_years.notna() & amounts.notna()
    if missing.any():
        wanted = sorted({int(y) for y in numeric_years[missing]})
        raise MissingRateError(missing_rate_message(table.path, currency, wanted, provider))
    return looked_up
