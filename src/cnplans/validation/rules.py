"""Rules a Table Schema cannot express: across fields, across tables, and about spreadsheets.

Every rule is vectorized: pandas operations over whole columns, set membership and mappings
for keys. Each rule skips silently when a table or column it needs could not be loaded (that
is already reported).
"""

from __future__ import annotations

import bisect
import difflib
import functools
from collections.abc import Iterator
from typing import TypeVar

import pandas as pd

from cnplans.datapackage.table_schema import ForeignKey
from cnplans.validation.context import PackageContext, Table, has, has_numbers
from cnplans.validation.problems import Problem
from cnplans.validation.rows import shown
from cnplans.validation.vectorized import (
    arrow_text,
    is_in,
    is_text,
    match_at_start,
    positions_in,
)

# What spreadsheets may run as a formula (OWASP CSV injection: a leading tab or CR too).
FORMULA_START = r"[=+\-@\t\r]"
# A missing foreign key is told the closest existing id for this many lines per key (then not).
SUGGESTED_LINES = 20
# get_close_matches compares the missing value with at most this many ids (each comparison is a
# SequenceMatcher: 50,000 ids alike take seconds per value); a larger table is narrowed first.
SCANNED_IDS = 1_000
SUGGESTION_CUTOFF = 0.6
FrameOrSeries = TypeVar("FrameOrSeries", pd.DataFrame, pd.Series)
PREFIX_CHARS = 3  # a large table's candidates share this many first characters with the value


def _as_text(frame: FrameOrSeries) -> FrameOrSeries:
    """Typed key columns as comparable text (categories and numbers alike)."""
    if isinstance(frame, pd.Series) and is_text(frame):
        return frame
    return frame.astype("string")


def foreign_keys(context: PackageContext) -> Iterator[Problem]:
    """Every foreign key resolves; a key with an empty cell is not checked (it is optional)."""
    for table in context.tables.values():
        for fk in table.schema.foreign_keys:
            target = context.table(fk.resource or table.name)
            if not has(table, *fk.fields) or not has(target, *fk.reference_fields):
                continue
            if len(fk.fields) == 1:  # a column at a time: a frame's astype costs far more
                key = _as_text(table.frame[fk.fields[0]])
                present = key.notna()
                found = is_in(key, _as_text(target.frame[fk.reference_fields[0]]))
            else:
                child = _as_text(table.frame[fk.fields])
                parent = _as_text(target.frame[fk.reference_fields]).dropna()
                present = child.notna().all(axis=1)
                keys = pd.MultiIndex.from_frame(child)
                found = pd.Series(keys.isin(pd.MultiIndex.from_frame(parent)), index=child.index)
            missing = present & ~found
            if not missing.any():
                continue
            lines = table.raw.index[missing.to_numpy(dtype=bool)].tolist()
            yield from _unresolved(table, target, fk, lines)


def _unresolved(table: Table, target: Table, fk: ForeignKey, lines: list[int]) -> Iterator[Problem]:
    """A problem for each line whose key does not resolve; the first lines of a one-column key
    are told the closest existing id (:data:`SUGGESTED_LINES` of them)."""
    columns = ", ".join(fk.fields)
    reference = ", ".join(fk.reference_fields)
    ids = None
    if len(fk.fields) == 1:
        valid = target.frame[fk.reference_fields[0]].notna().to_numpy(dtype=bool)
        ids = ExistingIds(target.raw[fk.reference_fields[0]][valid])
    for number, line in enumerate(lines):
        value = ", ".join(shown(table.text(line, field)) for field in fk.fields)
        message = (
            f"{columns} {value} is not found in {target.path} ({reference}); expected "
            f"the {reference} of a row in {target.path}"
        )
        if ids is not None and number < SUGGESTED_LINES:
            closest = ids.closest(table.text(line, fk.fields[0]))
            if closest is not None:
                message += f"; did you mean {shown(closest)}?"
        yield table.problem(line, fk.fields[0], "foreign-key", message)


class ExistingIds:
    """The ids a foreign key may refer to (the text of its valid cells, read when first asked),
    asked for the one closest to a missing value (see :meth:`candidates`)."""

    def __init__(self, column: pd.Series) -> None:
        self._column = column
        self._answers: dict[str, str | None] = {}

    @functools.cached_property
    def _ids(self) -> list[str]:
        """The distinct non-empty ids, sorted by code point."""
        import pyarrow.compute as pc

        unique = pc.unique(arrow_text(self._column).combine_chunks())
        unique = unique.filter(pc.invert(pc.equal(unique, "")))
        ids: list[str] = unique.take(pc.array_sort_indices(unique)).to_pylist()
        return ids

    def candidates(self, value: str) -> list[str]:
        """The ids :meth:`closest` compares with ``value``: all of them in a small table; in a
        larger one, the (at most :data:`SCANNED_IDS`) ids sharing the value's first
        :data:`PREFIX_CHARS` characters that are next to it in sorted order."""
        ids = self._ids
        if len(ids) <= SCANNED_IDS:
            return ids
        prefix = value[:PREFIX_CHARS]
        low = bisect.bisect_left(ids, prefix)
        high = bisect.bisect_left(ids, prefix + "\U0010ffff", low)
        if high - low <= SCANNED_IDS:
            return ids[low:high]
        middle = bisect.bisect_left(ids, value, low, high)
        start = max(low, min(middle - SCANNED_IDS // 2, high - SCANNED_IDS))
        return ids[start : start + SCANNED_IDS]

    def closest(self, value: str) -> str | None:
        """The existing id most like ``value`` (:func:`difflib.get_close_matches`), or None."""
        if value not in self._answers:
            matches = difflib.get_close_matches(
                value, self.candidates(value), n=1, cutoff=SUGGESTION_CUTOFF
            )
            self._answers[value] = matches[0] if matches else None
        return self._answers[value]


def target_values(context: PackageContext) -> Iterator[Problem]:
    """A range's upper value is not below its value; ``range`` exactly when value_max is set."""
    targets = context.table("targets")
    if not has_numbers(targets, "value", "value_max") or not has(targets, "qualifier"):
        return
    frame, raw = targets.frame, targets.raw
    below = (frame["value_max"] < frame["value"]).fillna(False).astype(bool)
    for line in frame.index[below.to_numpy()].tolist():
        yield targets.problem(
            line,
            "value_max",
            "value-range",
            f"expected value_max to be at least value ({targets.text(line, 'value')}); "
            f"found {targets.text(line, 'value_max')}",
        )
    is_range = (frame["qualifier"] == "range").fillna(False).astype(bool)
    has_max = frame["value_max"].notna() | (raw["value_max"] != "")
    qualifier_known = frame["qualifier"].notna()
    for line in frame.index[(is_range & ~has_max).to_numpy()].tolist():
        yield targets.problem(
            line,
            "value_max",
            "range-qualifier",
            "the qualifier is 'range', so expected an upper value in value_max; found it empty",
        )
    for line in frame.index[(~is_range & has_max & qualifier_known).to_numpy()].tolist():
        yield targets.problem(
            line,
            "qualifier",
            "range-qualifier",
            f"value_max is set ({targets.text(line, 'value_max')}), so expected the qualifier "
            f"'range'; found {shown(targets.text(line, 'qualifier'))}",
        )


def issue_years(plans: Table) -> pd.Series:
    """Each plan's issue year (from the partial ISO date in ``issued``), indexed by plan_id."""
    issued = plans.raw["issued"]
    year_text = issued.str.slice(0, 4).where(issued.str.fullmatch(r"[0-9]{4}(-.*)?").fillna(False))
    years = pd.to_numeric(year_text, errors="coerce").astype("Int64")
    by_plan = pd.Series(years.array, index=pd.Index(plans.raw["plan_id"]))
    return by_plan[~by_plan.index.duplicated()]


def target_year_after_issue(context: PackageContext) -> Iterator[Problem]:
    """A target year is not before the year its plan was issued."""
    targets, plans = context.table("targets"), context.table("plans")
    if not has_numbers(targets, "target_year") or not has(targets, "plan_id"):
        return
    if not has(plans, "plan_id", "issued"):
        return
    issued = issue_years(plans)
    position = positions_in(targets.raw["plan_id"], issued.index)
    years = issued.astype("Int64").array.take(position, allow_fill=True)
    plan_year = pd.Series(years, index=targets.raw.index)
    early = (targets.frame["target_year"] < plan_year).fillna(False).astype(bool)
    for line in targets.frame.index[early.to_numpy()].tolist():
        plan = targets.text(line, "plan_id")
        yield targets.problem(
            line,
            "target_year",
            "target-year",
            f"expected a target year no earlier than {int(plan_year.loc[line])}, the year plan "
            f"{plan!r} was issued; found {targets.text(line, 'target_year')}",
        )


def plans_have_facts(context: PackageContext) -> Iterator[Problem]:
    """Every plan has at least one target or measure."""
    plans = context.table("plans")
    targets, measures = context.table("targets"), context.table("measures")
    if not (has(plans, "plan_id") and has(targets, "plan_id") and has(measures, "plan_id")):
        return
    with_facts = pd.concat([targets.raw["plan_id"], measures.raw["plan_id"]])
    lonely = ~is_in(plans.raw["plan_id"], with_facts)
    for line, plan in plans.cells(lonely, "plan_id"):
        yield plans.problem(
            line,
            "plan_id",
            "plan-without-facts",
            f"plan {plan!r} has no row in {targets.path} or {measures.path}; expected at least "
            "one target or measure for every plan",
        )


def formula_injection(context: PackageContext) -> Iterator[Problem]:
    """No text cell begins with =, +, -, @, a tab or a carriage return (spreadsheet formulas)."""
    for table in context.tables.values():
        for field in table.schema.fields:
            if field.type != "string" or field.name not in table.raw.columns:
                continue
            text = table.raw[field.name]
            risky = match_at_start(text, FORMULA_START)
            if not risky.any():
                continue
            for line, cell in table.cells(pd.Series(risky, index=text.index), field.name):
                yield table.problem(
                    line,
                    field.name,
                    "formula-injection",
                    f"the text begins with {cell[0]!r} ({shown(cell)}); spreadsheet programs run "
                    "cells starting with =, +, -, @ (or a tab or carriage return before them) as "
                    "formulas. Expected text that starts with another character",
                )
