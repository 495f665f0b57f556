"""``release X.Y.Z``: check, version, stamp, changelog, validate, build, commit and tag.

The steps and their order are in scripts/release/README.md ("Cutting a release"); nothing in the
maintainer's tree changes before the artifacts are built. The release time is
``$SOURCE_DATE_EPOCH`` or now, and the commit gets it as its author and committer date, so
``build`` run later on the tag rebuilds byte-identical artifacts.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cnplans.datapackage import dump_descriptor, parse_json, read_descriptor
from cnplans.datapackage.hashes import file_sha256
from cnplans.datapackage.paths import DESCRIPTOR_NAME

from . import changelog, checks, snapshot, stamp, versions
from .build import BuildOptions, build_staged, finalize, source_date_epoch
from .citation import CITATION, ZENODO, set_scalar, zenodo_with_version
from .diff import PackageDiff, compare
from .errors import ReleaseStepError
from .gitrepo import GitRepo
from .semver import Reason, Version, check
from .versions import PYPROJECT, pyproject_with_version

REGISTRY = "src/cnplans/loader/releases.json"
CHANGELOG = "CHANGELOG.md"


@dataclass(frozen=True)
class ReleaseOptions:
    dist: Path
    build: BuildOptions = field(default_factory=BuildOptions)
    validate_command: list[str] | None = None
    changelog_limit: int = changelog.DEFAULT_LIMIT
    commit: bool = True


@dataclass
class ReleaseResult:
    version: Version
    previous: Version | None
    folder: Path
    edited: list[str]
    commit: str | None
    epoch: int


def release(
    root: Path, version_text: str, options: ReleaseOptions, *, say: Callable[[str], None] = print
) -> ReleaseResult:
    """Cut release ``version_text`` of the package in ``root``; see the module docstring."""
    root = root.resolve()
    dist = root / options.dist  # an absolute --dist stays as it is
    repo = GitRepo(root)
    version = Version.parse(version_text)
    checks.require_clean_tree(repo)
    versions.require_agreement(root)
    checks.require_metadata_agreement(root, read_descriptor(root))
    checks.require_unreleased(repo, dist, version)
    tags = repo.release_tags()
    previous = Version.parse(tags[-1][1:]) if tags else None
    epoch = source_date_epoch(lambda: int(time.time()))
    created = dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    with tempfile.TemporaryDirectory(prefix="cnplans-release-") as scratch:
        work = repo.tracked_copy(Path(scratch) / "tree")
        edits = _stamp_edits(work, str(version), created)
        stamp.apply(work, edits)

        diff: PackageDiff | None = None
        reasons: list[Reason] = []
        if previous is not None:
            say(f"comparing with {previous.tag} …")
            diff = compare(snapshot.from_git(repo, previous.tag), snapshot.from_directory(work))
            reasons = check(previous, version, diff)
        section = changelog.release_section(
            version, created[:10], diff, reasons, snapshot.from_directory(work),
            previous=previous, limit=options.changelog_limit,
        )  # fmt: skip
        existing = (work / CHANGELOG).is_file() and (work / CHANGELOG).read_text(encoding="utf-8")
        edits[CHANGELOG] = changelog.insert(existing or None, section)
        stamp.apply(work, {CHANGELOG: edits[CHANGELOG]})

        say("validating the stamped data with `cnplans validate` …")
        checks.run_validator(work, options.validate_command)

        def record_zip(archive: Path) -> None:
            text = _registry_with(work, str(version), file_sha256(archive))
            if text is not None:
                edits[REGISTRY] = text
                stamp.apply(work, {REGISTRY: text})

        say(f"building the artifacts of {version} …")
        staging = build_staged(work, dist, str(version), epoch, options.build, after_zip=record_zip)
        edits = {
            path: text
            for path, text in edits.items()
            if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text
        }
        try:
            stamp.apply(root, edits)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    folder = finalize(staging, dist, str(version))
    edited = sorted(edits)
    commit = None
    if options.commit:
        try:
            commit = repo.commit(edited, f"Release {version}", epoch=epoch)
            repo.tag(version.tag, f"cnplans {version}", epoch=epoch)
        except ReleaseStepError as exc:
            raise ReleaseStepError(
                f"{exc}\nThe files are stamped and the artifacts are in {folder}, but the release "
                "was not committed. Commit and tag it by hand:\n  "
                + _manual_commit(edited, version, epoch)
            ) from None
    return ReleaseResult(version, previous, folder, edited, commit, epoch)


def _stamp_edits(work: Path, version: str, created: str) -> dict[str, str]:
    """New texts of the files that carry the version, stamped from the files in ``work``."""
    descriptor = stamp.stamped(work, read_descriptor(work), version=version, created=created)
    texts = {
        name: (work / name).read_text(encoding="utf-8") for name in (PYPROJECT, CITATION, ZENODO)
    }
    citation = set_scalar(texts[CITATION], "version", version)
    return {
        PYPROJECT: pyproject_with_version(texts[PYPROJECT], version),
        DESCRIPTOR_NAME: dump_descriptor(descriptor),
        CITATION: set_scalar(citation, "date-released", created[:10]),
        ZENODO: zenodo_with_version(texts[ZENODO], version),
    }


def _registry_with(work: Path, version: str, digest: str) -> str | None:
    """releases.json text with this release's zip sha256, or None if the package has none."""
    path = work.joinpath(*PurePosixPath(REGISTRY).parts)
    if not path.is_file():
        return None
    entries = parse_json(path.read_text(encoding="utf-8") or "{}", str(path))
    if not isinstance(entries, dict):
        raise ReleaseStepError(f"{REGISTRY} must be a JSON object {{version: sha256}}")
    entries[version] = digest
    return json.dumps(dict(sorted(entries.items())), indent=2) + "\n"


def _manual_commit(paths: list[str], version: Version, epoch: int) -> str:
    dates = f"GIT_AUTHOR_DATE='@{epoch} +0000' GIT_COMMITTER_DATE='@{epoch} +0000'"
    return (
        f"git add {shlex.join(paths)} && {dates} git commit -m 'Release {version}' && "
        f"GIT_COMMITTER_DATE='@{epoch} +0000' git tag -a {version.tag} -m 'cnplans {version}'"
    )


def summary(result: ReleaseResult) -> str:
    """What the maintainer reads at the end of a release."""
    files = sorted(p.name for p in result.folder.iterdir())
    kind = "first release" if result.previous is None else f"after {result.previous}"
    lines = [
        f"Released cnplans {result.version} ({kind}).",
        f"  stamped: {', '.join(result.edited)}",
        f"  artifacts: {result.folder} ({len(files)} files, checksums in SHA256SUMS)",
    ]
    if result.commit:
        lines += [
            f"  committed as {result.commit[:12]} and tagged {result.version.tag}",
            "Next: review the commit, push it and the tag "
            f"(git push origin HEAD {result.version.tag}), then publish:",
            f"  nox -s publish -- {result.version} --to github",
            f"  nox -s publish -- {result.version} --to zenodo",
        ]
    else:
        lines += [
            "  not committed (--no-commit). Commit and tag with the release time, so the tag "
            "rebuilds byte-identical artifacts:",
            f"  {_manual_commit(result.edited, result.version, result.epoch)}",
        ]
    return "\n".join(lines)
