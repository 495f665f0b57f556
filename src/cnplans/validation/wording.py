"""Wording rules: names are printed in their row's quote, ids are regular, region links are stated.

A quote being verbatim in its source (:mod:`cnplans.validation.provenance`) does not make the
row's other cells true. These rules check the cells that repeat the source's words (a name, a
title, an issuer in the row's quote; a publisher or a dateline in the source's text; a cluster's
region in the link's quote, the cluster's name or the plan's region) and keep ids regular (each
starts with its plan's id; no id is the key of two tables), words compared as :func:`comparable`
makes them. Every rule works on whole columns (pyarrow, pandas); only the containment and
prefix tests run once per row, on the rows' strings.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cnplans.validation.context import PackageContext, Table, has, row_slices
from cnplans.validation.problems import Problem, cut
from cnplans.validation.provenance import WHITESPACE, source_files
from cnplans.validation.rows import shown
from cnplans.validation.vectorized import arrow_text, positions_in

# Cells that repeat the source's words, by table: each is printed in the row's quote.
NAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "plans": ("title", "issuer"),
    "clusters": ("name",),
    "projects": ("name",),
}
# Cells of sources printed in the source's own text.
SOURCE_WORD_COLUMNS = ("publisher", "dateline")
# Tables whose single-field primary keys share one namespace (reported in descriptor order).
ID_TABLES = ("sources", "plans", "targets", "projects", "measures", "clusters")
# Tables whose ids carry a second part after the plan id: the value of this column.
ID_KIND_COLUMNS = {"clusters": "kind"}
REGION_BASES = ("quote", "name", "plan_region")  # cluster_regions.basis
# What :func:`comparable` replaces, after lower-casing: curly quotes, dashes, whitespace runs.
REPLACED = (
    ("[\u2018\u2019\u201a\u201b]", "'"),
    ("[\u201c\u201d\u201e\u201f]", '"'),
    ("[\u2010-\u2015\u2212]", "-"),
    (WHITESPACE, " "),
)
QUOTE_CHARS = 80  # how much of a quote a message shows


def comparable(text: pd.Series) -> list[str]:
    """Each cell as the wording rules compare it: lower case, whitespace runs collapsed, ends
    trimmed, curly quotes straight and every dash a hyphen ("" for a missing cell)."""
    import pyarrow.compute as pc

    arrow = pc.utf8_lower(arrow_text(text))
    for pattern, replacement in REPLACED:
        arrow = pc.replace_substring_regex(arrow, pattern, replacement)
    arrow = pc.utf8_trim(arrow, " ")
    return list(pc.fill_null(arrow, "").to_pylist())


def contained(parts: pd.Series, wholes: pd.Series) -> np.ndarray:
    """Whether each part occurs in the whole on its row, both made :func:`comparable`.

    Most cells are printed exactly as in their quote, so each part is first looked for as it
    is written (an exact occurrence stays one once both sides are made comparable); only the
    rows where that fails are normalized and looked at again.
    """
    part_text, whole_text = parts.fillna("").tolist(), wholes.fillna("").tolist()
    found = _each_in(part_text, whole_text)
    rest = np.flatnonzero(~found)
    if rest.size:
        found[rest] = _each_in(
            comparable(parts.iloc[rest].fillna("")), comparable(wholes.iloc[rest].fillna(""))
        )
    return found


def _each_in(parts: list[str], wholes: list[str]) -> np.ndarray:
    return np.fromiter(
        (part in whole for part, whole in zip(parts, wholes, strict=True)),
        dtype=bool,
        count=len(parts),
    )


def _quoted(text: str) -> str:
    """A quote shown in a message, in curly quotes, shortened when long."""
    return f"\u201c{cut(text, QUOTE_CHARS)}\u201d"


def names_in_quotes(context: PackageContext) -> Iterator[Problem]:
    """Names, titles and issuers are printed in the row's own quote."""
    for name, columns in NAME_COLUMNS.items():
        table = context.table(name)
        if not has(table, "quote"):
            continue
        for column in columns:
            if column not in table.raw.columns:
                continue
            cells = table.raw[column]
            filled = (cells.fillna("") != "").to_numpy(dtype=bool)
            if not filled.any():
                continue
            missing = filled & ~contained(cells, table.raw["quote"])
            for line, cell in table.cells(pd.Series(missing, index=table.raw.index), column):
                yield table.problem(
                    line,
                    column,
                    "name-not-in-quote",
                    f"{column} {shown(cell)} is not in the row's quote "
                    f"({_quoted(table.text(line, 'quote'))}); expected the {column} as the "
                    "source prints it",
                )


def source_words(context: PackageContext) -> Iterator[Problem]:
    """A source's publisher and dateline are printed in its archived text."""
    sources = context.table("sources")
    if not has(sources, "source_id"):
        return
    columns = [c for c in SOURCE_WORD_COLUMNS if c in sources.raw.columns]
    filled = {c: (sources.raw[c].fillna("") != "").to_numpy(dtype=bool) for c in columns}
    if not any(mask.any() for mask in filled.values()):
        return
    files, _ = source_files(context)
    texts = sources.raw["source_id"].map(
        {k: f.text for k, f in files.items() if f.text is not None}
    )
    readable = texts.notna().to_numpy(dtype=bool)
    if not readable.any():
        return  # no text to look in (a missing file is its own problem)
    for column in columns:
        missing = filled[column] & readable & ~contained(sources.raw[column], texts)
        for line, cell in sources.cells(pd.Series(missing, index=sources.raw.index), column):
            path = files[sources.text(line, "source_id")].path
            yield sources.problem(
                line,
                column,
                "source-words",
                f"{column} {shown(cell)} is not printed in {path}; expected the words as the "
                "source's text prints them, or an empty cell",
            )


def _take(table: Table, column: str, positions: np.ndarray, index: pd.Index) -> pd.Series:
    """``table.raw[column]`` at ``positions`` (NA where a position is -1), indexed by ``index``."""
    import pyarrow as pa

    missing = positions < 0
    rows = pa.array(np.where(missing, 0, positions), mask=missing)
    taken = arrow_text(table.raw[column]).take(rows)
    return pd.Series(pd.arrays.ArrowStringArray(taken), index=index)


def region_links(context: PackageContext) -> Iterator[Problem]:
    """A cluster's region link is what its basis says: the quote names the region (``quote``),
    the cluster's name carries it (``name``), or it is the plan's region (``plan_region``)."""
    links, regions = context.table("cluster_regions"), context.table("regions")
    clusters, plans = context.table("clusters"), context.table("plans")
    if not has(links, "cluster_id", "region_id", "quote", "basis"):
        return
    raw = links.raw[["cluster_id", "region_id", "quote"]]
    basis = links.raw["basis"]
    rows = {b: np.flatnonzero((basis == b).to_numpy(dtype=bool)) for b in REGION_BASES}
    stated = np.union1d(rows["quote"], rows["name"])
    if stated.size and has(regions, "region_id", "name_en"):
        at = raw.iloc[stated]
        positions = positions_in(at["region_id"], pd.Index(regions.raw["region_id"]))
        region_names = _take(regions, "name_en", positions, at.index)
        wrong = positions >= 0
        wrong[wrong] = ~contained(region_names[wrong], at["quote"][wrong])
        for line in at.index[wrong].tolist():
            region = links.text(line, "region_id")
            yield links.problem(
                line,
                "quote",
                "region-link",
                f"basis {links.text(line, 'basis')!r}, but the quote "
                f"({_quoted(links.text(line, 'quote'))}) does not name region {region} "
                f"({region_names.loc[line]}); expected a quote that names it, or basis "
                "'plan_region' for the plan's own region",
            )
    if not has(clusters, "cluster_id") or not (rows["name"].size or rows["plan_region"].size):
        return
    cluster_positions = positions_in(raw["cluster_id"], pd.Index(clusters.raw["cluster_id"]))
    if rows["name"].size and "name" in clusters.raw.columns:
        at = raw.iloc[rows["name"]]
        positions = cluster_positions[rows["name"]]
        names, quotes = _take(clusters, "name", positions, at.index), at["quote"]
        wrong = positions >= 0
        wrong[wrong] = ~contained(quotes[wrong], names[wrong])
        wrong[wrong] = ~contained(names[wrong], quotes[wrong])
        for line in at.index[wrong].tolist():
            yield links.problem(
                line,
                "quote",
                "region-link",
                f"basis 'name', but the quote ({_quoted(links.text(line, 'quote'))}) is not the "
                f"name of cluster {links.text(line, 'cluster_id')!r} ({shown(names.loc[line])}); "
                "expected a quote that is the cluster's name or part of it",
            )
    if rows["plan_region"].size and "plan_id" in clusters.raw.columns:
        if not has(plans, "plan_id", "region_id"):
            return
        at = raw.iloc[rows["plan_region"]]
        positions = cluster_positions[rows["plan_region"]]
        plan_ids = _take(clusters, "plan_id", positions, at.index)
        plan_positions = positions_in(plan_ids, pd.Index(plans.raw["plan_id"]))
        plan_regions = _take(plans, "region_id", plan_positions, at.index)
        wrong = (plan_regions.notna() & (at["region_id"] != plan_regions)).to_numpy(bool)
        for line in at.index[wrong].tolist():
            yield links.problem(
                line,
                "region_id",
                "region-link",
                f"basis 'plan_region': expected {plan_regions.loc[line]}, the region of plan "
                f"{plan_ids.loc[line]!r}; found {links.text(line, 'region_id')}",
            )


def _ancestors(regions: Table) -> pd.DataFrame:
    """Every (region_id, ancestor_id) pair of the parent_id chains, cycles cut."""
    raw = regions.raw[["region_id", "parent_id"]].drop_duplicates(subset="region_id")
    raw = raw[raw["parent_id"].fillna("") != ""]
    parent = pd.Series(raw["parent_id"].to_numpy(), index=pd.Index(raw["region_id"]))
    pairs = []
    step = pd.DataFrame({"region_id": parent.index.to_numpy(), "ancestor_id": parent.to_numpy()})
    for _ in range(len(parent)):  # no chain without a cycle is longer than this
        step = step[step["ancestor_id"] != step["region_id"]]
        if step.empty:
            break
        pairs.append(step)
        step = pd.DataFrame(
            {"region_id": step["region_id"], "ancestor_id": step["ancestor_id"].map(parent)}
        ).dropna()
    if not pairs:
        return pd.DataFrame({"region_id": [], "ancestor_id": []}, dtype="str")
    return pd.concat(pairs).drop_duplicates()


def region_link_ancestors(context: PackageContext) -> Iterator[Problem]:
    """A cluster is not linked both to a region and to a region that contains it."""
    links, regions = context.table("cluster_regions"), context.table("regions")
    if not has(links, "cluster_id", "region_id") or not has(regions, "region_id", "parent_id"):
        return
    pairs = _ancestors(regions)
    if pairs.empty:
        return
    rows = links.raw[["cluster_id", "region_id"]].reset_index()
    finer = rows.merge(pairs, on="region_id")
    coarser = rows.merge(
        finer.rename(columns={"region_id": "finer_id", "line": "finer_line"}),
        left_on=["cluster_id", "region_id"],
        right_on=["cluster_id", "ancestor_id"],
    ).drop_duplicates(subset="line")
    for line, cluster, region, finer_id, finer_line in coarser[
        ["line", "cluster_id", "region_id", "finer_id", "finer_line"]
    ].itertuples(index=False):
        yield links.problem(
            int(line),
            "region_id",
            "region-link-ancestor",
            f"cluster {cluster!r} is linked to region {region} here and to {finer_id}, which "
            f"lies within it, on line {int(finer_line)}; expected one link at one level (roll-ups "
            "would count the cluster twice): keep the most precise region the source states",
        )


def joined_prefix(text: pd.Series, parts: list[pd.Series]) -> np.ndarray:
    """Whether each cell of ``text`` starts with its row's ``parts``, each followed by a hyphen
    (``<plan_id>-<kind>-``)."""
    found = np.zeros(len(text), dtype=bool)
    for rows in row_slices(len(text)):  # cells are Python strings a slice at a time
        cells = zip(
            text.iloc[rows].fillna("").tolist(),
            *(p.iloc[rows].fillna("").tolist() for p in parts),
            strict=True,
        )
        found[rows] = np.fromiter(
            (cell.startswith("".join(f"{part}-" for part in row)) for cell, *row in cells),
            dtype=bool,
        )
    return found


def id_prefixes(context: PackageContext) -> Iterator[Problem]:
    """Each row's id starts with its plan's id (and, for clusters, its kind)."""
    for table in context.tables.values():
        key = table.schema.primary_key
        if len(key) != 1 or key[0] == "plan_id" or not has(table, key[0], "plan_id"):
            continue
        column = key[0]
        parts = [table.raw["plan_id"].fillna("")]
        kind_column = ID_KIND_COLUMNS.get(table.name)
        if kind_column is not None:
            if kind_column not in table.raw.columns:
                continue
            parts.append(table.raw[kind_column].fillna("").str.replace("_", "-", regex=False))
        known = np.logical_and.reduce([(part != "").to_numpy(dtype=bool) for part in parts])
        wrong = known & ~joined_prefix(table.raw[column], parts)
        for line, cell in table.cells(pd.Series(wrong, index=table.raw.index), column):
            what = f"plan_id and {kind_column}" if kind_column else "plan_id"
            prefix = "".join(f"{part.loc[line]}-" for part in parts)
            yield table.problem(
                line,
                column,
                "id-prefix",
                f"expected the id to start with {prefix!r} (from the row's {what}); found {cell!r}",
            )


def ids_reused(context: PackageContext) -> Iterator[Problem]:
    """An id is the primary key of one table only (ids stay unambiguous in a merged view).

    An id that an earlier table (in descriptor order) holds too is reported on the later
    table's row, naming the earlier table's first row of it.
    """
    tables: list[tuple[Table, str]] = []
    for entry in context.resources:
        table = context.table(entry.name)
        if entry.name not in ID_TABLES or table is None or any(t is table for t, _ in tables):
            continue
        primary_key = table.schema.primary_key
        if len(primary_key) == 1 and primary_key[0] in table.raw.columns:
            tables.append((table, primary_key[0]))
    if len(tables) < 2:
        return
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = [arrow_text(table.raw[column].fillna("")) for table, column in tables]
    starts = np.cumsum([0, *(len(t.raw) for t, _ in tables)])
    for owner in range(1, len(tables)):
        table, column = tables[owner]
        earlier = pa.chunked_array(
            [c for own in ids[:owner] for c in own.chunks], pa.large_string()
        )
        # the first row of any earlier table holding each id (an empty id is nobody's)
        found = pc.index_in(ids[owner], value_set=earlier.combine_chunks())
        found = pc.if_else(pc.equal(ids[owner], ""), None, found)
        at = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        for row in np.flatnonzero(at >= 0).tolist():
            first_owner = int(np.searchsorted(starts, at[row], side="right")) - 1
            other, other_column = tables[first_owner]
            line = int(table.raw.index[row])
            yield table.problem(
                line,
                column,
                "id-reused",
                f"id {table.text(line, column)!r} is already the {other_column} of {other.path} "
                f"(line {int(other.raw.index[at[row] - starts[first_owner]])}); expected an id "
                "that names one row of one table",
            )
