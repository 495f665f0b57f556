"""Region filters: paths read from the schemas' foreign keys, link tables, subdivisions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from loader_fixtures import make_package

import cnplans
from cnplans.datapackage import paths
from cnplans.datapackage.table_schema import TableSchema
from cnplans.loader.region_filter import RegionError, region_link, resolve_region, rows_in_region

# Shanghai (placeholder ids, not facts): the plan is the municipality's, its clusters are placed
# by cluster_regions in two districts, one of them also in a third.
SHANGHAI_ROWS: dict[str, list[dict[str, str]]] = {
    "regions": [
        {"region_id": "140000", "level": "province", "iso_3166_2": "CN-SX", "parent_id": ""},
        {"region_id": "310000", "level": "municipality", "iso_3166_2": "CN-SH", "parent_id": ""},
        {"region_id": "310113", "level": "district", "parent_id": "310000"},
        {"region_id": "310115", "level": "district", "parent_id": "310000"},
        {"region_id": "310120", "level": "district", "parent_id": "310000"},
    ],
    "plans": [
        {"plan_id": "plan-sh", "region_id": "310000"},
        {"plan_id": "plan-sx", "region_id": "140000"},
    ],
    "clusters": [
        {"cluster_id": "c-east", "plan_id": "plan-sh"},
        {"cluster_id": "c-north", "plan_id": "plan-sh"},
        {"cluster_id": "c-sx", "plan_id": "plan-sx"},
    ],
    "cluster_regions": [
        {"cluster_id": "c-east", "region_id": "310115"},
        {"cluster_id": "c-east", "region_id": "310120"},
        {"cluster_id": "c-north", "region_id": "310113"},
        {"cluster_id": "c-sx", "region_id": "140000"},
    ],
}


@pytest.fixture
def shanghai(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_package(tmp_path / "pkg", SHANGHAI_ROWS)
    monkeypatch.setattr(paths, "bundled_root", lambda: root)
    return root


def _cluster_ids(code: str) -> list[str]:
    return list(rows_in_region("clusters", code, cnplans.load)["cluster_id"])


def test_clusters_are_found_through_cluster_regions_not_their_plan(shanghai: Path) -> None:
    assert _cluster_ids("310113") == ["c-north"]  # the plan is the municipality's
    assert _cluster_ids("310115") == ["c-east"]  # not c-north, in another district
    assert _cluster_ids("310120") == ["c-east"]


def test_a_region_includes_its_subdivisions(shanghai: Path) -> None:
    assert _cluster_ids("310000") == ["c-east", "c-north"]  # each cluster once
    assert _cluster_ids("CN-SH") == ["c-east", "c-north"]
    assert _cluster_ids("CN-SX") == ["c-sx"]
    links = rows_in_region("cluster_regions", "cn-sh", cnplans.load)
    assert sorted(links["region_id"]) == ["310113", "310115", "310120"]
    assert list(rows_in_region("targets", "310113", cnplans.load)["target_id"]) == []


def test_region_links_are_read_from_the_schemas() -> None:
    described = {name: region_link(name) for name in cnplans.tables()}
    assert described["clusters"] is not None
    assert described["clusters"].describe() == (
        "clusters.cluster_id <- cluster_regions.cluster_id -> cluster_regions.region_id"
    )
    assert described["targets"] is not None
    assert described["targets"].describe() == "targets.plan_id -> plans.region_id"
    assert described["plans"] is not None
    assert described["plans"].describe() == "plans.region_id"
    # plans refers to sources and to regions, but it is no link table: sources have no region
    assert described["sources"] is None


def _schema(
    fields: list[str], primary_key: list[str], references: dict[str, tuple[str, str]]
) -> TableSchema:
    return TableSchema.from_descriptor(
        {
            "fields": [{"name": f, "type": "string"} for f in fields],
            "primaryKey": primary_key,
            "foreignKeys": [
                {"fields": [own], "reference": {"resource": table, "fields": [ref]}}
                for own, (table, ref) in references.items()
            ],
        }
    )


SYNTHETIC = {
    "regions": _schema(["region_id"], ["region_id"], {}),
    "sites": _schema(["site_id", "note_id"], ["site_id"], {"note_id": ("notes", "note_id")}),
    "site_regions": _schema(
        ["site_id", "region_id"],
        ["site_id", "region_id"],
        {"site_id": ("sites", "site_id"), "region_id": ("regions", "region_id")},
    ),
    "visits": _schema(["visit_id", "site_id"], ["visit_id"], {"site_id": ("sites", "site_id")}),
    "notes": _schema(["note_id"], ["note_id"], {}),
    "reports": _schema(
        ["report_id", "note_id", "region_id"],
        ["report_id"],
        {"note_id": ("notes", "note_id"), "region_id": ("regions", "region_id")},
    ),
}


def test_link_tables_are_recognised_by_their_primary_key() -> None:
    def link(name: str) -> str | None:
        found = region_link(name, SYNTHETIC.__getitem__, SYNTHETIC)
        return None if found is None else found.describe()

    assert link("sites") == "sites.site_id <- site_regions.site_id -> site_regions.region_id"
    assert link("visits") == (
        "visits.site_id -> sites.site_id <- site_regions.site_id -> site_regions.region_id"
    )
    assert link("reports") == "reports.region_id"
    assert link("notes") is None  # reports refers to notes and regions but is keyed by report_id


def test_rows_through_a_link_and_a_foreign_key() -> None:
    frames = {
        "regions": pd.DataFrame({"region_id": ["100000", "100100", "200000"], "parent_id": None}),
        "sites": pd.DataFrame({"site_id": ["s1", "s2"], "note_id": [None, None]}),
        "site_regions": pd.DataFrame({"site_id": ["s1", "s2"], "region_id": ["100100", "200000"]}),
        "visits": pd.DataFrame({"visit_id": ["v1", "v2", "v3"], "site_id": ["s2", "s1", "s1"]}),
    }
    frames["regions"]["parent_id"] = [None, "100000", None]
    frames["regions"]["iso_3166_2"] = [None, None, None]

    def rows(name: str, code: str) -> list[str]:
        found = rows_in_region(name, code, frames.__getitem__, SYNTHETIC.__getitem__, SYNTHETIC)
        return list(found.iloc[:, 0])

    assert rows("sites", "100000") == ["s1"]
    assert rows("visits", "100000") == ["v2", "v3"]
    assert rows("visits", "200000") == ["v1"]
    with pytest.raises(RegionError, match="table notes has no link to a region"):
        rows("notes", "100000")


def test_resolve_region_takes_both_codes_and_walks_down_only(shanghai: Path) -> None:
    regions = cnplans.load("regions")
    assert resolve_region(regions, "310113") == {"310113"}
    assert resolve_region(regions, " cn-sh ") == {"310000", "310113", "310115", "310120"}
    with pytest.raises(RegionError, match="no region in table regions has code 320000"):
        resolve_region(regions, "320000")
