"""Parity with frictionless: every row frictionless flags, ``cnplans validate`` reports too.

A synthetic package of 10,000 targets (``scripts/synth.py``) is broken in every way frictionless
detects row by row (types, pattern/enum/minimum/maximum/required/minLength constraints, a
duplicate primary key, a dangling foreign key, missing and extra cells, a blank row) and in
its headers (a missing, an extra, a blank and a duplicate label, which make frictionless flag
rows too). frictionless' row numbers are physical lines here: no cell of the synthetic data
spans lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Outcome

from scripts.synth import synthesize

TARGET_DEFECTS = {  # kind@row -> the physical line it breaks in targets.csv
    "type@5": 6,
    "pattern@10": 11,
    "enum@15": 16,
    "minimum@20": 21,
    "maximum@25": 26,
    "required@30": 31,
    "min-length@35": 36,
    "primary-key@40": 41,
    "foreign-key@45": 46,
    "missing-cell@50": 51,
    "extra-cell@55": 56,
    "blank-row@60": 61,
}
OTHER_DEFECTS = [
    "type@measures:7",
    "enum@measures:9",
    "pattern@sources:3",
    "missing-label@clusters:1",
    "extra-label@projects:1",
    "blank-label@cluster_regions:1",
    "duplicate-label@regions:1",
]


def _frictionless_rows(descriptor: Path) -> set[tuple[str, int]]:
    """(file, row number) of every row error frictionless reports."""
    import frictionless

    report = frictionless.Package(str(descriptor)).validate()
    return {
        (str(task.place), int(error.row_number))
        for task in report.tasks
        for error in task.errors
        if getattr(error, "row_number", None) is not None
    }


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parity") / "package"
    synthesize(10_000, folder, ",".join([*TARGET_DEFECTS, *OTHER_DEFECTS]), seed=7)
    return folder


def test_cnplans_reports_every_row_frictionless_reports(
    broken: Path, validate: Callable[..., Outcome]
) -> None:
    theirs = _frictionless_rows(broken / "datapackage.json")
    # The defects are there: frictionless sees each one on the line it was put on.
    target_lines = {line for file, line in theirs if file == "resources/targets.csv"}
    assert set(TARGET_DEFECTS.values()) <= target_lines
    for table in ("measures", "sources", "clusters", "projects"):
        assert any(file == f"resources/{table}.csv" for file, _ in theirs), table

    outcome = validate(broken, "--max-file-size-mb", "1000")
    assert outcome.code == 1
    ours = {(p["file"], p["line"]) for p in outcome.problems if p["line"] is not None}
    missed = sorted(theirs - ours)
    assert not missed, f"cnplans misses {len(missed)} rows frictionless flags: {missed[:10]}"


def test_the_valid_synthetic_package_is_valid_for_both(
    tmp_path: Path, validate: Callable[..., Outcome]
) -> None:
    synthesize(2_000, tmp_path / "ok", seed=3)
    assert _frictionless_rows(tmp_path / "ok" / "datapackage.json") == set()
    outcome = validate(tmp_path / "ok")
    assert outcome.code == 0, json.dumps(outcome.problems[:5], indent=1)
