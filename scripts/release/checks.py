"""The preconditions of a release; each failed one is a :class:`~errors.Refused` that says why.

None of these checks changes a file.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from .citation import CITATION, ZENODO, read_citation, read_zenodo
from .errors import Refused
from .gitrepo import GitRepo
from .semver import Version

MAX_OUTPUT_LINES = 40


def require_clean_tree(repo: GitRepo) -> None:
    """Refuse when ``git status --porcelain`` lists anything (changes or untracked files)."""
    if not repo.succeeds("rev-parse", "--is-inside-work-tree"):
        raise Refused(f"{repo.root} is not a git repository; releases are cut from git tags")
    if not repo.succeeds("rev-parse", "--verify", "--quiet", "HEAD"):
        raise Refused(f"{repo.root} has no commit yet; commit the data before releasing it")
    dirty = repo.uncommitted()
    if dirty:
        shown = "\n".join(f"  {line}" for line in dirty[:20])
        more = f"\n  … and {len(dirty) - 20} more" if len(dirty) > 20 else ""
        raise Refused(
            "the working tree has uncommitted changes, so the release would not match any "
            f"commit:\n{shown}{more}\nCommit or stash them, then release again."
        )


def require_unreleased(repo: GitRepo, dist: Path, version: Version) -> None:
    """Refuse a version whose tag or built artifacts already exist."""
    if repo.succeeds("rev-parse", "--verify", "--quiet", f"refs/tags/{version.tag}"):
        raise Refused(
            f"version {version} already exists: the tag {version.tag} is in the repository. "
            "Choose the next version number."
        )
    named = [dist / f"cnplans-{version}", *dist.glob(f"cnplans-{version}.*")]
    existing = sorted({p.name for p in named if p.exists()})
    if existing:
        raise Refused(
            f"version {version} already has artifacts in {dist}: {', '.join(existing)}. Choose "
            "the next version number, or delete them if they are left over from a failed attempt."
        )


def require_metadata_agreement(root: Path, descriptor: dict[str, Any]) -> None:
    """Refuse when CITATION.cff or .zenodo.json disagree with datapackage.json on title/license."""
    problems = metadata_disagreements(root, descriptor)
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise Refused(f"the citation metadata disagrees with datapackage.json:\n{listing}")


def metadata_disagreements(root: Path, descriptor: dict[str, Any]) -> list[str]:
    """Title and license of CITATION.cff and .zenodo.json against the descriptor's."""
    title = descriptor.get("title")
    license_name = str((descriptor.get("licenses") or [{}])[0].get("name", ""))
    problems = []
    for name, data in ((CITATION, read_citation(root)), (ZENODO, read_zenodo(root))):
        if data.get("title") != title:
            problems.append(f"{name} title is {data.get('title')!r}, the descriptor's {title!r}")
        found, wanted = str(data.get("license", "")), license_name
        if name == ZENODO:  # Zenodo takes the SPDX id in lower case
            found, wanted = found.lower(), wanted.lower()
        if found != wanted:
            problems.append(
                f"{name} license is {data.get('license')!r}, the descriptor's {license_name!r}"
            )
    return problems


def run_validator(root: Path, command: list[str] | None = None) -> None:
    """Run ``cnplans validate`` on the tree in a subprocess; refuse unless it succeeds (one that
    cannot start fails too: data not validated is not released)."""
    command = command or [sys.executable, "-m", "cnplans", "validate", "datapackage.json"]
    shown = shlex.join(command)
    try:
        done = subprocess.run(
            command, cwd=root, capture_output=True, text=True, encoding="utf-8", errors="replace"
        )
    except OSError as exc:
        raise Refused(f"cannot run the validator `{shown}`: {exc}") from None
    if done.returncode != 0:
        lines = (done.stdout + done.stderr).strip().splitlines()
        cut = len(lines) - MAX_OUTPUT_LINES
        hidden = f"  … {cut} earlier lines not shown\n" if cut > 0 else ""
        body = "\n".join(f"  {line}" for line in lines[-MAX_OUTPUT_LINES:])
        raise Refused(
            f"`{shown}` failed (exit {done.returncode}), so the data cannot be released:\n"
            f"{hidden}{body}\nFix the problems it lists, commit, and release again."
        )
