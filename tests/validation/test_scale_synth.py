"""``scripts/synth.py``: synthetic packages valid by construction, defects where asked."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, Outcome, run_cli

from scripts.synth import (
    DEFECTS,
    MARKER,
    NUMBER_WORDS,
    SynthError,
    generate,
    main,
    parse_defects,
    read_schemas,
    synthesize,
)


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def _records(package: Path, table: str) -> list[dict[str, str]]:
    with (package / f"resources/{table}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


# How the synthetic sentences print a figure's bound (what the quantity reader reads).
BOUND_WORDS = {
    "exactly": ("",),
    "about": ("about ", "around ", "nearly "),
    "at_least": ("at least ", "no less than "),
    "more_than": ("more than ", "over "),
    "up_to": ("up to ",),
}


def _amounts(value: float, unit: str) -> list[str]:
    """The ways a figure of ``unit`` is printed: "4,200", "seven", "3.5 billion yuan"."""
    if unit == "count":
        words = [NUMBER_WORDS[int(value)]] if value < len(NUMBER_WORDS) else []
        return [f"{int(value):,}", *words]
    if unit == "percent":
        return [f"{value:g} percent", f"{value:g}"]
    sign, currency = ("$", "") if unit == "USD" else ("", " yuan")
    return [
        f"{sign}{value / size:g} {word}{currency}"
        for size, word in ((1e9, "billion"), (1e6, "million"))
        if value >= size / 10
    ] + [f"{sign}{value / size:g}" for size in (1e9, 1e6)]


def _prints_figure(target: dict[str, str]) -> bool:
    """Whether the quote prints the value (and upper value) with the qualifier's words."""
    quote, unit = target["quote"], target["unit"]
    low = _amounts(float(target["value"]), unit)
    if target["qualifier"] == "range":
        high = _amounts(float(target["value_max"]), unit)
        return any(f"{a} to {b}" in quote for a in low for b in high)
    return any(words + a in quote for words in BOUND_WORDS[target["qualifier"]] for a in low)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(600, tmp_path_factory.mktemp("synth") / "pkg", seed=1)


def test_valid_by_construction(small: Path, validate: Callable[..., Outcome]) -> None:
    outcome = validate(small)
    assert outcome.code == 0, outcome.problems[:5]


def test_every_target_quote_prints_its_numbers(small: Path) -> None:
    """Without the quantity reader: the figures, years and dollars are the quote's words."""
    published = {s["source_id"]: s["published"] for s in _records(small, "sources")}
    targets = _records(small, "targets")
    for target in targets:
        quote = target["quote"]
        assert _prints_figure(target), target
        if target["target_year_basis"] == "quote":
            assert f"by {target['target_year']}" in quote, target
        elif target["target_year_basis"] == "dateline":
            assert "by the end of this year" in quote, target
            assert target["target_year"] == published[target["source_id"]][:4], target
        else:
            assert target["target_year"] == "", target
        if target["baseline_year"]:
            assert target["baseline_year"] in quote, target
        if target["reported_usd"]:
            assert f"(${float(target['reported_usd']) / 1e9:.2f} billion)" in quote, target
        if target["strive"] == "true":
            assert "strive to" in quote, target
    # Every shape of figure is there: each unit and qualifier, strive, both year bases.
    assert {t["unit"] for t in targets} == {"count", "CNY", "USD", "percent"}
    assert {t["qualifier"] for t in targets} == {*BOUND_WORDS, "range"}
    assert {t["strive"] for t in targets} == {"true", "false"}
    assert {t["target_year_basis"] for t in targets} == {"quote", "dateline", ""}
    assert any(t["reported_usd"] for t in targets)
    indicators = {t["indicator"]: t["unit"] for t in targets}
    assert indicators["count"] == "count" and indicators["growth_rate"] == "percent"


def test_the_quantity_reader_reads_each_row_s_numbers(small: Path) -> None:
    """With the reader the validator uses: each row's numbers are quantities of its quote."""
    quantities = pytest.importorskip("cnplans.drafting.quantities")

    def stated(quote: str) -> list[tuple[float, float | None, str, str, bool]]:
        return [
            (q.value, q.value_max, q.unit, q.qualifier, q.strive)
            for q in quantities.find_quantities(quote)
        ]

    def years(quote: str) -> set[float]:
        return {
            year
            for value, high, unit, _, _ in stated(quote)
            if unit == "year"
            for year in (value, high)
            if year is not None
        }

    for target in _records(small, "targets")[:400]:
        figure = (
            float(target["value"]),
            float(target["value_max"]) if target["value_max"] else None,
            target["unit"],
            target["qualifier"],
            target["strive"] == "true",
        )
        assert figure in stated(target["quote"]), target
        if target["target_year_basis"] == "quote":
            assert float(target["target_year"]) in years(target["quote"]), target
        if target["target_year_basis"] == "dateline":
            assert quantities.relative_years(target["quote"]), target
        if target["baseline_year"]:
            assert float(target["baseline_year"]) in years(target["quote"]), target
        if target["reported_usd"]:
            dollars = {v for v, _, unit, _, _ in stated(target["quote"]) if unit == "USD"}
            assert float(target["reported_usd"]) in dollars, target
    for project in _records(small, "projects"):
        found = {(v, unit) for v, _, unit, _, _ in stated(project["quote"])}
        if project["project_count"]:
            assert (float(project["project_count"]), "count") in found, project
        if project["investment_cny"]:
            assert (float(project["investment_cny"]), "CNY") in found, project
    for plan in _records(small, "plans"):
        for column in ("period_start", "period_end"):
            if plan[column]:
                assert float(plan[column]) in years(plan["quote"]), plan
        if plan["issued_basis"] == "quote":
            assert float(plan["issued"][:4]) in years(plan["quote"]), plan
        elif plan["issued_basis"] == "dateline":
            assert quantities.relative_years(plan["quote"]), plan
    for source in _records(small, "sources"):
        if source["published"]:
            assert float(source["published"][:4]) in years(source["dateline"]), source


def test_names_regions_and_ids_follow_the_wording_rules(small: Path) -> None:
    """Names in their quotes, region links as their basis says, ids prefixed and unshared."""
    sources = _records(small, "sources")
    for source in sources:
        text = (small / source["path"]).read_text(encoding="utf-8")
        assert source["dateline"] in text and source["publisher"] in text, source
        assert bool(source["dateline"]) == bool(source["published"]), source
    plans = {p["plan_id"]: p for p in _records(small, "plans")}
    for plan in plans.values():
        assert plan["title"] in plan["quote"].replace("  ", " ") and plan["issuer"] in plan["quote"]
        assert bool(plan["issued"]) == bool(plan["issued_basis"])
    clusters = {c["cluster_id"]: c for c in _records(small, "clusters")}
    for cluster in clusters.values():
        assert cluster["name"] in cluster["quote"], cluster
        kind = cluster["kind"].replace("_", "-")
        assert cluster["cluster_id"].startswith(f"{cluster['plan_id']}-{kind}-"), cluster
    measures = {m["measure_id"]: m for m in _records(small, "measures")}
    parents = [m for m in measures.values() if m["parent_measure_id"]]
    assert parents, "some measures are parts of others"
    for measure in parents:
        parent = measures[measure["parent_measure_id"]]
        assert parent["ordinal"] and parent["plan_id"] == measure["plan_id"], measure
    for table in ("projects", "measures", "targets"):
        for row in _records(small, table):
            key = next(iter(row.values()))
            assert key.startswith(row["plan_id"] + "-"), row
            if table == "projects":
                assert row["name"] in row["quote"], row
            if table == "measures" and row["ordinal"]:
                assert row["quote"].startswith(row["ordinal"] + ". "), row
    names = {r["region_id"]: r["name_en"] for r in _records(small, "regions")}
    bases = set()
    for link in _records(small, "cluster_regions"):
        bases.add(link["basis"])
        if link["basis"] == "plan_region":
            assert link["region_id"] == plans[clusters[link["cluster_id"]]["plan_id"]]["region_id"]
        else:
            assert names[link["region_id"]] in link["quote"], link
    assert bases == {"quote", "plan_region"}
    keys = [
        row[column]
        for table, column in (
            ("sources", "source_id"),
            ("plans", "plan_id"),
            ("targets", "target_id"),
            ("projects", "project_id"),
            ("measures", "measure_id"),
            ("clusters", "cluster_id"),
        )
        for row in _records(small, table)
    ]
    assert len(keys) == len(set(keys)), "an id is the key of two rows"


def test_a_column_newer_than_the_script_is_left_empty_unless_required() -> None:
    schemas = read_schemas()
    schemas["regions"]["fields"].append({"name": "future_remark", "type": "string"})
    regions = generate(20, 0, schemas).tables["regions"]
    assert regions.columns["future_remark"] == [""] * regions.rows
    schemas["regions"]["fields"][-1]["constraints"] = {"required": True}
    with pytest.raises(SynthError, match="required column 'future_remark'"):
        generate(20, 0, schemas)


def test_derived_dollars_agree_with_convert(
    small: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["convert", str(small / "datapackage.json"), "--check"], capsys)
    assert code == 0, out + err


def test_copies_schemas_and_descriptor_and_the_real_rates(small: Path) -> None:
    assert (small / "datapackage.json").read_bytes() == (REPO / "datapackage.json").read_bytes()
    for schema in (REPO / "schemas").glob("*.json"):
        assert (small / "schemas" / schema.name).read_bytes() == schema.read_bytes()
    rates = small / "resources/exchange_rates.csv"
    assert rates.read_bytes() == (REPO / "resources/exchange_rates.csv").read_bytes()
    assert (small / MARKER).is_file()


def test_sizes_are_proportionate_and_hashes_match(small: Path) -> None:
    counts = {p.stem: len(_rows(p)) - 1 for p in (small / "resources").glob("*.csv")}
    assert counts["targets"] == 600
    assert counts["measures"] == 150 and counts["clusters"] == 75 and counts["plans"] == 12
    sources = _rows(small / "resources/sources.csv")
    header = sources[0]
    for row in sources[1:]:
        record = dict(zip(header, row, strict=True))
        data = (small / record["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == record["sha256"]
        assert record["path"] == f"sources/{record['source_id']}.txt"


def test_same_seed_same_package(tmp_path: Path) -> None:
    first = synthesize(50, tmp_path / "a", seed=5)
    second = synthesize(50, tmp_path / "b", seed=5)
    for path in sorted(first.rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (second / path.relative_to(first)).read_bytes()


@pytest.mark.parametrize(
    ("defect", "file", "line", "rule"),
    [
        ("type@3", "targets", 4, "type"),
        ("pattern@3", "targets", 4, "pattern"),
        ("enum@3", "targets", 4, "enum"),
        ("minimum@3", "targets", 4, "minimum"),
        ("maximum@3", "targets", 4, "maximum"),
        ("required@3", "targets", 4, "required"),
        ("min-length@3", "targets", 4, "min-length"),
        ("primary-key@3", "targets", 4, "primary-key"),
        ("foreign-key@3", "targets", 4, "foreign-key"),
        ("quote@3", "targets", 4, "quote-not-in-source"),
        ("stale-usd@3:usd", "targets", 4, "stale-derived-value"),
        ("formula@3:subject", "targets", 4, "formula-injection"),
        ("missing-cell@3", "targets", 4, "ragged-row"),
        ("extra-cell@3", "targets", 4, "ragged-row"),
        ("blank-row@3", "targets", 4, "ragged-row"),
        ("sort-order@3", "targets", 5, "sort-order"),
        ("source-hash@sources:1", "sources", 2, "source-hash"),
        ("type@measures:2", "measures", 3, "type"),
        ("missing-label@plans:1", "plans", 1, "missing-column"),
        ("extra-label@plans:1", "plans", 1, "unknown-column"),
    ],
)
def test_each_defect_is_reported_where_it_was_put(
    tmp_path: Path,
    validate: Callable[..., Outcome],
    defect: str,
    file: str,
    line: int,
    rule: str,
) -> None:
    package = synthesize(100, tmp_path / "pkg", defect, seed=2)
    outcome = validate(package)
    assert outcome.code == 1
    assert (f"resources/{file}.csv", line) in {
        (p["file"], p["line"]) for p in outcome.problems if p["rule"] == rule
    }


def test_every_defect_kind_parses() -> None:
    schemas = read_schemas()
    for kind in DEFECTS:
        [defect] = parse_defects(f"{kind}@targets:2", schemas)
        assert (defect.kind, defect.table, defect.row) == (kind, "targets", 2)
    [defect] = parse_defects("type@measures:4:ordinal", schemas)
    assert (defect.table, defect.row, defect.column) == ("measures", 4, "ordinal")


@pytest.mark.parametrize(
    "bad", ["typo@3", "type", "type@0", "type@nope:3", "type@3:nocolumn", "type@3:4:5"]
)
def test_bad_defects_are_a_sentence(bad: str) -> None:
    with pytest.raises(SynthError, match=r"defect"):
        parse_defects(bad, read_schemas())


def test_refuses_to_replace_a_folder_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["20", str(tmp_path / "mine")]) == 2
    assert "was not written by this script" in capsys.readouterr().err
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_rewrites_its_own_output_atomically(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    synthesize(20, out, seed=1)
    synthesize(30, out, seed=1)
    assert len(_rows(out / "resources/targets.csv")) == 31
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]  # no temporary folder left
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["resources"][0]["name"] == "sources"


def test_too_few_rows_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["5", str(tmp_path / "x")]) == 2
    assert "at least 10" in capsys.readouterr().err
