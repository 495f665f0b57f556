"""Merging fetched rates into the table, refusing what looks wrong.

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

A refused update raises :class:`ResponseRejected`; nothing is written. An accepted one gives the
new table and the list of changes to print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cnplans.rates.sources import RateSource, ResponseRejected
from cnplans.rates.table import Key, RatesTable

MAX_RELATIVE_JUMP = 0.5


@dataclass(frozen=True)
class Change:
    """One change to the table, for the report."""

    kind: str  # "added", "revised" or "relabelled"
    currency: str
    year: int
    old: str
    new: str

    def sentence(self) -> str:
        if self.kind == "added":
            return f"added {self.currency} {self.year}: {self.new}"
        if self.kind == "revised":
            return f"revised {self.currency} {self.year}: {self.old} -> {self.new}"
        return f"relabelled {self.currency} {self.year}: {self.old} -> {self.new}"


@dataclass
class UpdatePlan:
    """The table after the update, and what changed."""

    table: RatesTable
    changes: list[Change] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # years taken from the response
    retrieved: str = ""


def _gaps(years: set[int]) -> set[int]:
    if not years:
        return set()
    return set(range(min(years), max(years) + 1)) - years


def _jump(new: str, old: str) -> float:
    return abs(float(new) / float(old) - 1.0)


def plan_update(
    table: RatesTable,
    source: RateSource,
    fetched: dict[int, str],
    source_url: str,
    today: date,
    since: int | None = None,
) -> UpdatePlan:
    """Merge ``fetched`` (year -> value text) from ``source`` into a copy of ``table``."""
    currency, provider = source.currency, source.provider
    values = {y: v for y, v in fetched.items() if since is None or y >= since}
    if not values:
        raise ResponseRejected(
            f"the response from {source.title} has no {currency} values"
            + (f" from {since} on" if since is not None else "")
        )
    own = {y: r for (c, y, p), r in table.rows.items() if c == currency and p == provider}
    considered = {y for y in own if since is None or y >= since}
    last_fetched = max(values)
    beyond = sorted(y for y in considered if y > last_fetched)
    if beyond:
        raise ResponseRejected(
            f"the response from {source.title} ends at {last_fetched}, but the table already "
            f"has {currency} for {beyond[-1]}: the response looks truncated"
        )
    lacking = sorted(considered - set(values))
    if lacking:
        listed = ", ".join(str(y) for y in lacking)
        raise ResponseRejected(
            f"the response from {source.title} has no {currency} value for {listed}, which the "
            "table has: refusing to open a gap"
        )
    new_gaps = _gaps(set(own) | set(values)) - _gaps(set(own))
    if new_gaps:
        listed = ", ".join(str(y) for y in sorted(new_gaps))
        raise ResponseRejected(
            f"the response from {source.title} skips {currency} {listed}: the table would get "
            "a gap it did not have"
        )

    same_currency = {(y, p): r for (c, y, p), r in table.rows.items() if c == currency}
    last_year = max((y for y, _ in same_currency), default=None)

    def reference_for(year: int) -> dict[str, str] | None:
        """The table's row to compare a fetched year with: own provider first, else another."""
        if year in own:
            return own[year]
        others = [r for (y, _), r in sorted(same_currency.items()) if y == year]
        return others[0] if others else None

    for year, value in sorted(values.items()):
        reference = reference_for(year)
        if reference is None and last_year is not None and year > last_year:
            reference = reference_for(last_year)
        if reference is None:
            continue
        old = reference["units_per_usd"]
        if _jump(value, old) > MAX_RELATIVE_JUMP:
            raise ResponseRejected(
                f"the response from {source.title} gives {value} {currency} per US dollar for "
                f"{year}, {_jump(value, old):.0%} away from the table's {old} for "
                f"{reference['year']} (more than {MAX_RELATIVE_JUMP:.0%}): refusing an "
                "implausible jump"
            )

    retrieved = today.isoformat()
    rows = {key: dict(row) for key, row in table.rows.items()}
    changes: list[Change] = []
    for year, value in sorted(values.items()):
        key: Key = (currency, year, provider)
        old_row = rows.get(key)
        row = dict(old_row) if old_row else {column: "" for column in table.header}
        row.update(currency=currency, year=str(year), provider=provider)
        if old_row is None:
            changes.append(Change("added", currency, year, "", value))
            row["units_per_usd"] = value
        elif Decimal(old_row["units_per_usd"]) != Decimal(value):
            changes.append(Change("revised", currency, year, old_row["units_per_usd"], value))
            row["units_per_usd"] = value
        # else: the same number; keep the text as written (6.4630 stays 6.4630)
        if old_row is not None and (old_row["series"], old_row["source_url"]) != (
            source.series,
            source_url,
        ):
            changes.append(
                Change(
                    "relabelled",
                    currency,
                    year,
                    f"{old_row['series']} <{old_row['source_url']}>",
                    f"{source.series} <{source_url}>",
                )
            )
        row.update(series=source.series, source_url=source_url, retrieved=retrieved)
        row["note"] = source.note
        rows[key] = row
    new_table = RatesTable(table.path, list(table.header), rows)
    return UpdatePlan(new_table, changes, sorted(values), retrieved)
