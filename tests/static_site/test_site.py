"""The static download site (``scripts/site``), checked without a browser: pages, links,
downloads, chart, escaping, builder.

Expectations come from the package's files read with the standard library (csv, json,
hashlib), so they check the site builder rather than repeat it.
"""

from __future__ import annotations

import doctest
import html
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from site_support import (
    REPO,
    copy_package,
    download_rows,
    elements,
    fake_release,
    header_texts,
    headings,
    read_csv,
    sha256,
    table_texts,
    write_csv,
)

from scripts.release.artifacts.sqlite import database_name
from scripts.site import chart as chart_module
from scripts.site import downloads, pages
from scripts.site.build import build_site
from scripts.site.check import check_site
from scripts.site.cli import main
from scripts.site.package import SiteError

SVG = "{http://www.w3.org/2000/svg}"


def descriptor(root: Path = REPO) -> dict:
    return json.loads((root / "datapackage.json").read_text(encoding="utf-8"))


def schema(resource: dict, root: Path = REPO) -> dict:
    return json.loads((root / resource["schema"]).read_text(encoding="utf-8"))


def anchor(table: str, values: list[str]) -> str:
    """The row anchor the site promises: ``plan-<plan_id>`` on the plans page."""
    return (table[:-1] if table.endswith("s") else table) + "-" + "--".join(values)


def money_rows() -> list[dict[str, str]]:
    return [r for r in read_csv(REPO / "resources/targets.csv") if r["unit"] in ("CNY", "USD")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the real package, built once without release files."""
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(REPO, out, dist=None)
    return out


# ---------------------------------------------------------------- the built site


def test_the_built_site_has_no_broken_link_and_every_table_has_headers(site: Path) -> None:
    assert check_site(site) == []


def test_every_table_plan_and_home_page_is_written(site: Path) -> None:
    assert (site / "index.html").is_file()
    for resource in descriptor()["resources"]:
        assert (site / "tables" / f"{resource['name']}.html").is_file()
    for plan in read_csv(REPO / "resources/plans.csv"):
        assert (site / "plans" / f"{plan['plan_id']}.html").is_file()


def test_the_site_loads_nothing_from_the_network(site: Path) -> None:
    for page in site.rglob("*.html"):
        found = elements(page)
        loaded = [a.get("src", "") for a in found.all("script") + found.all("img")]
        loaded += [a.get("href", "") for a in found.all("link")]
        assert loaded, f"{page} loads no stylesheet or script at all"
        assert all(not urlsplit(url).scheme and not url.startswith("//") for url in loaded), page


def test_home_page_offers_every_csv_with_its_size_and_sha256(site: Path) -> None:
    rows = {row.href: row for row in download_rows(site / "index.html")}
    for resource in descriptor()["resources"]:
        original = REPO / resource["path"]
        row = rows[f"data/{resource['path']}"]
        assert row.sha256 == sha256(original)
        assert row.size_bytes == original.stat().st_size
        assert (site / row.href).read_bytes() == original.read_bytes()
    assert all(row.href.startswith("data/") for row in rows.values()), "no release was given"


def test_home_page_states_version_description_license_and_how_to_cite(site: Path) -> None:
    meta = descriptor()
    text = (site / "index.html").read_text(encoding="utf-8")
    assert meta["description"] in html.unescape(text)
    assert f"version {meta['version']}" in text
    for item in meta["licenses"]:
        assert f'href="{item["path"]}"' in text
    assert 'id="cite"' in text
    if (REPO / "CITATION.cff").is_file():
        assert (site / "CITATION.cff").read_bytes() == (REPO / "CITATION.cff").read_bytes()
    else:
        assert f"{meta['title']}, version {meta['version']}." in html.unescape(text)


def test_summary_counts_plans_per_region_and_targets_per_indicator(site: Path) -> None:
    plans = read_csv(REPO / "resources/plans.csv")
    regions = {r["region_id"]: r["name_en"] for r in read_csv(REPO / "resources/regions.csv")}
    shown = {
        cells[0]: int(cells[1]) for cells in table_texts(site / "index.html", "Plans per region")
    }
    expected = Counter(f"{regions[p['region_id']]} ({p['region_id']})" for p in plans)
    assert shown == dict(expected)

    targets = read_csv(REPO / "resources/targets.csv")
    shown = {c[0]: int(c[1]) for c in table_texts(site / "index.html", "Targets per indicator")}
    assert shown == dict(Counter(t["indicator"] for t in targets))


def test_table_pages_hold_every_row_under_its_anchor_without_needing_javascript(
    site: Path,
) -> None:
    for resource in descriptor()["resources"]:
        page = site / "tables" / f"{resource['name']}.html"
        rows = read_csv(REPO / resource["path"])
        key = schema(resource)["primaryKey"]
        found = elements(page)
        ids = {a["id"] for _, a in found.tags if "id" in a}
        for row in rows:
            assert anchor(resource["name"], [row[k] for k in key]) in ids
        body = table_texts(page, f"{resource['title']}: {len(rows):,} rows")
        assert len(body) == len(rows)
        assert not any("hidden" in attrs for _, attrs in found.tags), "a row starts hidden"


def test_foreign_keys_link_to_the_row_they_point_to(site: Path) -> None:
    checked = 0
    for resource in descriptor()["resources"]:
        page = site / "tables" / f"{resource['name']}.html"
        links = set()
        for attrs in elements(page).all("a"):
            parts = urlsplit(attrs.get("href", ""))
            if parts.scheme:
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            links.add((target.resolve(), unquote(parts.fragment)))
        for fk in schema(resource).get("foreignKeys", []):
            if len(fk["fields"]) != 1:
                continue
            referenced = next(
                r for r in descriptor()["resources"] if r["name"] == fk["reference"]["resource"]
            )
            if schema(referenced)["primaryKey"] != fk["reference"]["fields"]:
                continue
            target_page = (site / "tables" / f"{referenced['name']}.html").resolve()
            for row in read_csv(REPO / resource["path"]):
                value = row[fk["fields"][0]]
                if value:
                    assert (target_page, anchor(referenced["name"], [value])) in links
                    checked += 1
    assert checked > 0


def test_data_dictionary_is_generated_from_the_schema(site: Path) -> None:
    for resource in descriptor()["resources"]:
        page = site / "tables" / f"{resource['name']}.html"
        rows = table_texts(page, f"Data dictionary of {resource['name']}")
        fields = schema(resource)["fields"]
        assert [r[0] for r in rows] == [f["name"] for f in fields]
        for cells, field in zip(rows, fields, strict=True):
            _name, title, kind, _unit, constraints, description = cells
            assert title == field.get("title", "")
            assert kind.startswith(field.get("type", "string"))
            assert description == " ".join(field.get("description", "").replace("`", "").split())
            for value in field.get("constraints", {}).get("enum", []):
                assert value in constraints
            if field.get("constraints", {}).get("required"):
                assert "required" in constraints


def test_money_units_are_named_in_the_dictionary(site: Path) -> None:
    rows = table_texts(site / "tables/projects.html", "Data dictionary of projects")
    units = {cells[0]: cells[3] for cells in rows}
    assert units["investment_cny"] == "CNY (yuan)"


def test_each_quote_links_to_its_archived_source_text(site: Path) -> None:
    sources = {s["source_id"]: s for s in read_csv(REPO / "resources/sources.csv")}
    page = site / "tables/targets.html"
    archive_links = [a["href"] for a in elements(page).all("a") if a.get("class") == "archive"]
    targets = read_csv(REPO / "resources/targets.csv")
    assert len(archive_links) == len(targets)
    expected = Counter(f"../data/{sources[t['source_id']]['path']}" for t in targets)
    assert Counter(archive_links) == expected
    for href in set(archive_links):
        copied = (page.parent / href).resolve()
        assert copied.read_bytes() == (REPO / href.removeprefix("../data/")).read_bytes()


def test_plan_pages_gather_their_targets_clusters_projects_and_measures(site: Path) -> None:
    children = {
        "Targets": read_csv(REPO / "resources/targets.csv"),
        "Clusters": read_csv(REPO / "resources/clusters.csv"),
        "Projects": read_csv(REPO / "resources/projects.csv"),
        "Measures": read_csv(REPO / "resources/measures.csv"),
    }
    for plan in read_csv(REPO / "resources/plans.csv"):
        page = site / "plans" / f"{plan['plan_id']}.html"
        shown = headings(page)
        for title, rows in children.items():
            count = sum(1 for row in rows if row["plan_id"] == plan["plan_id"])
            assert f"{title} ({count})" in shown
            if count:
                body = table_texts(page, f"{title} of {plan['plan_id']}")
                assert len(body) == count


def test_chart_is_an_accessible_svg_of_every_money_target(site: Path) -> None:
    money = money_rows()
    tree = ET.parse(site / "money-targets.svg")
    svg = tree.getroot()
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    labelled_by = svg.get("aria-labelledby", "").split()
    by_id = {e.get("id"): e for e in svg.iter() if e.get("id")}
    assert [by_id[i].tag for i in labelled_by] == [f"{SVG}title", f"{SVG}desc"]
    description = by_id[labelled_by[1]].text or ""
    yuan_bars = [r for r in svg.iter(f"{SVG}rect") if r.get("fill") == chart_module.YUAN_COLOUR]
    stated_in_yuan = [r for r in money if r["unit"] == "CNY"]
    # one bar per yuan amount (ranges add a paler upper part), plus the legend's swatch
    ranges = sum(1 for r in stated_in_yuan if r["value_max"])
    assert len(yuan_bars) == len(stated_in_yuan) + ranges + 1
    dollar_bars = [r for r in svg.iter(f"{SVG}rect") if r.get("fill") == chart_module.DOLLAR_COLOUR]
    assert len(dollar_bars) == sum(1 for r in money if r["usd"] or r["unit"] == "USD") + 1
    assert description.count(";") >= len(money)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<svg viewBox="' in index and 'role="img"' in index


def province_of(region_id: str, regions: dict[str, dict[str, str]]) -> str:
    """The top of a region's chain of parent_id, read from regions.csv."""
    while regions[region_id]["parent_id"]:
        region_id = regions[region_id]["parent_id"]
    return region_id


def test_home_page_leads_with_the_overview_then_the_chart_then_the_downloads(site: Path) -> None:
    shown = headings(site / "index.html")
    assert shown[:3] == ["Targets at a glance", "Money targets", "Downloads"]


def test_overview_has_every_target_with_its_region_plan_and_quote(site: Path) -> None:
    targets = read_csv(REPO / "resources/targets.csv")
    plans = {p["plan_id"]: p for p in read_csv(REPO / "resources/plans.csv")}
    regions = {r["region_id"]: r for r in read_csv(REPO / "resources/regions.csv")}
    page = site / "index.html"
    rows = table_texts(page, f"Targets at a glance: {len(targets):,} targets")
    ids = [a["id"] for a in elements(page).all("tr") if a.get("id", "").startswith("overview-")]
    assert sorted(ids) == sorted(f"overview-{t['target_id']}" for t in targets)
    for target_id, cells in zip(ids, rows, strict=True):
        target = next(t for t in targets if f"overview-{t['target_id']}" == target_id)
        plan = plans[target["plan_id"]]
        region = regions[plan["region_id"]]
        assert cells[0] == f"{region['name_en']} {region['name_zh']}"
        assert cells[1] == plan["title"]
        assert cells[2] == target["indicator"] and cells[5] == target["unit"]
        assert cells[6].startswith(target["target_year"] or plan["period_end"])
        assert target["quote"] in cells[-1]


def test_overview_rows_carry_what_each_filter_matches(site: Path) -> None:
    targets = {t["target_id"]: t for t in read_csv(REPO / "resources/targets.csv")}
    plans = {p["plan_id"]: p for p in read_csv(REPO / "resources/plans.csv")}
    regions = {r["region_id"]: r for r in read_csv(REPO / "resources/regions.csv")}
    found = elements(site / "index.html")
    offered: dict[str, set[str]] = {}
    facet = ""
    for tag, attrs in found.tags:
        if tag == "select":
            facet = attrs["data-facet"]
            offered[facet] = set()
        elif tag == "option" and attrs.get("value"):
            offered[facet].add(attrs["value"])
    facets = next(a for a in found.all("div") if "facets" in a.get("class", "").split())
    assert "hidden" in facets, "without JavaScript the choices would do nothing: hide them"
    for attrs in found.all("tr"):
        if not attrs.get("id", "").startswith("overview-"):
            continue
        target = targets[attrs["id"].removeprefix("overview-")]
        region_id = plans[target["plan_id"]]["region_id"]
        places = {region_id, province_of(region_id, regions)}
        assert set(attrs["data-region"].split()) == places
        assert attrs["data-plan"] == target["plan_id"]
        assert attrs["data-indicator"] == target["indicator"]
        assert attrs["data-unit"] == target["unit"]
        values = {"region": places, "plan": {attrs["data-plan"]}, "unit": {target["unit"]}}
        for key, wanted in values.items():
            assert wanted <= offered[key], (key, wanted)


def test_table_pages_show_their_rows_before_the_data_dictionary(site: Path) -> None:
    for resource in descriptor()["resources"]:
        page = site / "tables" / f"{resource['name']}.html"
        assert headings(page) == ["Rows", "Data dictionary"]


def test_table_columns_put_content_first_then_ids_then_long_text(site: Path) -> None:
    for resource in descriptor()["resources"]:
        table_schema = schema(resource)
        names = [f["name"] for f in table_schema["fields"]]
        key = table_schema["primaryKey"]
        links = {n for fk in table_schema.get("foreignKeys", []) for n in fk["fields"]} - set(key)
        long_text = [n for n in ("quote", "notes") if n in names]
        content = [n for n in names if n not in key and n not in links and n not in long_text]
        page = site / "tables" / f"{resource['name']}.html"
        rows = read_csv(REPO / resource["path"])
        shown = header_texts(page, f"{resource['title']}: {len(rows):,} rows")
        assert shown == key + content + [n for n in names if n in links] + long_text


# ---------------------------------------------------------------- the chart on its own


def _target(**values: str) -> dict[str, str]:
    row = {
        "target_id": "t",
        "plan_id": "p",
        "indicator": "revenue",
        "target_year": "2025",
        "qualifier": "exactly",
        "unit": "CNY",
        "value": "1",
        "value_max": "",
        "usd": "",
        "fx_units_per_usd": "",
        "reported_usd": "",
    }
    row.update(values)
    return row


def test_chart_converts_nothing_itself_and_labels_units() -> None:
    rows = [
        _target(target_id="a", value="230000000000", qualifier="more_than", usd="32000000000"),
        _target(target_id="b", value="150000000000", reported_usd="21430000000"),
        _target(target_id="c", unit="percent", value="15"),
        _target(target_id="d", plan_id="q", value="24800000000", target_year=""),
    ]
    targets = chart_module.money_targets(rows, {"p": "Plan P", "q": "Plan Q"})
    assert [t.target_id for t in targets] == ["a", "b", "d"]  # percent is not money
    assert chart_module.amount_text(targets[0], "CNY") == "more than 230 billion yuan"
    assert chart_module.amount_text(targets[0], "USD") == "more than 32 billion US dollars"
    assert chart_module.amount_text(targets[1], "USD") == ""  # no usd: not converted here
    svg = chart_module.render_svg(targets, standalone=True)
    assert svg is not None
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "not converted" in texts
    assert "21.43 as printed" in texts
    assert "Stated amount, billion yuan" in texts
    assert "Converted to dollars, billion US dollars" in texts
    assert "year not stated · revenue" in texts


def test_chart_of_no_money_target_is_none() -> None:
    assert chart_module.render_svg([]) is None


def test_chart_text_is_escaped() -> None:
    rows = [_target(indicator="<b>&", value="5000000000")]
    svg = chart_module.render_svg(chart_module.money_targets(rows, {"p": "<script>"}))
    assert svg is not None and "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


@pytest.mark.parametrize(
    ("largest", "word", "ticks"),
    [
        (230e9, "billion", [0, 50, 100, 150, 200, 250]),
        (33.07e9, "billion", [0, 10, 20, 30, 40]),
        (84.8e6, "million", [0, 20, 40, 60, 80, 100]),
        (0.0, "", [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    ],
)
def test_chart_axis_ticks_are_round_and_cover_the_largest(
    largest: float, word: str, ticks: list[float]
) -> None:
    scale = chart_module.scale_for(largest)
    assert scale.word == word
    assert scale.ticks == ticks
    assert scale.maximum * scale.divisor >= largest


# ---------------------------------------------------------------- release files


def test_release_files_are_offered_with_the_checksums_of_sha256sums(tmp_path: Path) -> None:
    package = copy_package(tmp_path / "pkg")
    version = descriptor(package)["version"]
    release = fake_release(package, tmp_path / "dist", version)
    report = build_site(package, tmp_path / "out" / "site", tmp_path / "dist")
    assert report.has_release and report.warnings == []
    rows = {row.href: row for row in download_rows(report.out / "index.html")}
    sums = dict(
        reversed(line.split("  ", 1)) for line in (release / "SHA256SUMS").read_text().splitlines()
    )
    for path in release.iterdir():
        row = rows[f"downloads/{path.name}"]
        assert row.size_bytes == path.stat().st_size
        assert row.sha256 == sha256(path)
        if path.name != "SHA256SUMS":
            assert row.sha256 == sums[path.name]
        assert (report.out / row.href).read_bytes() == path.read_bytes()
    labels = {row.href.rsplit("/", 1)[-1]: row.label for row in rows.values()}
    assert labels[f"cnplans-{version}.zip"] == "Data package (zip)"
    assert labels[f"cnplans-{version}-targets.parquet"] == "Parquet table: targets"
    assert labels[database_name(version)] == "SQLite database"
    assert labels["overview-targets.csv"].startswith("Overview CSV: targets")  # not a table
    order = [row.href for row in download_rows(report.out / "index.html")]
    assert order[0].endswith(".zip") and order[-1].endswith("SHA256SUMS")


def test_without_sha256sums_only_files_of_this_version_are_offered(tmp_path: Path) -> None:
    package = copy_package(tmp_path / "pkg")
    version = descriptor(package)["version"]
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / f"cnplans-{version}.xlsx").write_bytes(b"workbook")
    (dist / "cnplans-0.0.1.xlsx").write_bytes(b"an older workbook")
    (dist / f"notes-{version}.txt").write_text("not a release format")
    # files the release names without the version as written, in this version's folder only
    for folder in (dist / f"cnplans-{version}", dist / "cnplans-0.0.1"):
        folder.mkdir()
        (folder / "overview-targets.csv").write_text('"target_id"\n')
    (dist / f"cnplans-{version}" / database_name(version)).write_bytes(b"database")
    report = build_site(package, dist / "site", dist)
    hrefs = [row.href for row in download_rows(report.out / "index.html")]
    assert f"downloads/cnplans-{version}.xlsx" in hrefs
    assert f"downloads/cnplans-{version}/{database_name(version)}" in hrefs
    assert f"downloads/cnplans-{version}/overview-targets.csv" in hrefs
    assert not any("0.0.1" in h or h.endswith(".txt") for h in hrefs)


def test_a_release_file_that_changed_after_its_checksum_is_refused(tmp_path: Path) -> None:
    package = copy_package(tmp_path / "pkg")
    version = descriptor(package)["version"]
    release = fake_release(package, tmp_path / "dist", version)
    out = tmp_path / "out" / "site"
    build_site(package, out, tmp_path / "dist")
    before = (out / "index.html").read_bytes()
    (release / database_name(version)).write_bytes(b"tampered")
    with pytest.raises(SiteError) as caught:
        build_site(package, out, tmp_path / "dist")
    message = str(caught.value)
    assert database_name(version) in message and "rebuild the release" in message
    assert (out / "index.html").read_bytes() == before  # the previous site is untouched
    assert [p.name for p in out.parent.iterdir()] == ["site"]  # no half-built folder left


def test_a_release_zip_built_from_other_data_is_reported(tmp_path: Path) -> None:
    package = copy_package(tmp_path / "pkg")
    version = descriptor(package)["version"]
    fake_release(package, tmp_path / "dist", version)
    rows = read_csv(package / "resources/plans.csv")
    rows[0]["notes"] = rows[0]["notes"] + " Edited after the release."
    write_csv(package / "resources/plans.csv", rows)
    report = build_site(package, tmp_path / "out" / "site", tmp_path / "dist")
    assert any("resources/plans.csv" in w and "rebuild" in w for w in report.warnings)


# ---------------------------------------------------------------- the builder


def test_building_replaces_the_previous_site_whole(tmp_path: Path) -> None:
    out = tmp_path / "dist" / "site"
    out.mkdir(parents=True)
    (out / "stale.html").write_text("<p>from an older build</p>")
    report = build_site(REPO, out, dist=None)
    assert not (out / "stale.html").exists()
    assert (out / "index.html").is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]
    assert report.pages == len(list(out.rglob("*.html")))


MARKUP = "<script>alert(\"x\")</script> & <b>bold</b> 'q'"


def assert_shown_as_text(page: Path, value: str) -> None:
    """``value`` is on ``page`` as text: no element of it was parsed, and it reads back whole."""
    found = elements(page)
    assert [a["src"].rsplit("/", 1)[-1] for a in found.all("script")] == ["site.js"], page
    assert found.all("b") == [], page
    text = page.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<b>bold" not in text, page
    assert "&amp; &lt;b&gt;bold&lt;/b&gt;" in text, page
    assert value in html.unescape(text), page


def test_values_from_the_data_are_escaped(tmp_path: Path) -> None:
    package = copy_package(tmp_path / "pkg")
    rows = read_csv(package / "resources/targets.csv")
    rows[0]["notes"] = MARKUP
    write_csv(package / "resources/targets.csv", rows)
    report = build_site(package, tmp_path / "site", dist=None)
    page = report.out / "tables/targets.html"
    assert_shown_as_text(page, MARKUP)
    cells = [cell for row in table_texts(page, f"Targets: {len(rows):,} rows") for cell in row]
    assert MARKUP in cells


def test_html_in_quotes_titles_and_the_descriptor_is_shown_as_text(tmp_path: Path) -> None:
    package = copy_package(tmp_path / "pkg")
    targets = read_csv(package / "resources/targets.csv")
    target = targets[0]
    target["quote"] = f"{MARKUP} {target['quote']}"
    write_csv(package / "resources/targets.csv", targets)
    plans = read_csv(package / "resources/plans.csv")
    plan = next(p for p in plans if p["plan_id"] == target["plan_id"])
    plan["title"] = MARKUP
    write_csv(package / "resources/plans.csv", plans)
    sources = read_csv(package / "resources/sources.csv")
    source = next(s for s in sources if s["source_id"] == target["source_id"])
    source["title"] = MARKUP
    write_csv(package / "resources/sources.csv", sources)
    meta = descriptor(package)
    meta["description"] = MARKUP
    (package / "datapackage.json").write_text(json.dumps(meta), encoding="utf-8")

    report = build_site(package, tmp_path / "site", dist=None)
    targets_page = report.out / "tables/targets.html"
    plan_page = report.out / "plans" / f"{plan['plan_id']}.html"
    for page in (targets_page, plan_page, report.out / "index.html"):
        assert_shown_as_text(page, MARKUP)
    # the quote reads back whole in its cell, and attribute values keep their quotes
    assert any(
        MARKUP in cell
        for row in table_texts(targets_page, f"Targets: {len(targets):,} rows")
        for cell in row
    )
    titles = [a.get("title", "") for a in elements(targets_page).all("a")]
    assert f"The archived source: {MARKUP}" in titles
    assert f"Plans: {MARKUP}" in titles
    home = elements(report.out / "index.html")
    assert [a["content"] for a in home.all("meta") if a.get("name") == "description"] == [MARKUP]
    assert check_site(report.out) == []


def test_bad_input_gets_a_sentence_naming_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = copy_package(tmp_path / "pkg")
    plans = package / "resources/plans.csv"
    lines = plans.read_text(encoding="utf-8").split("\n")
    lines[0] = lines[0].replace("region_id", "region")
    plans.write_text("\n".join(lines), encoding="utf-8")
    code = main(["--root", str(package), "--out", str(tmp_path / "site"), "--no-release"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{plans}, line 1" in err and "missing region_id" in err and "region" in err
    assert "Traceback" not in err
    assert not (tmp_path / "site").exists()

    code = main(["--root", str(tmp_path / "nowhere"), "--out", str(tmp_path / "site")])
    assert code == 1
    assert "datapackage.json does not exist" in capsys.readouterr().err


def test_command_writes_the_site_and_says_where(tmp_path: Path) -> None:
    out = tmp_path / "site"
    command = [sys.executable, "-m", "scripts.site", "--root", str(REPO), "--out", str(out)]
    done = subprocess.run(
        [*command, "--no-release"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert str(out / "index.html") in done.stdout and "without release files" in done.stdout
    assert (out / "index.html").is_file()


def test_the_examples_in_the_site_modules_pass() -> None:
    for module in (downloads, pages):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


# ---------------------------------------------------------------- the checker itself


def test_checker_reports_broken_links_missing_headers_and_remote_files(tmp_path: Path) -> None:
    (tmp_path / "other.html").write_text(
        '<!DOCTYPE html><html lang="en"><body><main><h1>Other</h1>'
        '<p id="here">x</p></main></body></html>'
    )
    (tmp_path / "index.html").write_text(
        "<!DOCTYPE html><html><head>"
        '<script src="https://cdn.example.org/lib.js"></script></head><body>'
        "<h1>One</h1><h1>Two</h1>"
        '<a href="missing.html">a</a> <a href="other.html#there">b</a> '
        '<a href="other.html#here">fine</a> <a href="https://example.org/">fine too</a>'
        "<table><tr><td>no header</td></tr></table>"
        "<table><thead><tr><th>no scope</th></tr></thead><tbody></tbody></table>"
        '<img src="other.html"><svg role="img"><rect/></svg>'
        "</body></html>"
    )
    (tmp_path / "style.css").write_text("body { background: url(https://example.org/x.png); }")
    problems = "\n".join(check_site(tmp_path))
    expected = [
        "index.html: <html> has no lang attribute",
        "index.html: 2 <h1> headings",
        "index.html: no <main> landmark",
        "'missing.html': no such file",
        "no element with id 'there'",
        "loads 'https://cdn.example.org/lib.js' from outside the site",
        "a <table> without <thead>",
        "a <table> without <th> header cells",
        'a <th> in <thead> without scope="col"',
        "has no alt text",
        "an <svg> image without <title>",
        "style.css: loads something from the web",
    ]
    for sentence in expected:
        assert sentence in problems
    assert "other.html#here" not in problems and "example.org/'" not in problems
    assert len(check_site(tmp_path)) == len(expected)
