"""Merging fetched rates into the table, refusing what looks wrong, and rendering it back.

One currency and provider at a time (the primary key is currency, year, provider, so FRED's
figures and the World Bank's never overwrite each other). Before anything is replaced the fetched
figures must:

- cover every year the table already has for that currency and provider, from the first year
  asked for (a year the table has but the response lacks is a gap; a response ending before the
  table's last year looks truncated);
- leave no gap in the years that the table did not have already;
- stay within 50% of the table's value for the same year (the same provider's, else another
  provider's for that currency), and a year after the table's last within 50% of that last
  year's value.

A refused update raises :class:`ResponseRejected`; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cnplans.conversion.fx import RATE_COLUMNS, RateKey, RatesFile
from cnplans.datapackage.csv_form import table_text
from cnplans.datapackage.table_schema import TableSchema

from .sources import RateSource, ResponseRejected

MAX_RELATIVE_JUMP = 0.5
# The columns the updater fills; the file's own header decides the order of all its columns.
UPDATED_COLUMNS: tuple[str, ...] = (*RATE_COLUMNS, "series", "source_url", "retrieved", "note")

Rows = dict[RateKey, dict[str, str]]


@dataclass(frozen=True)
class Merged:
    """The table's rows after the update, and what changed."""

    rows: Rows
    report: list[str]  # what changed, one line each: added, revised, relabelled, retrieved
    changed: bool  # a value was added or revised, so derived columns need recomputing
    years: list[int]  # years taken from the response


def _gaps(years: set[int]) -> set[int]:
    return set(range(min(years), max(years) + 1)) - years if years else set()


def _jump(new: str, old: str) -> float:
    return abs(float(new) / float(old) - 1.0)


def _check(table: RatesFile, source: RateSource, values: dict[int, str], since: int | None) -> None:
    """Raise :class:`ResponseRejected` if ``values`` would truncate, gap or jump the table."""
    currency, title = source.currency, source.title
    same_currency = {(y, p): r for (c, y, p), r in table.rows.items() if c == currency}
    own = {y: r for (y, p), r in same_currency.items() if p == source.provider}
    considered = {y for y in own if since is None or y >= since}
    beyond = sorted(y for y in considered if y > max(values))
    if beyond:
        raise ResponseRejected(
            f"the response from {title} ends at {max(values)}, but the table already "
            f"has {currency} for {beyond[-1]}: the response looks truncated"
        )
    lacking = ", ".join(str(y) for y in sorted(considered - set(values)))
    if lacking:
        raise ResponseRejected(
            f"the response from {title} has no {currency} value for {lacking}, which the "
            "table has: refusing to open a gap"
        )
    new_gaps = ", ".join(str(y) for y in sorted(_gaps(set(own) | set(values)) - _gaps(set(own))))
    if new_gaps:
        raise ResponseRejected(
            f"the response from {title} skips {currency} {new_gaps}: the table would get "
            "a gap it did not have"
        )
    last_year = max((y for y, _ in same_currency), default=None)

    def reference_for(year: int) -> dict[str, str] | None:
        """The row to compare a fetched year with: the own provider's first, else another's."""
        others = [r for (y, _), r in sorted(same_currency.items()) if y == year]
        return own.get(year) or (others[0] if others else None)

    for year, value in sorted(values.items()):
        reference = reference_for(year)
        if reference is None and last_year is not None and year > last_year:
            reference = reference_for(last_year)
        if reference is not None and _jump(value, reference["units_per_usd"]) > MAX_RELATIVE_JUMP:
            old = reference["units_per_usd"]
            raise ResponseRejected(
                f"the response from {title} gives {value} {currency} per US dollar for "
                f"{year}, {_jump(value, old):.0%} away from the table's {old} for "
                f"{reference['year']} (more than {MAX_RELATIVE_JUMP:.0%}): refusing an "
                "implausible jump"
            )


def merge(
    table: RatesFile,
    source: RateSource,
    fetched: dict[int, str],
    source_url: str,
    today: date,
    since: int | None = None,
) -> Merged:
    """Merge ``fetched`` (year -> value text) from ``source`` into a copy of ``table``'s rows."""
    values = {y: v for y, v in fetched.items() if since is None or y >= since}
    if not values:
        raise ResponseRejected(
            f"the response from {source.title} has no {source.currency} values"
            + (f" from {since} on" if since is not None else "")
        )
    _check(table, source, values, since)
    currency, retrieved = source.currency, today.isoformat()
    rows = {key: dict(row) for key, row in table.rows.items()}
    report: list[str] = []
    relabelled: dict[tuple[str, str], list[str]] = {}  # (old label, new label) -> years
    for year, value in sorted(values.items()):
        key: RateKey = (currency, year, source.provider)
        old = table.rows.get(key)
        row = rows.setdefault(key, dict.fromkeys(table.header, ""))
        if old is None:
            report.append(f"added {currency} {year}: {value}")
            row.update(currency=currency, year=str(year), provider=key[2], units_per_usd=value)
        elif Decimal(old["units_per_usd"]) != Decimal(value):
            report.append(f"revised {currency} {year}: {old['units_per_usd']} -> {value}")
            row["units_per_usd"] = value
        # else: the same number; keep the text as written (6.4630 stays 6.4630)
        if old is not None and (old["series"], old["source_url"]) != (source.series, source_url):
            labels = (f"{old['series']} <{old['source_url']}>", f"{source.series} <{source_url}>")
            relabelled.setdefault(labels, []).append(str(year))
        row.update(series=source.series, source_url=source_url, retrieved=retrieved)
        row["note"] = source.note
    changed = bool(report)
    for (was, now), years in relabelled.items():
        report.append(f"source of {currency} {', '.join(years)}: {was} -> {now}")
    if not changed:
        report.append("no value added or revised")
    report.append(f"retrieved set to {retrieved} on {len(values)} row(s)")
    return Merged(rows, report, changed, sorted(values))


def render(header: list[str], rows: Rows, schema: TableSchema) -> str:
    """The file's text: the header, then the rows sorted by the primary key, LF line ends.

    The package's CSV form (:func:`cnplans.datapackage.csv_form.table_text`, the text columns from
    the table's schema), as every table is written, so an unchanged row keeps its bytes.
    """
    records = ([row[column] for column in header] for _, row in sorted(rows.items()))
    return table_text(header, records, schema)
