"""Select the rows of a table that concern one region and its subdivisions.

A region is named by its ISO 3166-2 code (``CN-SX``) or its GB/T 2260 code (``140000``); the
region's subdivisions (``regions.parent_id`` chains) count as inside it. How a table reaches a
region is read from the Table Schemas' foreign keys, not written down here: a field that refers
to ``regions.region_id`` links directly (``plans.region_id``, ``cluster_regions.region_id``);
otherwise the first foreign key that leads to such a table is followed (``targets.plan_id`` ->
``plans.region_id``). Tables with no such path (``sources``) have no region.

>>> from cnplans.region_filter import region_link
>>> region_link("targets").describe()
'targets.plan_id -> plans.region_id'
>>> region_link("sources") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from cnplans.errors import CnplansError
from cnplans.table_schema import TableSchema

REGIONS = "regions"
REGION_KEY = "region_id"
ISO_FIELD = "iso_3166_2"
PARENT_FIELD = "parent_id"

_ISO_CODE = re.compile(r"^CN-[A-Z]{2}$")
_REGION_CODE = re.compile(r"^[0-9]{6}$")


class RegionError(CnplansError, ValueError):
    """A region cannot be found, or a table has no link to regions."""


@dataclass(frozen=True)
class Step:
    """One foreign-key hop: ``table.field`` refers to ``ref_table.ref_field``."""

    table: str
    field: str
    ref_table: str
    ref_field: str


@dataclass(frozen=True)
class RegionLink:
    """How a table reaches a region code: foreign-key hops, then a field holding the code."""

    steps: tuple[Step, ...]
    table: str  # the table holding the region code
    field: str  # its field holding the region code

    def describe(self) -> str:
        """The path as text, e.g. ``targets.plan_id -> plans.region_id``."""
        hops = [f"{s.table}.{s.field}" for s in self.steps]
        return " -> ".join([*hops, f"{self.table}.{self.field}"])


def region_link(
    name: str, schema_of: Callable[[str], TableSchema] | None = None
) -> RegionLink | None:
    """How table ``name`` reaches a region, or None when its foreign keys lead to none."""
    if schema_of is None:
        from cnplans.loader import schema

        return _link(name, schema, frozenset())
    return _link(name, schema_of, frozenset())


def _link(
    name: str, schema_of: Callable[[str], TableSchema], seen: frozenset[str]
) -> RegionLink | None:
    if name == REGIONS:
        return RegionLink((), REGIONS, REGION_KEY)
    table_schema = schema_of(name)
    single = [fk for fk in table_schema.foreign_keys if len(fk.fields) == 1]
    for fk in single:
        if fk.resource == REGIONS and fk.reference_fields == [REGION_KEY]:
            return RegionLink((), name, fk.fields[0])
    for fk in single:
        target = fk.resource or name
        if target in seen or target in (name, REGIONS):
            continue
        further = _link(target, schema_of, seen | {name})
        if further is not None:
            step = Step(name, fk.fields[0], target, fk.reference_fields[0])
            return RegionLink((step, *further.steps), further.table, further.field)
    return None


def resolve_region(regions: pd.DataFrame, code: str) -> set[str]:
    """Region codes of the region named ``code`` (ISO 3166-2 or GB/T 2260) and its subdivisions."""
    wanted = code.strip().upper()
    if _ISO_CODE.match(wanted):
        matches = regions.loc[regions[ISO_FIELD] == wanted, REGION_KEY]
        if matches.empty:
            known = ", ".join(sorted(regions[ISO_FIELD].dropna().astype(str)))
            raise RegionError(
                f"no region in table regions has ISO 3166-2 code {wanted}; the codes present "
                f"are: {known or 'none'}"
            )
    elif _REGION_CODE.match(wanted):
        matches = regions.loc[regions[REGION_KEY] == wanted, REGION_KEY]
        if matches.empty:
            raise RegionError(
                f"no region in table regions has code {wanted}; `cnplans show regions` lists them"
            )
    else:
        raise RegionError(
            f"{code!r} is not a region: expected an ISO 3166-2 code such as CN-SX or a six-digit "
            "GB/T 2260 code such as 140000"
        )
    found = {str(v) for v in matches}
    children: dict[str, list[str]] = {}
    for region_id, parent_id in zip(regions[REGION_KEY], regions[PARENT_FIELD], strict=True):
        if not pd.isna(parent_id):
            children.setdefault(str(parent_id), []).append(str(region_id))
    frontier = list(found)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def rows_in_region(
    name: str,
    code: str,
    load: Callable[[str], pd.DataFrame],
    schema_of: Callable[[str], TableSchema] | None = None,
) -> pd.DataFrame:
    """Rows of table ``name`` that concern region ``code`` or its subdivisions.

    ``load`` returns a table by name (e.g. ``cnplans.load``); ``schema_of`` its schema.
    """
    link = region_link(name, schema_of)
    if link is None:
        raise RegionError(
            f"table {name} has no link to a region (no field or foreign key leads to "
            f"{REGIONS}.{REGION_KEY}), so it cannot be filtered by region"
        )
    keys = resolve_region(load(REGIONS), code)
    frame = load(link.table)
    selected = frame[frame[link.field].isin(keys)]
    for step in reversed(link.steps):  # walk back: each step's ref_table rows are `selected`
        keys = {str(v) for v in selected[step.ref_field].dropna()}
        frame = load(step.table)
        selected = frame[frame[step.field].isin(keys)]
    return selected.reset_index(drop=True)
