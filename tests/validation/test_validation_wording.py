"""Wording rules: names in quotes, source words, region links, id prefixes, ids used once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import Csv, start_lines

from cnplans.validation import context, wording
from cnplans.validation.checks import CHECKS as ALL_CHECKS
from cnplans.validation.problems import Problem
from cnplans.validation.runner import validate_package

FUNCTIONS = [
    wording.names_in_quotes,
    wording.source_words,
    wording.region_links,
    wording.region_link_ancestors,
    wording.id_prefixes,
    wording.ids_reused,
]
CHECKS = [check for check in ALL_CHECKS if check.run in FUNCTIONS]
RULES = [
    "name-not-in-quote",
    "source-words",
    "region-link",
    "region-link-ancestor",
    "id-prefix",
    "id-reused",
]
CLUSTERS = "resources/clusters.csv"
LINKS = "resources/cluster_regions.csv"
REGIONS = "resources/regions.csv"
PLANS = "resources/plans.csv"


def problems(package: Path) -> list[Problem]:
    return validate_package(package / "datapackage.json", checks=CHECKS).problems


@pytest.fixture
def package(package: Path) -> Path:
    """The copy, with the problems the unbroken copy has noted (tests report only new ones)."""
    BASELINE[package] = set(problems(package))
    return package


BASELINE: dict[Path, set[Problem]] = {}


def new_problems(package: Path, rule: str) -> list[Problem]:
    """Problems of ``rule`` the break added (the real package's own are checked separately)."""
    before = BASELINE.get(package, set())
    return [p for p in problems(package) if p.rule == rule and p not in before]


def located(package: Path, rule: str) -> list[tuple[str, int | None, str | None]]:
    """(file, line, column) of every new problem of ``rule``."""
    return [(p.file, p.line, p.column) for p in new_problems(package, rule)]


def message(package: Path, rule: str) -> str:
    return next(p.message for p in new_problems(package, rule))


def table(package: Path, name: str) -> Csv:
    return Csv.read(package / f"resources/{name}.csv")


def line_of(csv: Csv, index: int) -> int:
    return start_lines(csv.path)[index]


@pytest.mark.parametrize("rule", RULES)
def test_the_real_package_passes(package: Path, rule: str) -> None:
    assert [p for p in BASELINE[package] if p.rule == rule] == []


def test_comparable_ignores_case_whitespace_quotes_and_dashes() -> None:
    cells = pd.Series([" The  “Base” \u2013 in\nJiading ", "it\u2019s \u2014 'x' - \"y\"", ""])
    assert wording.comparable(cells) == ['the "base" - in jiading', "it's - 'x' - \"y\"", ""]


@pytest.mark.parametrize(
    ("name", "column"),
    [("clusters", "name"), ("projects", "name"), ("plans", "title"), ("plans", "issuer")],
)
def test_name_not_in_quote(package: Path, name: str, column: str) -> None:
    rows = table(package, name)
    index = rows.find(column, lambda v: v != "")
    rows.set(index, column, rows.get(index, column) + " of nowhere")
    rows.write()
    assert located(package, "name-not-in-quote") == [
        (f"resources/{name}.csv", line_of(rows, index), column)
    ]
    text = message(package, "name-not-in-quote")
    assert text.startswith(f"{column} ") and f"expected the {column}" in text


def test_name_compared_without_case_spacing_curly_quotes_or_dashes(package: Path) -> None:
    clusters = table(package, "clusters")
    quote = "the “High-End” base \u2013 of Somewhere"
    clusters.set(0, "quote", quote)
    clusters.set(0, "name", 'HIGH-END"  BASE - OF')
    clusters.write()
    assert located(package, "name-not-in-quote") == []


def test_an_empty_issuer_is_not_checked(package: Path) -> None:
    plans = table(package, "plans")
    for index in range(len(plans.rows)):
        plans.set(index, "issuer", "")
    plans.write()
    assert located(package, "name-not-in-quote") == []


@pytest.mark.parametrize("column", ["publisher", "dateline"])
def test_source_words_not_in_the_text(package: Path, column: str) -> None:
    sources = table(package, "sources")
    sources.set(0, column, "Bureau of Made-Up Facts")
    sources.write()
    assert located(package, "source-words") == [
        ("resources/sources.csv", line_of(sources, 0), column)
    ]
    assert sources.get(0, "path") in message(package, "source-words")


def test_source_words_found_in_the_text_whatever_the_case(package: Path) -> None:
    sources = table(package, "sources")
    text = (package / sources.get(0, "path")).read_text(encoding="utf-8")
    first_line = next(line for line in text.splitlines() if line.strip())
    sources.set(0, "publisher", first_line.upper())
    sources.set(0, "dateline", "  ".join(first_line.split()[:3]))
    sources.write()
    assert located(package, "source-words") == []


def _region_of_plan(package: Path, cluster_id: str) -> str:
    clusters, plans = table(package, "clusters"), table(package, "plans")
    plan = clusters.get(clusters.find("cluster_id", lambda v: v == cluster_id), "plan_id")
    return plans.get(plans.find("plan_id", lambda v: v == plan), "region_id")


def _region_name(package: Path, region_id: str) -> str:
    regions = table(package, "regions")
    return regions.get(regions.find("region_id", lambda v: v == region_id), "name_en")


@pytest.mark.parametrize("basis", ["quote", "name"])
def test_region_link_quote_that_does_not_name_the_region(package: Path, basis: str) -> None:
    links = table(package, "cluster_regions")
    links.set(0, "basis", basis)
    links.set(0, "quote", "a quote that names no place")
    links.write()
    found = located(package, "region-link")
    assert (LINKS, line_of(links, 0), "quote") in found
    assert all(line == line_of(links, 0) for _, line, _ in found)


def test_region_link_by_name_needs_the_cluster_name(package: Path) -> None:
    links = table(package, "cluster_regions")
    region = _region_name(package, links.get(0, "region_id"))
    links.set(0, "basis", "name")
    links.set(0, "quote", f"{region} Park of Something Else Entirely")
    links.write()
    assert located(package, "region-link") == [(LINKS, line_of(links, 0), "quote")]
    assert "is not the name of cluster" in message(package, "region-link")


def test_region_link_by_name(package: Path) -> None:
    links, clusters = table(package, "cluster_regions"), table(package, "clusters")
    region = _region_name(package, links.get(0, "region_id"))
    index = clusters.find("cluster_id", lambda v: v == links.get(0, "cluster_id"))
    clusters.set(index, "name", f"{region} Test Industrial Park")
    clusters.write()
    links.set(0, "basis", "name")
    links.set(0, "quote", f"{region.upper()} Test Industrial Park")
    links.write()
    assert located(package, "region-link") == []


def test_region_link_plan_region_must_be_the_plans_region(package: Path) -> None:
    links, regions = table(package, "cluster_regions"), table(package, "regions")
    plan_region = _region_of_plan(package, links.get(0, "cluster_id"))
    other = regions.get(regions.find("region_id", lambda v: v != plan_region), "region_id")
    links.set(0, "basis", "plan_region")
    links.set(0, "region_id", other)
    links.write()
    assert located(package, "region-link") == [(LINKS, line_of(links, 0), "region_id")]
    assert plan_region in message(package, "region-link")
    links.set(0, "region_id", plan_region)
    links.write()
    assert located(package, "region-link") == []


def test_cluster_linked_to_a_region_and_its_ancestor(package: Path) -> None:
    links, regions = table(package, "cluster_regions"), table(package, "regions")
    child = regions.find("parent_id", lambda v: v != "")
    links.set(0, "region_id", regions.get(child, "region_id"))
    extra = list(links.rows[0])
    extra[links.col("region_id")] = regions.get(child, "parent_id")
    links.rows.append(extra)
    links.write()
    last = len(links.rows) - 1
    assert located(package, "region-link-ancestor") == [(LINKS, line_of(links, last), "region_id")]
    assert f"on line {line_of(links, 0)}" in message(package, "region-link-ancestor")


def test_region_link_ancestors_survive_a_cycle(package: Path) -> None:
    links, regions = table(package, "cluster_regions"), table(package, "regions")
    first, second = regions.get(0, "region_id"), regions.get(1, "region_id")
    regions.set(0, "parent_id", second)
    regions.set(1, "parent_id", first)
    regions.write()
    for region in (first, second):
        extra = list(links.rows[0])
        extra[links.col("cluster_id")] = "cycle-test-cluster"
        extra[links.col("region_id")] = region
        links.rows.append(extra)
    links.write()
    added = {line_of(links, len(links.rows) - 2), line_of(links, len(links.rows) - 1)}
    found = {line for _, line, _ in located(package, "region-link-ancestor") if line in added}
    assert found == added  # each lies within the other; the chain walk stops


@pytest.mark.parametrize(
    ("name", "column"),
    [("targets", "target_id"), ("projects", "project_id"), ("measures", "measure_id")],
)
def test_id_without_its_plan_prefix(package: Path, name: str, column: str) -> None:
    rows = table(package, name)
    rows.set(0, column, "x-" + rows.get(0, column))
    rows.write()
    assert located(package, "id-prefix") == [(f"resources/{name}.csv", line_of(rows, 0), column)]
    assert repr(rows.get(0, "plan_id") + "-") in message(package, "id-prefix")


def test_cluster_id_without_its_kind(package: Path) -> None:
    clusters = table(package, "clusters")
    kind = clusters.get(0, "kind")
    other = "industrial_chain" if kind != "industrial_chain" else "innovation_hub"
    clusters.set(0, "kind", other)
    clusters.write()
    assert located(package, "id-prefix") == [(CLUSTERS, line_of(clusters, 0), "cluster_id")]
    expected = f"{clusters.get(0, 'plan_id')}-{other.replace('_', '-')}-"
    assert repr(expected) in message(package, "id-prefix")


@pytest.mark.parametrize("change", ["later", "earlier"])
def test_id_reused_by_two_tables(package: Path, change: str) -> None:
    targets, clusters = table(package, "targets"), table(package, "clusters")
    if change == "later":
        clusters.set(0, "cluster_id", targets.get(0, "target_id"))
        clusters.write()
    else:
        targets.set(0, "target_id", clusters.get(0, "cluster_id"))
        targets.write()
    # targets comes before clusters in the descriptor: the clusters row is reported.
    assert located(package, "id-reused") == [(CLUSTERS, line_of(clusters, 0), "cluster_id")]
    assert f"resources/targets.csv (line {line_of(targets, 0)})" in message(package, "id-reused")


def test_ids_that_differ_only_in_their_last_byte_are_told_apart(package: Path) -> None:
    targets, clusters = table(package, "targets"), table(package, "clusters")
    long_id = targets.get(0, "target_id").ljust(40, "x")  # beyond the 32 bytes hashed at once
    targets.set(0, "target_id", long_id)
    targets.write()
    clusters.set(0, "cluster_id", long_id[:-1] + "y")
    clusters.write()
    assert located(package, "id-reused") == []
    clusters.set(0, "cluster_id", long_id)
    clusters.write()
    assert located(package, "id-reused") == [(CLUSTERS, line_of(clusters, 0), "cluster_id")]


@pytest.mark.parametrize("rows_at_a_time", [4, 1 << 14])
def test_joined_prefix_needs_each_part_and_its_hyphen(
    rows_at_a_time: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context, "ROWS_AT_A_TIME", rows_at_a_time)  # 4: rows cut in two slices
    ids = pd.Series(["p-1-kind-a", "p-1-kind", "p-1kind-a", "p-12-kind-a", "", "p-1-kind-a-b"])
    plans = pd.Series(["p-1", "p-1", "p-1", "p-1", "p-1", "p-1"])
    kinds = pd.Series(["kind", "kind", "kind", "kind", "kind", "kind-a"])
    assert wording.joined_prefix(ids, [plans, kinds]).tolist() == [
        True,
        False,
        False,
        False,
        False,
        True,
    ]
