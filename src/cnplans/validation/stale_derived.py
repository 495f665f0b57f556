"""Derived US dollar cells of ``targets`` that disagree with the exchange-rate table.

:func:`find_stale_columns` recomputes ``usd``, ``fx_year``, ``fx_units_per_usd`` and ``fx_basis``
with :func:`cnplans.conversion.convert.derive` (the IATI value-date rule): the one computation
of which cells are stale, reported here (``stale-derived-value``, ``missing-exchange-rate``) and
rewritten by ``cnplans convert``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cnplans.conversion.convert import DERIVED_COLUMNS, derive, same_cell
from cnplans.conversion.fx import DEFAULT_PROVIDER, RESOURCE_NAME, MissingRateError, RateTable
from cnplans.validation.context import PackageContext, has, row_slices
from cnplans.validation.problems import Problem

_TARGET_COLUMNS = ("plan_id", "source_id", "unit", "value", *DERIVED_COLUMNS)
_BASES = ("", "plan_issued", "source_published", "unknown")  # fx_basis by code


def _shown(text: str) -> str:
    return repr(text) if text else "an empty cell"


@dataclass
class Comparison:
    """The derived cells of a text table of targets compared with what the rates give.

    Every list is in the order of the rows (and, within a row, of :data:`DERIVED_COLUMNS`).
    """

    cells: list[tuple[int, str, str, str]]  # (line, column, expected, found): stale cells
    missing: list[tuple[int, str]]  # (line, sentence): rows whose basis year has no rate
    # (line, column, expected, found): every cell not written as expected, stale or only written
    # differently ("7.19570" for "7.1957"): what ``cnplans convert`` rewrites
    rewrites: list[tuple[int, str, str, str]]
    # (line, sentence): rows not compared, plan or source unknown or value not a number (other
    # rules report them; ``cnplans convert`` stops at the first)
    skipped: list[tuple[int, str]]
    # money targets compared, by fx_basis, in the order plan_issued, source_published, unknown
    bases: dict[str, int]


def find_stale_columns(
    raw: pd.DataFrame,
    issued: Mapping[str, str],
    published: Mapping[str, str],
    rates: RateTable,
    provider: str = DEFAULT_PROVIDER,
) -> Comparison:
    """Compare the derived cells of the text table ``raw`` (indexed by line) with the rates.

    ``raw`` has at least the columns plan_id, source_id, unit, value and the four derived ones;
    ``issued`` maps plan ids to ``plans.issued`` and ``published`` source ids to
    ``sources.published``. Rows whose plan or source is unknown, or whose value is not a number,
    are left out (listed in ``skipped``).
    """
    found = Comparison([], [], [], [], {})
    counts = dict.fromkeys(_BASES[1:], 0)
    for rows in row_slices(len(raw)):
        part = raw.iloc[rows]
        columns = [part[name].tolist() for name in _TARGET_COLUMNS]  # pyarrow lists them fast
        for line, plan, source, unit, value, *cells in zip(
            part.index.tolist(), *columns, strict=True
        ):
            if plan not in issued:
                found.skipped.append((line, f"column plan_id: {str(plan)!r} is not in plans"))
                continue
            if source not in published:
                found.skipped.append((line, f"column source_id: {str(source)!r} is not in sources"))
                continue
            try:
                derived = derive(unit, value, issued[plan], published[source], rates, provider)
            except MissingRateError as error:
                found.missing.append((line, str(error)))
                continue
            except ValueError as error:
                found.skipped.append((line, f"column value: {error}"))
                continue
            if derived.fx_basis:
                counts[derived.fx_basis] += 1
            expected = derived.cells()
            for column, text in zip(DERIVED_COLUMNS, cells, strict=True):
                if expected[column] != text:
                    found.rewrites.append((line, column, expected[column], text))
                    if not same_cell(column, expected[column], text):
                        found.cells.append((line, column, expected[column], text))
    found.bases = {basis: count for basis, count in counts.items() if count}
    return found


def stale_derived_values(context: PackageContext) -> Iterator[Problem]:
    """Derived cells of targets that ``cnplans convert`` would change, and rates it lacks."""
    targets = context.table("targets")
    plans = context.table("plans")
    sources = context.table("sources")
    rates_table = context.table(RESOURCE_NAME)
    if not (has(targets, *_TARGET_COLUMNS) and has(plans, "plan_id", "issued")):
        return  # a table or column that is missing is reported elsewhere
    if not has(sources, "source_id", "published") or rates_table is None:
        return
    rate_columns = ["currency", "year", "provider", "units_per_usd"]
    if not set(rate_columns) <= set(rates_table.raw.columns):
        return
    records = rates_table.raw[rate_columns].to_dict("records")  # a small table: row by row
    rows = [
        (int(line), {str(k): str(v) for k, v in record.items()})
        for line, record in zip(rates_table.raw.index.tolist(), records, strict=True)
    ]
    rates = RateTable.from_rows(Path(rates_table.path), rows)
    issued = dict(zip(plans.raw["plan_id"], plans.raw["issued"], strict=True))
    published = dict(zip(sources.raw["source_id"], sources.raw["published"], strict=True))
    found = find_stale_columns(targets.raw, issued, published, rates)
    for line, column, expected, text in found.cells:
        yield targets.problem(
            line,
            column,
            "stale-derived-value",
            f"expected {_shown(expected)} from {rates_table.path}, found {_shown(text)}; "
            "run `cnplans convert` to recompute the derived columns",
        )
    for line, sentence in found.missing:
        yield targets.problem(line, "fx_year", "missing-exchange-rate", sentence)
