"""A valid new plan breaks nothing: the fixture plan of ``tests/fixtures/extra_plan/``.

The fixture is an invented plan of Jinzhong (a region already in ``regions.csv``) with its own
archived text, written for these tests: a count, an amount in yuan with the dollars the text
prints, a percentage with "about" and a range as targets, one measure, one cluster and its
region. These tests check that the fixture is what a contributor would add (verbatim quotes
that state every number, ids that start with the plan's id), that ``add_extra_plan`` inserts it
at its place and changes nothing else, and that the package with it validates clean. The
whole suite runs with it in every copy when ``CNPLANS_TEST_EXTRA_PLAN=1`` (see conftest).
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    EXTRA_PLAN,
    EXTRA_PLAN_VARIABLE,
    Outcome,
    add_extra_plan,
    copy_package,
    extra_plan_rows,
    run_cli,
    start_lines,
)

from cnplans.validation.provenance import normalize_whitespace

ROWS = extra_plan_rows()
[PLAN] = ROWS["plans"]
[SOURCE] = ROWS["sources"]
TEXT = (EXTRA_PLAN / SOURCE["path"]).read_text(encoding="utf-8")
KEYS = {
    "sources": "source_id",
    "plans": "plan_id",
    "targets": "target_id",
    "measures": "measure_id",
    "clusters": "cluster_id",
    "projects": "project_id",
}


def _table(package: Path, name: str) -> list[dict[str, str]]:
    with (package / f"resources/{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """A copy of the package without the extra plan (whatever the environment says).

    Skips the test when the repository's own data already holds the fixture plan (as when the
    plan is added to a checkout to show that a valid new plan breaks no test).
    """
    package = copy_package(tmp_path / "plain", extra_plan=False).parent
    if SOURCE["source_id"] in _ids(package):
        pytest.skip("the package's own data already holds the fixture plan")
    return package


def _ids(package: Path) -> set[str]:
    with (package / "resources/sources.csv").open(encoding="utf-8", newline="") as handle:
        return {row["source_id"] for row in csv.DictReader(handle)}


@pytest.fixture
def extended(tmp_path: Path) -> Path:
    """A copy of the package with the extra plan."""
    return copy_package(tmp_path / "extended", extra_plan=True).parent


def test_the_fixture_says_it_is_one_and_is_archived_as_the_rows_say() -> None:
    assert TEXT.splitlines()[0].startswith("Test fixture, not a real report")
    assert SOURCE["title"] == TEXT.splitlines()[0]
    assert SOURCE["sha256"] == hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    assert SOURCE["path"] == f"sources/{SOURCE['source_id']}.txt"
    assert SOURCE["dateline"] in TEXT and SOURCE["publisher"] in TEXT


def test_every_row_quotes_the_fixture_text_and_starts_with_the_plan_id() -> None:
    text = normalize_whitespace(TEXT)
    for table, rows in ROWS.items():
        for row in rows:
            if "quote" in row:
                assert normalize_whitespace(row["quote"]) in text, (table, row["quote"])
                assert row["source_id"] == SOURCE["source_id"]
            if table in KEYS and table not in ("sources", "plans"):
                assert row[KEYS[table]].startswith(PLAN["plan_id"] + "-"), row
    [cluster] = ROWS["clusters"]
    assert cluster["cluster_id"].startswith(f"{PLAN['plan_id']}-{cluster['kind']}-")


def test_the_targets_are_a_count_money_with_dollars_an_about_percent_and_a_range() -> None:
    shapes = {(t["unit"], t["qualifier"], bool(t["reported_usd"])) for t in ROWS["targets"]}
    assert {("count", "exactly", False), ("CNY", "more_than", True)} <= shapes
    assert {("percent", "about", False), ("count", "range", False)} <= shapes


def test_the_quantity_reader_finds_every_number_of_the_fixture() -> None:
    quantities = pytest.importorskip("cnplans.drafting.quantities")
    for target in ROWS["targets"]:
        found = {
            (q.value, q.value_max, q.unit, q.qualifier, q.strive)
            for q in quantities.find_quantities(target["quote"])
        }
        value_max = float(target["value_max"]) if target["value_max"] else None
        figure = (float(target["value"]), value_max, target["unit"], target["qualifier"], False)
        assert figure in found, target
        if target["target_year"]:
            assert (float(target["target_year"]), None, "year", "exactly", False) in found
        if target["reported_usd"]:
            assert any(v == float(target["reported_usd"]) and u == "USD" for v, _, u, _, _ in found)


def test_the_extra_plan_is_inserted_at_its_place_and_nothing_else_changes(
    plain: Path, extended: Path
) -> None:
    for table, rows in ROWS.items():
        before = (plain / f"resources/{table}.csv").read_text(encoding="utf-8").split("\n")
        after = (extended / f"resources/{table}.csv").read_text(encoding="utf-8").split("\n")
        added = [line for line in after if line not in before]
        assert len(added) == len(rows) and len(after) == len(before) + len(rows), table
        assert [line for line in after if line not in added] == before, table
        if table in KEYS:
            ids = [row[KEYS[table]] for row in _table(extended, table)]
            assert ids == sorted(ids), table
    assert (extended / SOURCE["path"]).read_bytes() == (EXTRA_PLAN / SOURCE["path"]).read_bytes()
    untouched = ("regions", "projects", "exchange_rates")
    for table in untouched:
        path = f"resources/{table}.csv"
        if table not in ROWS:
            assert (plain / path).read_bytes() == (extended / path).read_bytes(), table


def test_adding_it_twice_changes_nothing(extended: Path) -> None:
    before = {p: p.read_bytes() for p in sorted(extended.rglob("*")) if p.is_file()}
    add_extra_plan(extended)
    assert {p: p.read_bytes() for p in sorted(extended.rglob("*")) if p.is_file()} == before


def test_a_package_with_the_extra_plan_validates_clean(
    extended: Path, validate: Callable[..., Outcome]
) -> None:
    outcome = validate(extended)
    assert outcome.problems == [] and outcome.code == 0


def test_the_extra_plan_adds_no_problem(
    plain: Path, extended: Path, validate: Callable[..., Outcome]
) -> None:
    """Whatever the live rows' state, the extra plan's rows bring no problem of their own."""

    def kinds(outcome: Outcome) -> Counter[tuple[str, str | None, str]]:
        return Counter((p["file"], p["column"], p["rule"]) for p in outcome.problems)

    added = validate(extended)
    assert kinds(added) == kinds(validate(plain))
    for table in ROWS:
        path = extended / f"resources/{table}.csv"
        ids = {row[next(iter(row))] for row in ROWS[table]}
        lines = {
            line
            for line, row in zip(start_lines(path), _table(extended, table), strict=True)
            if row[next(iter(row))] in ids
        }
        assert not [p for p in added.in_file(f"resources/{table}.csv") if p["line"] in lines]


def test_its_dollar_columns_are_what_convert_computes(
    extended: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["convert", str(extended / "datapackage.json"), "--check"], capsys)
    assert code == 0, out + err
    [fixture] = [t for t in ROWS["targets"] if t["unit"] == "CNY"]
    revenue = next(t for t in _table(extended, "targets") if t["target_id"] == fixture["target_id"])
    assert revenue["fx_year"] == PLAN["issued"][:4] and revenue["fx_basis"] == "plan_issued"
    assert revenue["usd"] and revenue["reported_usd"] == fixture["reported_usd"]


def test_the_environment_variable_puts_it_in_every_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if SOURCE["source_id"] in _ids(copy_package(tmp_path / "live", extra_plan=False).parent):
        pytest.skip("the package's own data already holds the fixture plan")
    monkeypatch.setenv(EXTRA_PLAN_VARIABLE, "1")
    with_plan = copy_package(tmp_path / "on").parent
    monkeypatch.setenv(EXTRA_PLAN_VARIABLE, "0")
    without = copy_package(tmp_path / "off").parent
    monkeypatch.delenv(EXTRA_PLAN_VARIABLE)
    default = copy_package(tmp_path / "default").parent
    for folder, expected in ((with_plan, True), (without, False), (default, False)):
        plans = {p["plan_id"] for p in _table(folder, "plans")}
        assert (PLAN["plan_id"] in plans) is expected, folder.name
