"""Number rules: every number of a fact row is stated by that row's own quote.

A quote being verbatim in its source (:mod:`cnplans.validation.provenance`) does not make it
say the row's fact. These checks read the quote with
:func:`cnplans.drafting.quantities.find_quantities` and require each number cell to be one of the
quantities it states, in the row's unit and scale (150000000000 CNY is stated by "150 billion yuan",
not by "150 million yuan"), with the row's qualifier ("about 15 percent" is not ``exactly``) and its
``strive`` flag. A year the quote names only relative to the text's date ("by the end of this year",
"on Nov 12") is allowed with the basis ``dateline``: the year must then be that of the source's
dateline, which ``sources.dateline`` prints and :mod:`cnplans.validation.wording` finds in the text.

Each table is read in one pass, rows of the same quote one after the other, so each quote is
read once and no quantities are kept beyond the rows that need them. Rules skip cells
that could not be typed (their ``type`` problem is already reported) and missing tables or
columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cnplans.drafting.quantities import Quantity, find_quantities, relative_years
from cnplans.validation.context import PackageContext, Table, has, row_slices
from cnplans.validation.problems import Problem
from cnplans.validation.rows import shown
from cnplans.validation.rules import issue_years

# The unit each indicator's value is in: money in a currency, a rate in percent, a count.
MONEY_UNITS = ("CNY", "USD")
INDICATOR_UNITS: dict[str, tuple[str, ...]] = {
    "revenue": MONEY_UNITS,
    "output_value": MONEY_UNITS,
    "added_output_value": MONEY_UNITS,
    "investment": MONEY_UNITS,
    "funding_in_place": MONEY_UNITS,
    "growth_rate": ("percent",),
    "count": ("count",),
}
MAX_LISTED = 6  # quantities named in one message
Quantities = tuple[Quantity, ...]


@lru_cache(maxsize=1024)
def stated(quote: str) -> Quantities:
    """The quantities ``quote`` states (the number rules take the rows of one quote together)."""
    return tuple(find_quantities(quote))


def same(a: float, b: float) -> bool:
    """Whether two amounts are equal up to the rounding of a decimal text."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def listing(quantities: Quantities) -> str:
    """The quantities of a quote in words, for a message."""
    if not quantities:
        return "no number"
    words = [q.describe() for q in quantities[:MAX_LISTED]]
    if len(quantities) > MAX_LISTED:
        words.append(f"and {len(quantities) - MAX_LISTED} more")
    return ", ".join(words)


def states_year(quantities: Quantities, year: int) -> bool:
    """Whether one of the quantities is ``year`` (alone or as either end of a year range)."""
    return any(
        q.unit == "year"
        and (same(q.value, year) or (q.value_max is not None and same(q.value_max, year)))
        for q in quantities
    )


Rows = slice | np.ndarray  # positions of rows: a slice, or an array of them


def _values(table: Table, column: str, rows: Rows = slice(None)) -> list[Any]:
    """The ``rows`` of a typed column as Python values, None where empty or untyped (or absent)."""
    if column not in table.frame.columns:
        return [None] * len(table.frame.index[rows])
    cells = table.frame[column].iloc[rows]
    return cells.astype(object).where(cells.notna(), None).tolist()


def _texts(table: Table, column: str, rows: Rows = slice(None)) -> list[str]:
    """The ``rows`` of a column's cells as written ("" where absent)."""
    if column not in table.raw.columns:
        return [""] * len(table.raw.index[rows])
    return [str(v) for v in table.raw[column].iloc[rows].tolist()]


def _rows(
    table: Table, *columns: tuple[Callable[[Table, str, Rows], list[Any]], str]
) -> Iterator[tuple[Any, ...]]:
    """``(line, cell, ...)`` of each row, each cell read by its ``(_texts or _values, column)``.

    Rows with the same quote come one after the other (so each quote is read once, however far
    apart its rows are), a slice of them at a time
    (:func:`~cnplans.validation.context.row_slices`).
    """
    codes, _ = pd.factorize(table.raw["quote"])
    order = np.argsort(codes, kind="stable")
    for part in row_slices(len(order)):
        rows = order[part]
        cells = [read(table, column, rows) for read, column in columns]
        yield from zip(table.raw.index[rows].tolist(), *cells, strict=True)


def _dateline_years(context: PackageContext) -> dict[str, int | None]:
    """Each source's dateline year (from ``published``, when its dateline is printed)."""
    sources = context.table("sources")
    if not has(sources, "source_id", "published", "dateline"):
        return {}
    years: dict[str, int | None] = {}
    for source_id, published, dateline in sources.raw[
        ["source_id", "published", "dateline"]
    ].itertuples(index=False, name=None):
        year = str(published)[:4]
        years[str(source_id)] = int(year) if dateline and year.isdigit() else None
    return years


class _Row:
    """One row being checked: where it is, its quote's quantities, what it says."""

    def __init__(self, table: Table, line: int, quantities: Quantities) -> None:
        self.table, self.line, self.quantities = table, line, quantities

    def problem(self, column: str, rule: str, message: str) -> Problem:
        return self.table.problem(self.line, column, rule, message)

    def year(
        self,
        column: str,
        year: int | None,
        basis_column: str | None = None,
        basis: str = "quote",
        dateline_year: int | None = None,
        source_id: str = "",
    ) -> Iterator[Problem]:
        """A year cell is stated by the quote, or has the ``dateline`` basis and its checks."""
        if year is None:
            return
        if basis_column is not None and basis == "dateline":
            if dateline_year is None:
                yield self.problem(
                    basis_column,
                    "year-basis",
                    f"{basis_column} is 'dateline', but source {source_id!r} has no dateline "
                    "(sources.dateline); expected 'quote' with a year the quote states, or an "
                    f"empty {column}",
                )
            elif dateline_year != year:
                yield self.problem(
                    column,
                    "year-basis",
                    f"{column} {year} has the basis 'dateline', but the dateline of source "
                    f"{source_id!r} is of {dateline_year}; expected {dateline_year}",
                )
            elif not relative_years(self.table.text(self.line, "quote")):
                yield self.problem(
                    basis_column,
                    "year-basis",
                    f"{basis_column} is 'dateline', but the quote names no year relative to "
                    "the text's date (such as 'this year' or a month and day); expected "
                    "'quote' with a year the quote states",
                )
            return
        if not states_year(self.quantities, year):
            hint = (
                f", or {basis_column} 'dateline' for a year read from the text's date"
                if basis_column is not None
                else ""
            )
            yield self.problem(
                column,
                "number-not-stated",
                f"{column} {year} is not stated by the quote, which states "
                f"{listing(self.quantities)}; expected a year the quote names{hint}",
            )

    def amount(self, column: str, value: float | None, unit: str, what: str) -> Iterator[Problem]:
        """An amount cell of a fixed unit (a count, yuan, dollars) is stated by the quote."""
        if value is None or any(q.unit == unit and same(q.value, value) for q in self.quantities):
            return
        yield self.problem(
            column,
            "number-not-stated",
            f"{column} {self.table.text(self.line, column)} is not stated by the quote, which "
            f"states {listing(self.quantities)}; expected {what} the quote states",
        )

    def target_value(
        self, value: float, value_max: float | None, unit: str, qualifier: str, strive: Any
    ) -> Iterator[Problem]:
        """A target's value and upper value, in its unit, with its qualifier and strive flag."""
        text = self.table.text
        matches = [q for q in self.quantities if q.unit == unit and same(q.value, value)]
        if not matches:
            other = [q for q in self.quantities if q.unit != "year" and same(q.value, value)]
            if other:
                yield self.problem(
                    "unit",
                    "unit-disagrees",
                    f"unit {unit!r} disagrees with the quote, which states "
                    f"{other[0].describe()} (unit {other[0].unit!r})",
                )
            else:
                yield self.problem(
                    "value",
                    "number-not-stated",
                    f"value {text(self.line, 'value')} {unit} is not stated by the quote, "
                    f"which states {listing(self.quantities)}; expected the value in base units "
                    "(150 billion yuan is 150000000000)",
                )
            return
        if qualifier == "range":
            if value_max is None:
                return  # the range-qualifier rule reports the missing upper value
            ranged = [q for q in matches if q.value_max is not None]
            if not ranged:
                yield self.problem(
                    "qualifier",
                    "qualifier-disagrees",
                    f"qualifier 'range' disagrees with the quote, which states "
                    f"{matches[0].describe()}, not a range",
                )
                return
            chosen = [q for q in ranged if q.value_max is not None and same(q.value_max, value_max)]
            if not chosen:
                yield self.problem(
                    "value_max",
                    "number-not-stated",
                    f"value_max {text(self.line, 'value_max')} is not stated by the quote, "
                    f"which states {ranged[0].describe()}",
                )
                return
        else:
            chosen = [q for q in matches if q.qualifier == qualifier]
            if not chosen:
                said = matches[0]
                yield self.problem(
                    "qualifier",
                    "qualifier-disagrees",
                    f"qualifier {qualifier!r} disagrees with the quote, which says "
                    f"“{said.text}” ({said.qualifier})",
                )
                return
        if strive is not None and not any(q.strive == bool(strive) for q in chosen):
            said = chosen[0]
            how = (
                f"says the figure is to be striven for (“{said.text}”)"
                if said.strive
                else f"sets “{said.text}” plainly, with no word of striving"
            )
            yield self.problem(
                "strive",
                "strive-disagrees",
                f"strive is {text(self.line, 'strive')}, but the quote {how}; expected "
                f"{'true' if said.strive else 'false'}",
            )


def _basis_presence(table: Table, column: str, basis_column: str) -> Iterator[Problem]:
    """The basis column is set exactly when its value column is."""
    if column not in table.raw.columns or basis_column not in table.raw.columns:
        return
    value_set = table.raw[column] != ""
    basis_set = table.raw[basis_column] != ""
    for line, _ in table.cells(value_set & ~basis_set, column):
        yield table.problem(
            line,
            basis_column,
            "year-basis",
            f"{column} is set, so expected {basis_column} to say where it comes from "
            "('quote' or 'dateline'); found it empty",
        )
    for line, basis in table.cells(~value_set & basis_set, basis_column):
        yield table.problem(
            line,
            basis_column,
            "year-basis",
            f"{column} is empty, so expected {basis_column} empty too; found {shown(basis)}",
        )


def target_numbers(context: PackageContext) -> Iterator[Problem]:
    """A target's value, upper value, unit, qualifier, strive flag, years and reported dollars
    are the ones its quote states (the target year possibly the dateline's)."""
    targets = context.table("targets")
    if not has(targets, "quote"):
        return
    yield from _basis_presence(targets, "target_year", "target_year_basis")
    datelines = _dateline_years(context)
    columns = _rows(
        targets,
        (_texts, "quote"),
        (_values, "value"),
        (_values, "value_max"),
        (_values, "unit"),
        (_values, "qualifier"),
        (_values, "strive"),
        (_values, "target_year"),
        (_texts, "target_year_basis"),
        (_values, "baseline_year"),
        (_values, "reported_usd"),
        (_texts, "source_id"),
    )
    basis_column = "target_year_basis" if "target_year_basis" in targets.raw.columns else None
    for (
        line,
        quote,
        value,
        value_max,
        unit,
        qualifier,
        strive,
        year,
        basis,
        base,
        usd,
        source,
    ) in columns:
        row = _Row(targets, line, stated(quote))
        if value is not None and unit is not None and qualifier is not None:
            maximum = None if value_max is None else float(value_max)
            yield from row.target_value(float(value), maximum, str(unit), str(qualifier), strive)
        target_year = None if year is None else int(year)
        yield from row.year(
            "target_year", target_year, basis_column, basis, datelines.get(source), source
        )
        yield from row.year("baseline_year", None if base is None else int(base))
        dollars = None if usd is None else float(usd)
        yield from row.amount("reported_usd", dollars, "USD", "a US dollar amount")


def target_unit_fits_indicator(context: PackageContext) -> Iterator[Problem]:
    """Money is in a currency, a growth rate in percent, a count in ``count``."""
    targets = context.table("targets")
    if not has(targets, "indicator", "unit"):
        return
    indicator = targets.frame["indicator"].astype("string")
    unit = targets.frame["unit"].astype("string")
    allowed = [f"{i}|{u}" for i, units in INDICATOR_UNITS.items() for u in units]
    known = indicator.isin(list(INDICATOR_UNITS)).fillna(False) & unit.notna()
    wrong = known & ~(indicator + "|" + unit).isin(allowed).fillna(False)
    for line, name in targets.cells(wrong, "indicator"):
        yield targets.problem(
            line,
            "unit",
            "unit-indicator",
            f"indicator {name!r} is measured in {' or '.join(INDICATOR_UNITS[name])}; found "
            f"unit {targets.text(line, 'unit')!r}",
        )


def project_numbers(context: PackageContext) -> Iterator[Problem]:
    """A project's count and investment are stated by its quote."""
    projects = context.table("projects")
    if not has(projects, "quote"):
        return
    for line, quote, count, investment in _rows(
        projects, (_texts, "quote"), (_values, "project_count"), (_values, "investment_cny")
    ):
        if count is None and investment is None:
            continue
        row = _Row(projects, line, stated(quote))
        yield from row.amount(
            "project_count", None if count is None else float(count), "count", "a count of projects"
        )
        amount = None if investment is None else float(investment)
        yield from row.amount("investment_cny", amount, "CNY", "an amount in yuan")


def plan_years(context: PackageContext) -> Iterator[Problem]:
    """A plan's period years and the year it was issued are stated by its quote (the year of
    issue possibly the dateline's)."""
    plans = context.table("plans")
    if not has(plans, "quote", "plan_id", "issued"):
        return  # a missing column is reported with the header
    yield from _basis_presence(plans, "issued", "issued_basis")
    issued_years = issue_years(plans).reindex(plans.raw["plan_id"]).tolist()
    datelines = _dateline_years(context)
    basis_column = "issued_basis" if "issued_basis" in plans.raw.columns else None
    for line, quote, start, end, issued, basis, source in zip(
        plans.raw.index.tolist(),
        _texts(plans, "quote"),
        _values(plans, "period_start"),
        _values(plans, "period_end"),
        [None if pd.isna(year) else int(year) for year in issued_years],
        _texts(plans, "issued_basis"),
        _texts(plans, "source_id"),
        strict=True,
    ):
        row = _Row(plans, line, stated(quote))
        yield from row.year("period_start", None if start is None else int(start))
        yield from row.year("period_end", None if end is None else int(end))
        yield from row.year("issued", issued, basis_column, basis, datelines.get(source), source)


def source_dateline_years(context: PackageContext) -> Iterator[Problem]:
    """The year of a source's ``published`` date is the year its dateline prints."""
    sources = context.table("sources")
    if not has(sources, "published", "dateline"):
        return
    for line, published, dateline in sources.raw[["published", "dateline"]].itertuples(name=None):
        year = str(published)[:4]
        if not published or not year.isdigit():
            continue
        quantities = stated(str(dateline)) if dateline else ()
        if not states_year(quantities, int(year)):
            printed = (
                f"(“{dateline}”, which states {listing(quantities)})"
                if dateline
                else "(sources.dateline is empty)"
            )
            yield sources.problem(
                int(line),
                "published",
                "number-not-stated",
                f"published {published} is not stated by the source's dateline {printed}; "
                "expected the date the dateline prints, or an empty published",
            )


def measure_ordinals(context: PackageContext) -> Iterator[Problem]:
    """A measure's number is the one its quote begins with ("11. Overcome bottlenecks ...")."""
    measures = context.table("measures")
    if not has(measures, "ordinal", "quote"):
        return
    ordinal = measures.frame["ordinal"]
    present = ordinal.notna()
    number = ordinal.astype("string").where(present, "")
    heading = measures.raw["quote"].str.extract(r"^\s*\(?([0-9]+)[.)、]", expand=False)
    wrong = present & (heading.fillna("") != number)
    for line, text in measures.cells(wrong, "ordinal"):
        yield measures.problem(
            line,
            "ordinal",
            "number-not-stated",
            f"ordinal {text} is not stated by the quote, which "
            + (
                f"begins with the number {heading.loc[line]}"
                if isinstance(heading.loc[line], str)
                else "does not begin with a numbered heading"
            )
            + "; expected the quote to begin with the measure's numbered heading",
        )
