"""Derived US dollar cells of ``targets`` that disagree with the exchange-rate table.

The rule is :mod:`cnplans.convert`'s (the IATI value-date rule, rates of ``exchange_rates``):
this check recomputes ``usd``, ``fx_year``, ``fx_units_per_usd`` and ``fx_basis`` for every
target and reports each cell that differs (numbers compared to 6 significant figures) as
``stale-derived-value`` at its line and column, and each target whose basis year has no rate as
``missing-exchange-rate``. ``cnplans convert`` fixes the first; adding the rate the second.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from cnplans.convert import DERIVED_COLUMNS, find_stale
from cnplans.fx import RESOURCE_NAME, RateTable
from cnplans.validation.context import PackageContext
from cnplans.validation.problems import Problem
from cnplans.validation.registry import register_check

_TARGET_COLUMNS = ("plan_id", "source_id", "unit", "value", *DERIVED_COLUMNS)


def _rows(raw: pd.DataFrame, columns: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """``(line, {column: text})`` for every row of a text table indexed by line."""
    records = raw[list(columns)].to_dict("records")
    return [
        (int(line), {str(k): str(v) for k, v in record.items()})
        for line, record in zip(raw.index.tolist(), records, strict=True)
    ]


def _shown(text: str) -> str:
    return repr(text) if text else "an empty cell"


@register_check
def stale_derived_values(context: PackageContext) -> Iterator[Problem]:
    """Derived cells of targets that ``cnplans convert`` would change, and rates it lacks."""
    targets = context.table("targets")
    plans = context.table("plans")
    sources = context.table("sources")
    rates_table = context.table(RESOURCE_NAME)
    if targets is None or plans is None or sources is None or rates_table is None:
        return
    if not set(_TARGET_COLUMNS) <= set(targets.raw.columns):
        return  # the header problem is reported elsewhere
    if "issued" not in plans.raw.columns or "published" not in sources.raw.columns:
        return
    rate_columns = {"currency", "year", "provider", "units_per_usd"}
    if not rate_columns <= set(rates_table.raw.columns):
        return
    rates = RateTable.from_rows(Path(rates_table.path), _rows(rates_table.raw, rate_columns))
    issued = dict(zip(plans.raw["plan_id"], plans.raw["issued"], strict=True))
    published = dict(zip(sources.raw["source_id"], sources.raw["published"], strict=True))
    rows = _rows(targets.raw, _TARGET_COLUMNS)
    stale, missing = find_stale(rows, issued, published, rates)
    for line, column, expected, found in stale:
        yield Problem(
            targets.path,
            line,
            column,
            "stale-derived-value",
            f"expected {_shown(expected)} from {rates_table.path}, found {_shown(found)}; "
            "run `cnplans convert` to recompute the derived columns",
        )
    for line, sentence in missing:
        yield Problem(targets.path, line, "fx_year", "missing-exchange-rate", sentence)
