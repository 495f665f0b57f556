"""The version number in pyproject.toml, datapackage.json, CITATION.cff and .zenodo.json.

When the ``cnplans`` of this Python was installed from this folder, its metadata is checked too:
an editable install keeps the version it had when it was installed.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata
from pathlib import Path

from cnplans.datapackage import read_descriptor, read_text
from cnplans.datapackage.paths import DESCRIPTOR_NAME as DESCRIPTOR

from .citation import CITATION, ZENODO, read_citation, read_zenodo
from .errors import Refused, ReleaseStepError

PYPROJECT = "pyproject.toml"


def installed_version(root: Path) -> str | None:
    """Version of the ``cnplans`` installed from ``root`` (None if it came from elsewhere)."""
    try:
        distribution = metadata.distribution("cnplans")
        url = json.loads(distribution.read_text("direct_url.json") or "{}").get("url")
    except (metadata.PackageNotFoundError, json.JSONDecodeError):
        return None
    return distribution.version if url == root.resolve().as_uri() else None


def require_agreement(root: Path) -> str:
    """The one version every file states; refuse (listing them) when they disagree."""
    descriptor = read_descriptor(root)
    path = root / PYPROJECT
    try:
        data = tomllib.loads(read_text(path, expected="the project's pyproject.toml"))
    except tomllib.TOMLDecodeError as exc:
        raise ReleaseStepError(f"{path} is not valid TOML: {exc}") from None
    stated = data.get("project", {}).get("version")
    if not isinstance(stated, str):
        raise ReleaseStepError(f"{path} has no [project] version string")
    found = {  # where each version is written -> the version found there
        f"{PYPROJECT} [project].version": stated,
        f"{DESCRIPTOR} version": str(descriptor.get("version")),
        f"{CITATION} version": str(read_citation(root).get("version")),
        f"{ZENODO} version": str(read_zenodo(root).get("version")),
    }
    installed = installed_version(root)
    if installed is not None:
        found["cnplans.__version__ (the cnplans installed from this folder)"] = installed
    distinct = sorted(set(found.values()))
    if len(distinct) != 1:
        listing = "\n".join(f"  - {where}: {version}" for where, version in found.items())
        raise Refused(
            "the version numbers disagree, so it is unclear which release this tree is:\n"
            f"{listing}\nMake them equal (reinstall with `pip install -e .` if only the "
            "installed cnplans differs) and commit, then release again."
        )
    return distinct[0]


def pyproject_with_version(text: str, version: str) -> str:
    """pyproject.toml text with ``[project].version`` set, everything else untouched."""
    section = re.search(r"(?ms)^\[project\][ \t]*\n(.*?)(?=^\[|\Z)", text)
    if section is None:
        raise ReleaseStepError(f"{PYPROJECT} has no [project] table")
    body = section.group(1)
    line = re.compile(r'(?m)^(version[ \t]*=[ \t]*)"[^"\n]*"')
    if not line.search(body):
        raise ReleaseStepError(f'{PYPROJECT} [project] has no line version = "X.Y.Z"')
    new_body = line.sub(lambda m: f'{m.group(1)}"{version}"', body, count=1)
    return text[: section.start(1)] + new_body + text[section.end(1) :]
