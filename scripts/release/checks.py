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

# `cnplans validate` with the Python that runs the release, so it checks this tree's data with
# the cnplans installed next to the release tools.
VALIDATE_ARGS = ["-m", "cnplans", "validate", "datapackage.json"]
MAX_OUTPUT_LINES = 40


def default_validate_command() -> list[str]:
    return [sys.executable, *VALIDATE_ARGS]


def require_clean_tree(repo: GitRepo) -> None:
    """Refuse when ``git status --porcelain`` lists anything (changes or untracked files)."""
    if not repo.is_repository():
        raise Refused(f"{repo.root} is not a git repository; releases are cut from git tags")
    if not repo.has_commits():
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
    if repo.has_tag(version.tag):
        raise Refused(
            f"version {version} already exists: the tag {version.tag} is in the repository. "
            "Choose the next version number."
        )
    existing = []
    if dist.is_dir():
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
    citation, zenodo = read_citation(root), read_zenodo(root)
    title = descriptor.get("title")
    licenses = descriptor.get("licenses") or [{}]
    license_name = str(licenses[0].get("name", ""))
    problems = []
    if citation.get("title") != title:
        problems.append(
            f"{CITATION} title is {citation.get('title')!r}, the descriptor's {title!r}"
        )
    if zenodo.get("title") != title:
        problems.append(f"{ZENODO} title is {zenodo.get('title')!r}, the descriptor's {title!r}")
    if str(citation.get("license", "")) != license_name:
        problems.append(
            f"{CITATION} license is {citation.get('license')!r}, the descriptor's {license_name!r}"
        )
    if str(zenodo.get("license", "")).lower() != license_name.lower():
        problems.append(
            f"{ZENODO} license is {zenodo.get('license')!r}, the descriptor's {license_name!r}"
        )
    return problems


def run_validator(root: Path, command: list[str] | None = None) -> str:
    """Run ``cnplans validate`` on the tree in a subprocess; refuse unless it succeeds.

    Returns its output. A validator that cannot be started counts as a failure: data that was
    not validated is not released.
    """
    command = command or default_validate_command()
    shown = shlex.join(command)
    try:
        done = subprocess.run(
            command, cwd=root, capture_output=True, text=True, encoding="utf-8", errors="replace"
        )
    except OSError as exc:
        raise Refused(f"cannot run the validator `{shown}`: {exc}") from None
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        lines = output.splitlines()
        tail = lines[-MAX_OUTPUT_LINES:]
        cut = (
            f"  … {len(lines) - len(tail)} earlier lines not shown\n"
            if len(lines) > len(tail)
            else ""
        )
        body = "\n".join(f"  {line}" for line in tail)
        raise Refused(
            f"`{shown}` failed (exit {done.returncode}), so the data cannot be released:\n"
            f"{cut}{body}\nFix the problems it lists, commit, and release again."
        )
    return output
