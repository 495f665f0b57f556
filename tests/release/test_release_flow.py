"""``release X.Y.Z`` on a copy of the real package in a temporary git repository.

These tests run the real ``cnplans validate`` in a subprocess, as a release does. They never
touch the real repository's git state or its dist/.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import yaml
from release_support import (
    EPOCH,
    commit_all,
    copy_real_package,
    drop_field,
    git,
    read_rows,
    set_cell,
)

from cnplans.datapackage.hashes import file_sha256
from scripts.release.cli import main

FAST = ["--no-python-dist"]  # the wheel build is covered once, in test_release_artifacts.py


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    return copy_real_package(tmp_path / "repo")


def release(root: Path, version: str, *extra: str) -> int:
    return main(["--root", str(root), "release", version, *FAST, *extra])


def untouched(root: Path, head: str) -> None:
    """The refusal left the tree, the history, the tags and dist/ as they were."""
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "rev-parse", "HEAD") == head
    assert not (root / "dist").exists() or not any((root / "dist").iterdir())


def test_first_release_stamps_builds_commits_and_tags(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release(repo, "1.0.0") == 0
    out = capsys.readouterr().out
    assert "Released cnplans 1.0.0 (first release)." in out
    assert "tagged v1.0.0" in out

    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "tag", "--list").split() == ["v1.0.0"]
    assert git(repo, "log", "-1", "--format=%s %ct") == f"Release 1.0.0 {EPOCH}\n"

    pyproject = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    citation = yaml.safe_load((repo / "CITATION.cff").read_text(encoding="utf-8"))
    zenodo = json.loads((repo / ".zenodo.json").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == "1.0.0"
    assert descriptor["version"] == "1.0.0"
    assert descriptor["created"] == "2023-11-14T22:13:20Z"  # from SOURCE_DATE_EPOCH
    assert citation["version"] == "1.0.0"
    assert citation["date-released"] == "2023-11-14"
    assert zenodo["version"] == "1.0.0"
    for resource in descriptor["resources"]:
        path = repo / resource["path"]
        assert resource["bytes"] == path.stat().st_size
        assert resource["hash"] == "sha256:" + file_sha256(path)

    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 1.0.0 (2023-11-14)\n\nFirst release." in changelog

    folder = repo / "dist" / "cnplans-1.0.0"
    names = sorted(p.name for p in folder.iterdir())
    tables = [r["name"] for r in descriptor["resources"]]
    assert names == sorted(
        ["SHA256SUMS", "cnplans-1.0.0.zip", "cnplans-1.0.0.xlsx", "cnplans_1_0_0.sqlite"]
        + ["overview-targets.csv", "overview-clusters.csv"]
        + [f"cnplans-1.0.0-{t}.parquet" for t in tables]
    )
    registry = json.loads((repo / "src/cnplans/loader/releases.json").read_text(encoding="utf-8"))
    assert registry["1.0.0"] == file_sha256(folder / "cnplans-1.0.0.zip")
    assert not [p for p in (repo / "dist").iterdir() if p.name.startswith(".")]  # no leftovers


def test_patch_release_lists_the_corrected_value(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release(repo, "1.0.0") == 0
    old = set_cell(repo / "resources" / "targets.csv", 0, "notes", "Corrected remark.")
    commit_all(repo, "correct a remark")
    assert release(repo, "1.0.1") == 0
    assert git(repo, "tag", "--list").split() == ["v1.0.0", "v1.0.1"]
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.index("## 1.0.1") < changelog.index("## 1.0.0")
    assert "This needs a patch version: 1 row changed in targets." in changelog
    key = read_rows(repo / "resources" / "targets.csv")[1][0]
    cell_line = next(line for line in changelog.splitlines() if "| `notes` |" in line)
    assert cell_line.startswith(f"| {key} | `notes` | ")
    assert cell_line.endswith(" | Corrected remark. |")
    assert (old or "*(empty)*")[:20] in cell_line
    capsys.readouterr()
    # the same version again: its tag exists now
    assert release(repo, "1.0.1") == 1
    assert "version 1.0.1 already exists: the tag v1.0.1" in capsys.readouterr().err


def test_refuses_a_dirty_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = git(repo, "rev-parse", "HEAD")
    (repo / "scratch.txt").write_text("notes\n", encoding="utf-8")
    assert release(repo, "1.0.0") == 1
    err = capsys.readouterr().err
    assert "refused: the working tree has uncommitted changes" in err
    assert "?? scratch.txt" in err
    (repo / "scratch.txt").unlink()
    set_cell(repo / "resources" / "plans.csv", 0, "notes", "edited but not committed")
    assert release(repo, "1.0.0") == 1
    assert "M resources/plans.csv" in capsys.readouterr().err
    git(repo, "checkout", "--", "resources/plans.csv")
    untouched(repo, head)


def test_refuses_data_that_fails_validation(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set_cell(repo / "resources" / "targets.csv", 0, "value", "a lot")
    commit_all(repo, "break a number")
    head = git(repo, "rev-parse", "HEAD")
    assert release(repo, "1.0.0") == 1
    err = capsys.readouterr().err
    assert "-m cnplans validate datapackage.json` failed (exit 1)" in err
    assert "resources/targets.csv" in err  # the validator's own report is passed on
    untouched(repo, head)


def test_refuses_a_version_that_exists(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "-a", "v1.0.0", "-m", "earlier")
    assert release(repo, "1.0.0") == 1
    assert "the tag v1.0.0 is in the repository" in capsys.readouterr().err
    leftover = repo / "dist" / "cnplans-2.0.0"
    leftover.mkdir(parents=True)
    (leftover / "cnplans-2.0.0.zip").write_bytes(b"old")
    assert release(repo, "2.0.0") == 1
    assert "version 2.0.0 already has artifacts in" in capsys.readouterr().err
    assert (leftover / "cnplans-2.0.0.zip").read_bytes() == b"old"
    assert git(repo, "rev-parse", "HEAD") == head


def test_refuses_disagreeing_versions(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    current = tomllib.loads(text)["project"]["version"]
    pyproject.write_text(text.replace(f'version = "{current}"', 'version = "9.9.9"', 1), "utf-8")
    commit_all(repo, "bump pyproject only")
    head = git(repo, "rev-parse", "HEAD")
    assert release(repo, "10.0.0") == 1
    err = capsys.readouterr().err
    assert "the version numbers disagree" in err
    assert "pyproject.toml [project].version: 9.9.9" in err
    assert f"datapackage.json version: {current}" in err
    untouched(repo, head)


def test_refuses_a_version_too_small_for_the_changes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "tag", "-a", "v1.0.0", "-m", "earlier release")
    drop_field(repo, "targets", "unit")
    commit_all(repo, "drop targets.unit")
    head = git(repo, "rev-parse", "HEAD")
    for too_small in ("1.0.1", "1.1.0"):
        assert release(repo, too_small) == 1
        err = capsys.readouterr().err
        assert f"version {too_small} is a" in err
        assert "field targets.unit removed: needs a major version" in err
        assert "Use 2.0.0 or higher." in err
    assert release(repo, "0.9.0") == 1
    assert "not greater than the previous release 1.0.0" in capsys.readouterr().err
    untouched(repo, head)


def test_no_commit_leaves_committing_to_the_maintainer(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    assert release(repo, "1.0.0", "--no-commit") == 0
    out = capsys.readouterr().out
    assert f"GIT_COMMITTER_DATE='@{EPOCH} +0000'" in out
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "tag", "--list") == ""
    changed = {line[3:] for line in git(repo, "status", "--porcelain").splitlines()}
    assert {"datapackage.json", "pyproject.toml", "CHANGELOG.md", "CITATION.cff"} <= changed
    assert (repo / "dist" / "cnplans-1.0.0" / "SHA256SUMS").is_file()


def test_refuses_a_stale_installed_version(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An editable install keeps the version it was installed with: cnplans.__version__ lies."""
    from scripts.release import versions

    monkeypatch.setattr(versions, "installed_version", lambda root: "0.0.1")
    assert release(repo, "1.0.0") == 1
    err = capsys.readouterr().err
    assert "cnplans.__version__ (the cnplans installed from this folder): 0.0.1" in err
    assert "pip install -e ." in err
