"""``publish X.Y.Z --to github|zenodo``: check the built artifacts, then publish them.

Tokens come from ``GITHUB_TOKEN`` and ``ZENODO_TOKEN`` and are never printed; base URLs from the
options or the ``CNPLANS_*_URL`` variables. After Zenodo publishes, the DOI is written into
CITATION.cff and README.md together.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnplans.datapackage import read_descriptor
from cnplans.datapackage.hashes import SUMS_NAME

from .. import changelog, checksums
from ..citation import CITATION, README, read_citation, read_zenodo, readme_with_doi, set_scalar
from ..errors import ReleaseStepError
from ..semver import Version
from ..stamp import apply
from . import github, zenodo
from .http import Client
from .state import Progress, State

TOKEN_ENV = {"github": "GITHUB_TOKEN", "zenodo": "ZENODO_TOKEN"}
GITHUB_API_ENV = "CNPLANS_GITHUB_API_URL"
GITHUB_UPLOADS_ENV = "CNPLANS_GITHUB_UPLOADS_URL"
ZENODO_URL_ENV = "CNPLANS_ZENODO_URL"
REPO_ENV = "GITHUB_REPOSITORY"


@dataclass(frozen=True)
class PublishOptions:
    to: str
    dist: Path
    dry_run: bool = False
    repo: str | None = None
    github_api_url: str | None = None
    github_uploads_url: str | None = None
    zenodo_url: str | None = None
    zenodo_new_version_of: str | None = None


def artifacts_of(dist: Path, version: Version) -> list[Path]:
    """Every file of the built release, checked against SHA256SUMS, SHA256SUMS last."""
    folder = dist / f"cnplans-{version}"
    if not folder.is_dir():
        raise ReleaseStepError(
            f"{folder} does not exist; build the release first (nox -s release -- {version})"
        )
    sums = checksums.verify(folder)
    return [folder / name for name in sorted(sums)] + [folder / SUMS_NAME]


def publish(
    root: Path, version_text: str, options: PublishOptions, *, say: Callable[[str], None] = print
) -> int:
    """Publish release ``version_text``; returns 0, or 1 after reporting a failure."""
    root = root.resolve()
    version = Version.parse(version_text)
    dist = root / options.dist  # an absolute --dist stays as it is
    artifacts = artifacts_of(dist, version)
    token_name = TOKEN_ENV[options.to]
    token = os.environ.get(token_name) or None
    if token is None and not options.dry_run:
        raise ReleaseStepError(
            f"{token_name} is not set; export a token that may publish to {options.to} "
            "(it is read from the environment only and never printed)"
        )
    state = State.load(dist / f"cnplans-{version}.publish.json")
    state.persist = not options.dry_run
    client = Client(token, options.dry_run, say, github.HEADERS if options.to == "github" else {})
    if options.to == "github":
        target = _github_target(options)
        path = root / "CHANGELOG.md"
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        notes = changelog.section(text, str(version)) or f"cnplans {version}"
        progress = Progress(github.plan(artifacts))
        try:
            url = github.publish(client, target, str(version), artifacts, notes, state, progress)
        except ReleaseStepError as exc:
            return _failed(client, "GitHub", exc, progress, version)
        client.say(f"GitHub release of cnplans {version}: {url}")
        return 0
    metadata = _zenodo_metadata(root, version, state)
    zenodo_target = zenodo.ZenodoTarget(
        url=options.zenodo_url or os.environ.get(ZENODO_URL_ENV) or zenodo.ZENODO_URL,
        new_version_of=options.zenodo_new_version_of,
    )
    progress = Progress(zenodo.plan(artifacts))
    try:
        identifiers = zenodo.publish(client, zenodo_target, artifacts, metadata, state, progress)
    except ReleaseStepError as exc:
        return _failed(client, "Zenodo", exc, progress, version)
    doi = identifiers["doi"]
    if options.dry_run:
        client.say(f"[dry run] would write the DOI into {CITATION} and {README}")
        return 0
    write_doi(root, doi)
    client.say(
        f"Zenodo published cnplans {version}: DOI {doi}. {CITATION} and {README} now carry it; "
        "commit them."
    )
    return 0


def _github_target(options: PublishOptions) -> github.GitHubTarget:
    repo = options.repo or os.environ.get(REPO_ENV)
    if not repo or repo.count("/") != 1:
        raise ReleaseStepError(
            f"say which GitHub repository to publish to: --repo OWNER/NAME (or {REPO_ENV})"
        )
    return github.GitHubTarget(
        repo=repo,
        api_url=options.github_api_url or os.environ.get(GITHUB_API_ENV) or github.API_URL,
        uploads_url=(
            options.github_uploads_url or os.environ.get(GITHUB_UPLOADS_ENV) or github.UPLOADS_URL
        ),
    )


def _zenodo_metadata(root: Path, version: Version, state: State) -> dict[str, Any]:
    """The deposition's metadata, from the release commit's files."""
    descriptor = read_descriptor(root)
    if descriptor.get("version") != str(version):
        raise ReleaseStepError(
            f"datapackage.json is at version {descriptor.get('version')!r}, not {version}; "
            f"publish from the release commit (git checkout {version.tag})"
        )
    citation = read_citation(root)
    github_url = state.section("github").get("html_url")
    related = [u for u in (github_url, citation.get("repository-code")) if u]
    return zenodo.deposition_metadata(descriptor, citation, read_zenodo(root), related_urls=related)


def write_doi(root: Path, doi: str) -> None:
    """Put ``doi`` into CITATION.cff and README.md, replacing both files together."""
    edits = {CITATION: set_scalar((root / CITATION).read_text(encoding="utf-8"), "doi", doi)}
    if (root / README).is_file():
        edits[README] = readme_with_doi((root / README).read_text(encoding="utf-8"), doi)
    apply(root, edits)


def _failed(
    client: Client, service: str, exc: Exception, progress: Progress, version: Version
) -> int:
    client.say(f"publishing to {service} stopped: {exc}")  # say() redacts the token
    client.say(progress.report())
    client.say(
        f"Rerun `nox -s publish -- {version} --to {service.lower()}` to resume: what is already "
        "published is found and skipped, not duplicated."
    )
    return 1
