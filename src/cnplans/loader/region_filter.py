"""Select the rows of a table that concern one region and its subdivisions.

A region is named by its ISO 3166-2 code (``CN-SX``) or its GB/T 2260 code (``140000``); the
region's subdivisions (``regions.parent_id`` chains) count as inside it, for every table. How a
table reaches a region is read from the Table Schemas' foreign keys, not written down here, in
this order:

1. a field of the table refers to ``regions.region_id`` (``plans.region_id``,
   ``cluster_regions.region_id``);
2. a link table refers to it: a table whose primary key is a foreign key to this table's
   primary key plus a foreign key to ``regions.region_id`` (``cluster_regions`` for
   ``clusters``); the rows are those whose key the link table places in the region;
3. otherwise the first foreign key that leads to such a table is followed (``targets.plan_id``
   -> ``plans.region_id``).

Tables with no such path (``sources``) have no region.

>>> from cnplans.loader.region_filter import region_link
>>> region_link("targets").describe()
'targets.plan_id -> plans.region_id'
>>> region_link("clusters").describe()
'clusters.cluster_id <- cluster_regions.cluster_id -> cluster_regions.region_id'
>>> region_link("sources") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from cnplans.datapackage.errors import CnplansError
from cnplans.datapackage.table_schema import TableSchema

REGIONS = "regions"
REGION_KEY = "region_id"
ISO_FIELD = "iso_3166_2"
PARENT_FIELD = "parent_id"

_ISO_CODE = re.compile(r"^CN-[A-Z]{2}$")
_REGION_CODE = re.compile(r"^[0-9]{6}$")


class RegionError(CnplansError, ValueError):
    """A region cannot be found, or a table has no link to regions."""


class Step(NamedTuple):
    """One hop between tables: rows of ``table`` whose ``field`` equals ``ref_table.ref_field``;
    ``referenced_by`` when ``ref_table`` is a link table whose ``ref_field`` refers to
    ``table.field`` (``cluster_regions.cluster_id`` to ``clusters.cluster_id``)."""

    table: str
    field: str
    ref_table: str
    ref_field: str
    referenced_by: bool = False


@dataclass(frozen=True)
class RegionLink:
    """How a table reaches a region code: hops between tables, then a field holding the code."""

    steps: tuple[Step, ...]
    table: str  # the table holding the region code
    field: str  # its field holding the region code

    def describe(self) -> str:
        """The path as text, e.g. ``targets.plan_id -> plans.region_id``."""
        hops = [
            f"{s.table}.{s.field} <- {s.ref_table}.{s.ref_field} -> "
            if s.referenced_by
            else f"{s.table}.{s.field} -> "
            for s in self.steps
        ]
        return "".join(hops) + f"{self.table}.{self.field}"


def region_link(
    name: str,
    schema_of: Callable[[str], TableSchema] | None = None,
    table_names: Iterable[str] | None = None,
) -> RegionLink | None:
    """How table ``name`` reaches a region, or None when its foreign keys lead to none.

    ``schema_of`` gives a table's schema and ``table_names`` the package's tables (where link
    tables are looked for); both default to the bundled data's.
    """
    if schema_of is None or table_names is None:
        from cnplans import loader

        schema_of = schema_of or loader.schema
        table_names = loader.tables() if table_names is None else table_names
    return _link(name, schema_of, tuple(table_names), frozenset())


def _keys(table_schema: TableSchema, table: str) -> list[tuple[str, str, str]]:
    """(field, referenced table, referenced field) of each one-field foreign key."""
    return [
        (fk.fields[0], fk.resource or table, fk.reference_fields[0])
        for fk in table_schema.foreign_keys
        if len(fk.fields) == 1
    ]


def _link(
    name: str,
    schema_of: Callable[[str], TableSchema],
    names: tuple[str, ...],
    seen: frozenset[str],
) -> RegionLink | None:
    if name == REGIONS:
        return RegionLink((), REGIONS, REGION_KEY)
    table_schema = schema_of(name)
    keys = _keys(table_schema, name)
    for own, target, ref in keys:
        if (target, ref) == (REGIONS, REGION_KEY):
            return RegionLink((), name, own)
    through = _link_table(name, table_schema, schema_of, names)
    if through is not None:
        return through
    for own, target, ref in keys:
        if target in seen or target in (name, REGIONS):
            continue
        further = _link(target, schema_of, names, seen | {name})
        if further is not None:
            step = Step(name, own, target, ref)
            return RegionLink((step, *further.steps), further.table, further.field)
    return None


def _link_table(
    name: str,
    table_schema: TableSchema,
    schema_of: Callable[[str], TableSchema],
    names: tuple[str, ...],
) -> RegionLink | None:
    """The link through the first table whose primary key is a foreign key to ``name``'s
    (one-field) primary key and one to ``regions.region_id`` (``cluster_regions``)."""
    if len(table_schema.primary_key) != 1:
        return None
    key = table_schema.primary_key[0]
    for other in names:
        if other in (name, REGIONS):
            continue
        other_schema = schema_of(other)
        keys = _keys(other_schema, other)
        to_this = [own for own, target, ref in keys if (target, ref) == (name, key)]
        to_regions = [own for own, target, ref in keys if (target, ref) == (REGIONS, REGION_KEY)]
        for own in to_this:
            for region in to_regions:
                if sorted(other_schema.primary_key) == sorted([own, region]):
                    step = Step(name, key, other, own, referenced_by=True)
                    return RegionLink((step,), other, region)
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
    found: set[str] = set()
    added = {str(v) for v in matches}
    while added:  # the children of the regions added last, until there are no new ones
        found |= added
        children = regions.loc[regions[PARENT_FIELD].astype("string").isin(added), REGION_KEY]
        added = {str(v) for v in children} - found
    return found


def rows_in_region(
    name: str,
    code: str,
    load: Callable[[str], pd.DataFrame],
    schema_of: Callable[[str], TableSchema] | None = None,
    table_names: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Rows of table ``name`` that concern region ``code`` or its subdivisions.

    ``load`` returns a table by name (e.g. ``cnplans.load``); ``schema_of`` its schema and
    ``table_names`` the package's tables (see :func:`region_link`).
    """
    link = region_link(name, schema_of, table_names)
    if link is None:
        raise RegionError(
            f"table {name} has no link to a region (no field, foreign key or link table leads "
            f"to {REGIONS}.{REGION_KEY}), so it cannot be filtered by region"
        )
    keys = resolve_region(load(REGIONS), code)
    frame = load(link.table)
    selected = frame[frame[link.field].isin(keys)]
    for step in reversed(link.steps):  # walk back: each step's ref_table rows are `selected`
        keys = {str(v) for v in selected[step.ref_field].dropna()}
        frame = load(step.table)
        selected = frame[frame[step.field].isin(keys)]
    return selected.reset_index(drop=True)
