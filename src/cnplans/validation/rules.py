"""Rules a Table Schema cannot express: across fields, across tables, and about spreadsheets.

Every rule is vectorized: pandas operations over whole columns, set membership and mappings
for keys. Each rule skips silently when a table or column it needs could not be loaded (that
is already reported).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from cnplans.validation.context import PackageContext, Table, has
from cnplans.validation.problems import Problem
from cnplans.validation.registry import register_check
from cnplans.validation.rows import shown
from cnplans.validation.vectorized import is_in, match_at_start, positions_in

# What spreadsheets may run as a formula (OWASP CSV injection: a leading tab or CR too).
FORMULA_START = r"[=+\-@\t\r]"


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed key columns as comparable text (categories and numbers alike)."""
    return frame.astype("string")


@register_check
def foreign_keys(context: PackageContext) -> Iterator[Problem]:
    """Every foreign key resolves; a key with an empty cell is not checked (it is optional)."""
    for table in context.tables.values():
        for fk in table.schema.foreign_keys:
            target_name = fk.resource or table.name
            target = context.table(target_name)
            if target is None or not has(table, *fk.fields):
                continue
            if not has(target, *fk.reference_fields):
                continue
            child = _as_text(table.frame[fk.fields])
            parent = _as_text(target.frame[fk.reference_fields]).dropna()
            present = child.notna().all(axis=1)
            if len(fk.fields) == 1:
                found = is_in(child.iloc[:, 0], parent.iloc[:, 0])
            else:
                keys = pd.MultiIndex.from_frame(child)
                found = pd.Series(keys.isin(pd.MultiIndex.from_frame(parent)), index=child.index)
            missing = present & ~found
            if not missing.any():
                continue
            columns = ", ".join(fk.fields)
            reference = ", ".join(fk.reference_fields)
            lines = table.raw.index[missing.to_numpy(dtype=bool)].tolist()
            for line in lines:
                value = ", ".join(shown(table.text(line, field)) for field in fk.fields)
                yield Problem(
                    table.path,
                    line,
                    fk.fields[0],
                    "foreign-key",
                    f"{columns} {value} is not found in {target.path} ({reference}); expected "
                    f"the {reference} of a row in {target.path}",
                )


@register_check
def target_values(context: PackageContext) -> Iterator[Problem]:
    """A range's upper value is not below its value; ``range`` exactly when value_max is set."""
    targets = context.table("targets")
    if targets is None or not has(targets, "value", "value_max", "qualifier"):
        return
    frame, raw = targets.frame, targets.raw
    below = (frame["value_max"] < frame["value"]).fillna(False).astype(bool)
    for line in frame.index[below.to_numpy()].tolist():
        yield Problem(
            targets.path,
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
        yield Problem(
            targets.path,
            line,
            "value_max",
            "range-qualifier",
            "the qualifier is 'range', so expected an upper value in value_max; found it empty",
        )
    for line in frame.index[(~is_range & has_max & qualifier_known).to_numpy()].tolist():
        yield Problem(
            targets.path,
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


@register_check
def target_year_after_issue(context: PackageContext) -> Iterator[Problem]:
    """A target year is not before the year its plan was issued."""
    targets, plans = context.table("targets"), context.table("plans")
    if targets is None or plans is None or not has(targets, "plan_id", "target_year"):
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
        yield Problem(
            targets.path,
            line,
            "target_year",
            "target-year",
            f"expected a target year no earlier than {int(plan_year.loc[line])}, the year plan "
            f"{plan!r} was issued; found {targets.text(line, 'target_year')}",
        )


@register_check
def plans_have_facts(context: PackageContext) -> Iterator[Problem]:
    """Every plan has at least one target or measure."""
    plans = context.table("plans")
    targets, measures = context.table("targets"), context.table("measures")
    if plans is None or not has(plans, "plan_id"):
        return
    if not (has(targets, "plan_id") and has(measures, "plan_id")):
        return
    assert targets is not None and measures is not None
    with_facts = pd.concat([targets.raw["plan_id"], measures.raw["plan_id"]])
    lonely = ~is_in(plans.raw["plan_id"], with_facts)
    for line, plan in plans.cells(lonely, "plan_id"):
        yield Problem(
            plans.path,
            line,
            "plan_id",
            "plan-without-facts",
            f"plan {plan!r} has no row in {targets.path} or {measures.path}; expected at least "
            "one target or measure for every plan",
        )


@register_check
def formula_injection(context: PackageContext) -> Iterator[Problem]:
    """No text cell begins with =, +, -, @, a tab or a carriage return (spreadsheet formulas)."""
    for table in context.tables.values():
        for field in table.schema.fields:
            if field.type != "string" or field.name not in table.raw.columns:
                continue
            text = table.raw[field.name]
            risky = pd.Series(match_at_start(text, FORMULA_START), index=text.index)
            if not risky.any():
                continue
            for line, cell in table.cells(risky, field.name):
                yield Problem(
                    table.path,
                    line,
                    field.name,
                    "formula-injection",
                    f"the text begins with {cell[0]!r} ({shown(cell)}); spreadsheet programs run "
                    "cells starting with =, +, -, @ (or a tab or carriage return before them) as "
                    "formulas. Expected text that starts with another character",
                )
