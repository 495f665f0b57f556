"""The overview of targets and clusters: the views, their schemas, the words, the analyst questions.

Answers are checked against the same facts computed independently from the base tables with
plain pandas, never against the live data's ids or counts. Synthetic tables (``_frames``) are
placeholders for exercising the views, not facts.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cnplans
from cnplans.datapackage.errors import CnplansError
from cnplans.loader import load_all
from cnplans.loader import overviews as ov
from cnplans.loader import schema as table_schema

REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return load_all()


@pytest.fixture(scope="module")
def database(frames: dict[str, pd.DataFrame]) -> Iterator[sqlite3.Connection]:
    """The package's tables in SQLite with the overview views, queried with plain sqlite3."""
    conn = sqlite3.connect(":memory:")
    ov.write_tables(conn, frames)
    ov.create_views(conn)
    yield conn
    conn.close()


def _province_of(regions: pd.DataFrame) -> dict[str, str]:
    """Each region's top ancestor, walking parent_id in Python (independent of the SQL)."""
    parent = dict(zip(regions["region_id"], regions["parent_id"], strict=True))
    top = {}
    for region in parent:
        current = region
        while not pd.isna(parent.get(current)):
            current = str(parent[current])
        top[region] = current
    return top


def _region_by_iso(frames: dict[str, pd.DataFrame], iso: str) -> str:
    regions = frames["regions"]
    return str(regions.loc[regions["iso_3166_2"] == iso, "region_id"].iloc[0])


def _dollars(amount: float, rate: float) -> int:
    return int((Decimal(repr(amount)) / Decimal(repr(rate))).quantize(1, ROUND_HALF_EVEN))


def _frames(
    targets: list[dict[str, Any]],
    plans: list[dict[str, Any]] | None = None,
    clusters: list[dict[str, Any]] | None = None,
    cluster_regions: list[dict[str, Any]] | None = None,
) -> dict[str, pd.DataFrame]:
    """Small typed tables with the real schemas' columns and dtypes; cells not given are <NA>."""
    rows: dict[str, list[dict[str, Any]]] = {
        "sources": [{"source_id": "src-a", "title": "Source A"}],
        "regions": [
            {"region_id": "140000", "name_en": "Province A", "level": "province"},
            {"region_id": "140100", "name_en": "City A", "parent_id": "140000"},
            {"region_id": "140122", "name_en": "County A", "parent_id": "140100"},
        ],
        "plans": plans
        or [
            {"plan_id": "plan-a", "region_id": "140122", "title": "Plan A", "period_end": 2025},
            {"plan_id": "plan-b", "region_id": "140000", "title": "Plan B"},
        ],
        "targets": [
            {"plan_id": "plan-a", "qualifier": "exactly", "strive": False, "source_id": "src-a"}
            | row
            for row in targets
        ],
        "clusters": clusters or [],
        "cluster_regions": cluster_regions or [],
    }
    typed = {}
    for name, table_rows in rows.items():
        fields = table_schema(name).fields
        columns = {
            f.name: pd.Series([r.get(f.name) for r in table_rows], dtype=object) for f in fields
        }
        typed[name] = pd.DataFrame(
            {f.name: columns[f.name].astype(f.pandas_dtype()) for f in fields},
            columns=[f.name for f in fields],
        )
    return typed


def _one(**target: Any) -> pd.Series:
    row = {"target_id": "t-1", "unit": "count"} | target
    return ov.overview("targets", frames=_frames([row])).iloc[0]


# --------------------------------------------------------------------------------------------
# The views and their schemas
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ov.NAMES)
def test_the_view_columns_are_the_schema_fields_in_order(
    name: str, database: sqlite3.Connection
) -> None:
    cursor = database.execute(f"SELECT * FROM overview_{name} LIMIT 0")
    assert [d[0] for d in cursor.description] == ov.schema(name).field_names


@pytest.mark.parametrize("name", ov.NAMES)
def test_every_field_has_a_title_description_and_a_known_type(name: str) -> None:
    for f in ov.schema(name).fields:
        assert f.title and f.description, f.name
        f.pandas_dtype()  # raises for a type the loader does not map


# Overview fields that repeat a base table's field: same type and same enum.
_BASE = {
    "region_level": ("regions", "level"),
    "plan_sector": ("plans", "sector"),
    "plan_period_start": ("plans", "period_start"),
    "plan_period_end": ("plans", "period_end"),
    "cluster_name": ("clusters", "name"),
    "region_basis": ("cluster_regions", "basis"),
    "year": ("targets", "target_year"),
}


@pytest.mark.parametrize("name", ov.NAMES)
def test_fields_taken_from_the_tables_keep_their_type_and_enum(name: str) -> None:
    tables = {"targets": "targets", "clusters": "clusters"}
    for f in ov.schema(name).fields:
        table, base_name = _BASE.get(f.name, (tables[name], f.name))
        try:
            base = table_schema(table).field(base_name)
        except KeyError:
            continue  # computed or joined from another table (stated, usd_max, source_title)
        assert (f.type, f.enum) == (base.type, base.enum), f.name


def test_the_schemas_and_the_sql_ship_as_package_data() -> None:
    files = resources.files("cnplans.loader")
    assert "CREATE VIEW overview_targets" in files.joinpath("overview.sql").read_text("utf-8")
    for name in ov.NAMES:
        text = files.joinpath("overview_schemas", f"{name}.json").read_text("utf-8")
        assert json.loads(text)["fields"]


@pytest.mark.parametrize("name", ov.NAMES)
def test_the_frame_has_the_schema_dtypes(name: str) -> None:
    frame = ov.overview(name)
    for f in ov.schema(name).fields:
        expected = f.pandas_dtype()
        if isinstance(expected, pd.CategoricalDtype):
            assert list(frame[f.name].cat.categories) == f.enum, f.name
        else:
            assert frame[f.name].dtype == expected, f.name


def test_the_views_run_on_the_release_database(tmp_path: Path) -> None:
    from cnplans.loader import read_descriptor
    from scripts.release.artifacts import sqlite, tables

    typed_tables = tables.read_all(REPO, read_descriptor(REPO))
    path = sqlite.build(typed_tables, tmp_path / "cnplans.sqlite")
    conn = sqlite3.connect(path)
    try:
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'overview_targets'"
        ).fetchone():
            ov.create_views(conn)  # a release builder that does not add the views itself
        for name in ov.NAMES:
            cursor = conn.execute(f"SELECT * FROM overview_{name}")
            columns = [d[0] for d in cursor.description]
            from_release = ov.typed_frame(cursor.fetchall(), columns, ov.schema(name))
            pd.testing.assert_frame_equal(from_release, ov.overview(name))
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------
# The three analyst questions, from the overview alone and from the views with sqlite3
# --------------------------------------------------------------------------------------------


def test_shanghais_targets_with_dollar_amounts(
    frames: dict[str, pd.DataFrame], database: sqlite3.Connection
) -> None:
    shanghai = _region_by_iso(frames, "CN-SH")
    province = _province_of(frames["regions"])
    plans = frames["plans"]
    in_shanghai = plans.loc[plans["region_id"].map(province) == shanghai, "plan_id"]
    targets = frames["targets"][frames["targets"]["plan_id"].isin(in_shanghai)]
    expected = {}
    for row in targets.itertuples():
        usd_max = None
        if not pd.isna(row.value_max) and row.unit == "USD":
            usd_max = float(row.value_max)
        elif not pd.isna(row.value_max) and not pd.isna(row.fx_units_per_usd):
            usd_max = float(_dollars(row.value_max, row.fx_units_per_usd))
        usd = None if pd.isna(row.usd) else float(row.usd)
        expected[row.target_id] = (usd, usd_max)

    view = cnplans.overview("targets")
    answer = view[view["province_id"] == shanghai]
    assert answer["stated"].notna().all()
    found = {
        r.target_id: (
            None if pd.isna(r.usd) else float(r.usd),
            None if pd.isna(r.usd_max) else float(r.usd_max),
        )
        for r in answer.itertuples()
    }
    assert found == expected

    rows = database.execute(
        "SELECT target_id, stated, usd, usd_max FROM overview_targets WHERE province_id = ?",
        (shanghai,),
    ).fetchall()
    assert {t: (u, m) for t, _, u, m in rows} == expected
    assert [s for _, s, _, _ in rows] == answer["stated"].tolist()


def test_clusters_in_baoshan(frames: dict[str, pd.DataFrame], database: sqlite3.Connection) -> None:
    regions = frames["regions"]
    baoshan = str(regions.loc[regions["name_en"] == "Baoshan", "region_id"].iloc[0])
    links = frames["cluster_regions"]
    expected = set(links.loc[links["region_id"] == baoshan, "cluster_id"])
    assert expected, "the package places no cluster in Baoshan; the question needs one"

    view = cnplans.overview("clusters")
    answer = view[view["region_id"] == baoshan]
    assert set(answer["cluster_id"]) == expected
    assert (answer["region_name_zh"] == "宝山区").all()
    names = frames["clusters"].set_index("cluster_id")["name"]
    assert (answer["cluster_name"] == answer["cluster_id"].map(names)).all()

    rows = database.execute(
        "SELECT cluster_id FROM overview_clusters WHERE region_id = ?", (baoshan,)
    ).fetchall()
    assert {c for (c,) in rows} == expected


def test_each_shanxi_plans_revenue_target(
    frames: dict[str, pd.DataFrame], database: sqlite3.Connection
) -> None:
    shanxi = _region_by_iso(frames, "CN-SX")
    province = _province_of(frames["regions"])
    plans = frames["plans"].set_index("plan_id")
    targets = frames["targets"]
    revenue = targets[
        (targets["indicator"] == "revenue")
        & (targets["target_type"] == "goal")  # a threshold bounds members, it is no target
        & (targets["plan_id"].map(plans["region_id"]).map(province) == shanxi)
    ]
    expected = {(r.plan_id, plans.loc[r.plan_id, "title"], r.value) for r in revenue.itertuples()}
    assert expected, "the package has no Shanxi revenue target; the question needs one"

    view = cnplans.overview("targets")
    answer = view[
        (view["province_id"] == shanxi)
        & (view["indicator"] == "revenue")
        & (view["target_type"] == "goal")
    ]
    found = zip(answer["plan_id"], answer["plan_title"], answer["value"], strict=True)
    assert set(found) == expected
    assert answer["stated"].str.endswith("yuan").all()

    rows = database.execute(
        "SELECT plan_id, plan_title, value FROM overview_targets "
        "WHERE province_id = ? AND indicator = 'revenue' AND target_type = 'goal'",
        (shanxi,),
    ).fetchall()
    assert set(rows) == expected


# --------------------------------------------------------------------------------------------
# The stated value as words
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "value_max", "qualifier", "unit", "words"),
    [
        (50, None, "more_than", "count", "more than 50"),
        (3, 4, "range", "count", "3 to 4"),
        (15, None, "about", "percent", "about 15 percent"),
        (150e9, None, "exactly", "CNY", "150 billion yuan"),
        (84.8e9, None, "exactly", "CNY", "84.8 billion yuan"),
        (1.23456e9, None, "exactly", "CNY", "1.235 billion yuan"),
        (2.5e12, None, "at_least", "CNY", "at least 2.5 trillion yuan"),
        (20e6, None, "up_to", "USD", "up to 20 million US dollars"),
        (500e6, 2e9, "range", "CNY", "0.5 to 2 billion yuan"),
        (123456.4, None, "exactly", "CNY", "123,456 yuan"),
        (1234, None, "exactly", "count", "1,234"),
        (6.5, 7, "range", "percent", "6.5 to 7 percent"),
        (0, None, "exactly", "count", "0"),
    ],
)
def test_stated_words(
    value: float, value_max: float | None, qualifier: str, unit: str, words: str
) -> None:
    row = _one(value=value, value_max=value_max, qualifier=qualifier, unit=unit)
    assert row["stated"] == words


def test_strive_is_its_own_column_not_words() -> None:
    row = _one(value=50, qualifier="more_than", strive=True)
    assert (row["stated"], row["strive"]) == ("more than 50", True)


def test_a_range_without_its_upper_value_is_not_stated() -> None:
    assert pd.isna(_one(value=3, qualifier="range")["stated"])


# --------------------------------------------------------------------------------------------
# Year, dollars, regions
# --------------------------------------------------------------------------------------------


def test_the_year_and_its_basis() -> None:
    targets = [
        {"target_id": "t-quote", "unit": "count", "value": 1, "target_year": 2023,
         "target_year_basis": "quote"},
        {"target_id": "t-plan-end", "unit": "count", "value": 1},
        {"target_id": "t-none", "plan_id": "plan-b", "unit": "count", "value": 1},
    ]  # fmt: skip
    frame = ov.overview("targets", frames=_frames(targets)).set_index("target_id")
    assert (frame.loc["t-quote", "year"], frame.loc["t-quote", "year_basis"]) == (2023, "quote")
    assert frame.loc["t-plan-end", "year"] == 2025
    assert frame.loc["t-plan-end", "year_basis"] == "plan_period_end"
    assert pd.isna(frame.loc["t-none", "year"]) and pd.isna(frame.loc["t-none", "year_basis"])


def test_year_basis_is_plan_period_end_exactly_where_the_target_has_no_year(
    frames: dict[str, pd.DataFrame],
) -> None:
    view = cnplans.overview("targets").set_index("target_id")
    targets = frames["targets"].set_index("target_id").loc[view.index]
    period_end = targets["plan_id"].map(frames["plans"].set_index("plan_id")["period_end"])
    from_plan = (view["year_basis"] == "plan_period_end").fillna(False)
    assert from_plan.equals(targets["target_year"].isna() & period_end.notna())
    assert view["year"].equals(targets["target_year"].fillna(period_end).rename("year"))


def test_usd_max_converts_the_upper_value_half_to_even() -> None:
    targets = [
        {"target_id": "t-cny", "unit": "CNY", "value": 1e9, "value_max": 3e9,
         "qualifier": "range", "fx_units_per_usd": 6.729, "usd": 148610492},
        {"target_id": "t-even", "unit": "CNY", "value": 1, "value_max": 5, "qualifier": "range",
         "fx_units_per_usd": 2},
        {"target_id": "t-odd", "unit": "CNY", "value": 1, "value_max": 7, "qualifier": "range",
         "fx_units_per_usd": 2},
        {"target_id": "t-usd", "unit": "USD", "value": 1e6, "value_max": 2e6,
         "qualifier": "range", "fx_units_per_usd": 1},
        {"target_id": "t-no-rate", "unit": "CNY", "value": 1e9, "value_max": 2e9,
         "qualifier": "range"},
        {"target_id": "t-count", "unit": "count", "value": 3, "value_max": 4,
         "qualifier": "range"},
        {"target_id": "t-percent", "unit": "percent", "value": 3, "value_max": 4,
         "qualifier": "range"},
    ]  # fmt: skip
    frame = ov.overview("targets", frames=_frames(targets)).set_index("target_id")
    assert frame.loc["t-cny", "usd_max"] == _dollars(3e9, 6.729)
    assert frame.loc["t-cny", "usd"] == 148610492  # copied, never recomputed
    assert frame.loc["t-even", "usd_max"] == 2
    assert frame.loc["t-odd", "usd_max"] == 4
    assert frame.loc["t-usd", "usd_max"] == 2e6
    for target_id in ("t-no-rate", "t-count", "t-percent"):
        assert pd.isna(frame.loc[target_id, "usd_max"]), target_id


def test_usd_max_is_empty_for_units_that_are_not_money() -> None:
    view = cnplans.overview("targets")
    assert view.loc[view["unit"].isin(["percent", "count"]), "usd_max"].isna().all()


def test_region_and_province_columns() -> None:
    frame = ov.overview("targets", frames=_frames([{"target_id": "t", "value": 1}]))
    row = frame.iloc[0]
    assert (row["region_id"], row["region_name_en"]) == ("140122", "County A")
    assert (row["province_id"], row["province_name_en"]) == ("140000", "Province A")
    assert row["plan_title"] == "Plan A" and row["source_title"] == "Source A"


def test_a_cluster_in_two_regions_has_two_rows_and_one_in_none_has_empty_regions() -> None:
    clusters = [
        {"cluster_id": "c-two", "plan_id": "plan-a", "name": "Two", "source_id": "src-a"},
        {"cluster_id": "c-none", "plan_id": "plan-a", "name": "None", "source_id": "src-a"},
    ]
    links = [
        {"cluster_id": "c-two", "region_id": "140100", "basis": "quote", "source_id": "src-a"},
        {"cluster_id": "c-two", "region_id": "140122", "basis": "name", "source_id": "src-a"},
    ]
    frames = _frames([], clusters=clusters, cluster_regions=links)
    frame = ov.overview("clusters", frames=frames)
    two = frame[frame["cluster_id"] == "c-two"]
    assert two["region_id"].tolist() == ["140100", "140122"]
    assert two["region_basis"].tolist() == ["quote", "name"]
    assert (two["province_id"] == "140000").all()
    none = frame[frame["cluster_id"] == "c-none"]
    assert len(none) == 1
    region_columns = [c for c in frame.columns if c.startswith(("region_", "province_"))]
    assert none[region_columns].isna().all(axis=None)
    assert none["plan_title"].tolist() == ["Plan A"]


def test_no_targets_gives_an_empty_typed_frame() -> None:
    frame = ov.overview("targets", frames=_frames([]))
    assert frame.empty and list(frame.columns) == ov.schema("targets").field_names
    assert str(frame["year"].dtype) == "Int64"


# --------------------------------------------------------------------------------------------
# Bad input and the top-level API
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [lambda: ov.overview("nope"), lambda: ov.schema("nope")])
def test_an_unknown_overview_is_a_clear_error(call: Any) -> None:
    with pytest.raises(CnplansError) as caught:
        call()
    assert caught.value.exit_code == 2
    assert str(caught.value) == "no overview named 'nope'; the overviews are: targets, clusters"


def test_frames_without_a_needed_table_is_a_clear_error() -> None:
    frames = _frames([])
    del frames["regions"]
    with pytest.raises(CnplansError, match="frames lacks regions"):
        ov.overview("targets", frames=frames)


def test_cnplans_overview_is_the_function_of_the_overviews_module() -> None:
    import cnplans.loader.overviews

    assert cnplans.overview is cnplans.loader.overviews.overview is ov.overview
    pd.testing.assert_frame_equal(cnplans.overview("clusters"), ov.overview("clusters"))


def test_dir_shows_only_the_api() -> None:
    assert dir(cnplans) == sorted(cnplans.__all__)
    for name in cnplans.__all__:
        assert getattr(cnplans, name) is not None
