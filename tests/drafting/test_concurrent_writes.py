"""Commands that rewrite a package's tables, run at the same time, lose nothing (issue 16, D25).

Each run is a subprocess within the bounds of ``conftest.run_cnplans``, as the other rows of
the review are (tests/test_hostile_inputs.py)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from conftest import HANG_SECONDS, child_env, copy_package, limit_memory, run_cnplans


def test_two_new_source_runs_at_once_both_file_their_row(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    copy_package(package)
    env = child_env()
    runs = []
    for n in range(2):
        text = tmp_path / f"article-{n}.txt"
        text.write_text(f"Article number {n}\n\nIt says something about plans.\n", "utf-8")
        command = [sys.executable, "-m", "cnplans", "new-source", str(text)]
        command += ["--id", f"concurrent-article-{n}", "--package", str(package)]
        runs.append(
            subprocess.Popen(
                command,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                preexec_fn=limit_memory,
            )
        )
    results = [
        (run.wait(timeout=HANG_SECONDS), run.stderr.read().decode() if run.stderr else "")
        for run in runs
    ]
    assert [code for code, _ in results] == [0, 0], results
    with (package / "resources" / "sources.csv").open(encoding="utf-8", newline="") as file:
        ids = {row["source_id"] for row in csv.DictReader(file)}
    assert {"concurrent-article-0", "concurrent-article-1"} <= ids
    for n in range(2):
        assert (package / "sources" / f"concurrent-article-{n}.txt").is_file()
    outcome = run_cnplans("validate", str(package / "datapackage.json"))
    assert "unlisted-file" not in outcome.stdout and "sort-order" not in outcome.stdout


def test_the_lock_is_reentrant_and_writes_nothing_into_the_package(tmp_path: Path) -> None:
    from cnplans.datapackage.atomic import package_lock

    (tmp_path / "datapackage.json").write_text("{}", "utf-8")
    with package_lock(tmp_path / "datapackage.json"), package_lock(tmp_path):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["datapackage.json"]
