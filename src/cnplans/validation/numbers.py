"""Number rules: every number of a fact row is stated by that row's own quote.

A quote being verbatim in its source (:mod:`cnplans.validation.provenance`) does not make it
say the row's fact. These checks read the quote with :func:`cnplans.quantities.find_quantities`
and require each number cell to be one of the quantities it states, in the row's unit and scale
(150000000000 CNY is stated by "150 billion yuan", not by "150 million yuan"), with the row's
qualifier ("about 15 percent" is not ``exactly``) and its ``strive`` flag. A year the quote
names only relative to the text's date ("by the end of this year", "on Nov 12") is allowed
with the basis ``dateline``: the year must then be that of the source's dateline, which
``sources.dateline`` prints and :mod:`cnplans.validation.wording` finds in the text.

Each distinct quote is read once. Rules skip rows whose cells could not be typed (their
``type`` problem is already reported) and tables or columns that are missing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import pandas as pd

from cnplans.quantities import Quantity, find_quantities, relative_years
from cnplans.validation.context import PackageContext, Table
from cnplans.validation.problems import Problem
from cnplans.validation.registry import register_check
from cnplans.validation.rows import shown

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


@lru_cache(maxsize=65536)
def stated(quote: str) -> tuple[Quantity, ...]:
    """The quantities ``quote`` states (cached: many rows share a quote)."""
    return tuple(find_quantities(quote))


def same(a: float, b: float) -> bool:
    """Whether two amounts are equal up to the rounding of a decimal text."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def listing(quantities: tuple[Quantity, ...]) -> str:
    """The quantities of a quote in words, for a message."""
    if not quantities:
        return "no number"
    words = [q.describe() for q in quantities[:MAX_LISTED]]
    if len(quantities) > MAX_LISTED:
        words.append(f"and {len(quantities) - MAX_LISTED} more")
    return ", ".join(words)


def states_year(quantities: tuple[Quantity, ...], year: int) -> bool:
    """Whether one of the quantities is ``year`` (alone or as either end of a year range)."""
    return any(
        q.unit == "year"
        and (same(q.value, year) or (q.value_max is not None and same(q.value_max, year)))
        for q in quantities
    )


def _has(table: Table | None, *columns: str) -> bool:
    return table is not None and all(c in table.frame.columns for c in columns)


def _present(table: Table, column: str) -> pd.Series:
    """Rows where ``column`` holds a typed value (empty and untyped cells are skipped)."""
    return table.frame[column].notna()


def _dateline_years(context: PackageContext) -> dict[str, int | None]:
    """Each source's dateline year (from ``published``, when its dateline is printed)."""
    sources = context.table("sources")
    if sources is None or not all(
        c in sources.raw.columns for c in ("source_id", "published", "dateline")
    ):
        return {}
    years: dict[str, int | None] = {}
    for source_id, published, dateline in sources.raw[
        ["source_id", "published", "dateline"]
    ].itertuples(index=False, name=None):
        year = str(published)[:4]
        years[str(source_id)] = int(year) if dateline and year.isdigit() else None
    return years


def _year_problems(
    context: PackageContext,
    table: Table,
    column: str,
    basis_column: str | None,
    years: pd.Series,
) -> Iterator[Problem]:
    """A year cell is stated by the quote, or has the ``dateline`` basis and its checks.

    ``years`` holds the year of each row (indexed like the table), ``<NA>`` where empty.
    """
    has_basis = basis_column is not None and basis_column in table.raw.columns
    dateline_years = _dateline_years(context) if has_basis else {}
    raw = table.raw
    for line in years.index[years.notna().to_numpy(dtype=bool)].tolist():
        year = int(years.loc[line])
        quote = str(raw.at[line, "quote"])
        basis = str(raw.at[line, basis_column]) if has_basis and basis_column else "quote"
        quantities = stated(quote)
        if basis == "dateline" and basis_column is not None:
            source_id = str(raw.at[line, "source_id"])
            dateline_year = dateline_years.get(source_id)
            if dateline_year is None:
                yield Problem(
                    table.path,
                    line,
                    basis_column,
                    "year-basis",
                    f"{basis_column} is 'dateline', but source {source_id!r} has no dateline "
                    "(sources.dateline); expected 'quote' with a year the quote states, or an "
                    f"empty {column}",
                )
            elif dateline_year != year:
                yield Problem(
                    table.path,
                    line,
                    column,
                    "year-basis",
                    f"{column} {year} has the basis 'dateline', but the dateline of source "
                    f"{source_id!r} is of {dateline_year}; expected {dateline_year}",
                )
            elif not relative_years(quote):
                yield Problem(
                    table.path,
                    line,
                    basis_column,
                    "year-basis",
                    f"{basis_column} is 'dateline', but the quote names no year relative to "
                    "the text's date (such as 'this year' or a month and day); expected "
                    "'quote' with a year the quote states",
                )
            continue
        if not states_year(quantities, year):
            yield Problem(
                table.path,
                line,
                column,
                "number-not-stated",
                f"{column} {year} is not stated by the quote, which states "
                f"{listing(quantities)}; expected a year the quote names"
                + (
                    f", or {basis_column} 'dateline' for a year read from the text's date"
                    if has_basis
                    else ""
                ),
            )


def _basis_presence(table: Table, column: str, basis_column: str) -> Iterator[Problem]:
    """The basis column is set exactly when its value column is."""
    if column not in table.raw.columns or basis_column not in table.raw.columns:
        return
    value_set = table.raw[column] != ""
    basis_set = table.raw[basis_column] != ""
    for line, _ in table.cells(value_set & ~basis_set, column):
        yield Problem(
            table.path,
            line,
            basis_column,
            "year-basis",
            f"{column} is set, so expected {basis_column} to say where it comes from "
            "('quote' or 'dateline'); found it empty",
        )
    for line, basis in table.cells(~value_set & basis_set, basis_column):
        yield Problem(
            table.path,
            line,
            basis_column,
            "year-basis",
            f"{column} is empty, so expected {basis_column} empty too; found {shown(basis)}",
        )


def _amount_problems(table: Table, column: str, unit: str, what: str) -> Iterator[Problem]:
    """An amount cell of a fixed unit (a count, yuan, dollars) is stated by the row's quote."""
    if not _has(table, column) or "quote" not in table.raw.columns:
        return
    values = table.frame[column]
    for line in values.index[_present(table, column).to_numpy(dtype=bool)].tolist():
        value = float(values.loc[line])
        quantities = stated(str(table.raw.at[line, "quote"]))
        if any(q.unit == unit and same(q.value, value) for q in quantities):
            continue
        yield Problem(
            table.path,
            line,
            column,
            "number-not-stated",
            f"{column} {table.text(line, column)} is not stated by the quote, which states "
            f"{listing(quantities)}; expected {what} the quote states",
        )


@register_check
def target_numbers(context: PackageContext) -> Iterator[Problem]:
    """Each target's value, upper value, unit, qualifier and strive flag are the quote's."""
    targets = context.table("targets")
    columns = ("value", "unit", "qualifier", "quote")
    if not _has(targets, *columns):
        return
    assert targets is not None
    frame, raw = targets.frame, targets.raw
    has_max = "value_max" in frame.columns
    has_strive = "strive" in frame.columns
    usable = frame["value"].notna() & frame["unit"].notna() & frame["qualifier"].notna()
    rows = frame.loc[usable.to_numpy(dtype=bool)]
    count = len(rows)
    maxima: list[Any] = rows["value_max"].tolist() if has_max else [None] * count
    strives: list[Any] = rows["strive"].tolist() if has_strive else [None] * count
    for line, value, unit, qualifier, maximum, strive_cell, quote in zip(
        rows.index.tolist(),
        rows["value"].astype(float).tolist(),
        rows["unit"].astype(str).tolist(),
        rows["qualifier"].astype(str).tolist(),
        maxima,
        strives,
        raw.loc[rows.index, "quote"].astype(str).tolist(),
        strict=True,
    ):
        quantities = stated(quote)
        matches = [q for q in quantities if q.unit == unit and same(q.value, value)]
        if not matches:
            other_unit = [q for q in quantities if q.unit != "year" and same(q.value, value)]
            if other_unit:
                yield Problem(
                    targets.path,
                    line,
                    "unit",
                    "unit-disagrees",
                    f"unit {unit!r} disagrees with the quote, which states "
                    f"{other_unit[0].describe()} (unit {other_unit[0].unit!r})",
                )
            else:
                yield Problem(
                    targets.path,
                    line,
                    "value",
                    "number-not-stated",
                    f"value {targets.text(line, 'value')} {unit} is not stated by the quote, "
                    f"which states {listing(quantities)}; expected the value in base units "
                    "(150 billion yuan is 150000000000)",
                )
            continue
        if qualifier == "range":
            if maximum is None or pd.isna(maximum):
                continue  # the range-qualifier rule reports the missing upper value
            value_max = float(maximum)
            ranged = [q for q in matches if q.value_max is not None]
            if not ranged:
                yield Problem(
                    targets.path,
                    line,
                    "qualifier",
                    "qualifier-disagrees",
                    f"qualifier 'range' disagrees with the quote, which states "
                    f"{matches[0].describe()}, not a range",
                )
                continue
            if not any(q.value_max is not None and same(q.value_max, value_max) for q in ranged):
                yield Problem(
                    targets.path,
                    line,
                    "value_max",
                    "number-not-stated",
                    f"value_max {targets.text(line, 'value_max')} is not stated by the quote, "
                    f"which states {ranged[0].describe()}",
                )
                continue
            chosen = [q for q in ranged if q.value_max is not None and same(q.value_max, value_max)]
        else:
            chosen = [q for q in matches if q.qualifier == qualifier]
            if not chosen:
                said = matches[0]
                yield Problem(
                    targets.path,
                    line,
                    "qualifier",
                    "qualifier-disagrees",
                    f"qualifier {qualifier!r} disagrees with the quote, which says "
                    f"“{said.text}” ({said.qualifier})",
                )
                continue
        if strive_cell is not None and not pd.isna(strive_cell):
            strive = bool(strive_cell)
            if not any(q.strive == strive for q in chosen):
                said = chosen[0]
                yield Problem(
                    targets.path,
                    line,
                    "strive",
                    "strive-disagrees",
                    f"strive is {targets.text(line, 'strive')}, but the quote "
                    + (
                        f"says the figure is to be striven for (“{said.text}”)"
                        if said.strive
                        else f"sets “{said.text}” plainly, with no word of striving"
                    )
                    + f"; expected {'true' if said.strive else 'false'}",
                )


@register_check
def target_years(context: PackageContext) -> Iterator[Problem]:
    """Target and baseline years are stated by the quote (or the target year by the dateline)."""
    targets = context.table("targets")
    if not _has(targets, "quote"):
        return
    assert targets is not None
    if _has(targets, "target_year"):
        yield from _basis_presence(targets, "target_year", "target_year_basis")
        yield from _year_problems(
            context, targets, "target_year", "target_year_basis", targets.frame["target_year"]
        )
    if _has(targets, "baseline_year"):
        yield from _year_problems(
            context, targets, "baseline_year", None, targets.frame["baseline_year"]
        )


@register_check
def target_dollars(context: PackageContext) -> Iterator[Problem]:
    """The dollar figure a target reports is the one its quote prints."""
    targets = context.table("targets")
    if targets is not None:
        yield from _amount_problems(targets, "reported_usd", "USD", "a US dollar amount")


@register_check
def target_unit_fits_indicator(context: PackageContext) -> Iterator[Problem]:
    """Money is in a currency, a growth rate in percent, a count in ``count``."""
    targets = context.table("targets")
    if not _has(targets, "indicator", "unit"):
        return
    assert targets is not None
    indicator = targets.frame["indicator"].astype("string")
    unit = targets.frame["unit"].astype("string")
    expected = indicator.map(lambda i: INDICATOR_UNITS.get(str(i), ()), na_action="ignore")
    known = indicator.notna() & unit.notna()
    for line in targets.frame.index[known.to_numpy(dtype=bool)].tolist():
        units = expected.loc[line]
        if units and str(unit.loc[line]) not in units:
            yield Problem(
                targets.path,
                line,
                "unit",
                "unit-indicator",
                f"indicator {str(indicator.loc[line])!r} is measured in "
                f"{' or '.join(units)}; found unit {str(unit.loc[line])!r}",
            )


@register_check
def project_numbers(context: PackageContext) -> Iterator[Problem]:
    """A project's count and investment are stated by its quote."""
    projects = context.table("projects")
    if projects is None:
        return
    yield from _amount_problems(projects, "project_count", "count", "a count of projects")
    yield from _amount_problems(projects, "investment_cny", "CNY", "an amount in yuan")


@register_check
def plan_years(context: PackageContext) -> Iterator[Problem]:
    """A plan's period years and the year it was issued are stated by its quote."""
    plans = context.table("plans")
    if not _has(plans, "quote"):
        return
    assert plans is not None
    for column in ("period_start", "period_end"):
        if _has(plans, column):
            yield from _year_problems(context, plans, column, None, plans.frame[column])
    if _has(plans, "issued"):
        yield from _basis_presence(plans, "issued", "issued_basis")
        issued = plans.raw["issued"]
        year_text = issued.str.slice(0, 4).where(issued.str.fullmatch(r"[0-9]{4}(-.*)?"))
        years = pd.to_numeric(year_text, errors="coerce").astype("Int64")
        yield from _year_problems(context, plans, "issued", "issued_basis", years)


@register_check
def source_dateline_years(context: PackageContext) -> Iterator[Problem]:
    """The year of a source's ``published`` date is the year its dateline prints."""
    sources = context.table("sources")
    if sources is None or not all(c in sources.raw.columns for c in ("published", "dateline")):
        return
    for line, published, dateline in sources.raw[["published", "dateline"]].itertuples(name=None):
        year = str(published)[:4]
        if not published or not year.isdigit():
            continue
        quantities = stated(str(dateline)) if dateline else ()
        if not states_year(quantities, int(year)):
            yield Problem(
                sources.path,
                int(line),
                "published",
                "number-not-stated",
                f"published {published} is not stated by the source's dateline "
                + (
                    f"(“{dateline}”, which states {listing(quantities)})"
                    if dateline
                    else "(sources.dateline is empty)"
                )
                + "; expected the date the dateline prints, or an empty published",
            )


@register_check
def measure_ordinals(context: PackageContext) -> Iterator[Problem]:
    """A measure's number is the one its quote begins with ("11. Overcome bottlenecks ...")."""
    measures = context.table("measures")
    if not _has(measures, "ordinal", "quote"):
        return
    assert measures is not None
    ordinal = measures.frame["ordinal"]
    present = ordinal.notna()
    number = ordinal.astype("string").where(present, "")
    heading = measures.raw["quote"].str.extract(r"^\s*\(?([0-9]+)[.)、]", expand=False)
    wrong = present & (heading.fillna("") != number)
    for line, text in measures.cells(wrong, "ordinal"):
        yield Problem(
            measures.path,
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
