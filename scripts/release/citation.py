"""Small, format-preserving edits of CITATION.cff, .zenodo.json and the README's DOI line.

CITATION.cff is edited line by line (top-level ``key: value`` scalars only) so its comments,
order and layout survive; it is read with PyYAML for checks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cnplans.datapackage import PackageError, citation, parse_json, read_text

from .errors import ReleaseStepError

CITATION = citation.CITATION_NAME
ZENODO = ".zenodo.json"
README = "README.md"
DOI_START = "<!-- cnplans:doi -->"
DOI_END = "<!-- /cnplans:doi -->"


def parsed_citation(root: Path) -> dict[str, Any] | None:
    """CITATION.cff as a dict, None when the package has none; a malformed file is an error."""
    try:
        found = citation.read_citation(root)
    except PackageError as exc:
        raise ReleaseStepError(str(exc)) from None
    return found[1] if found else None


def read_citation(root: Path) -> dict[str, Any]:
    """CITATION.cff as a dict; a missing or malformed file is an error naming it."""
    data = parsed_citation(root)
    if data is None:
        raise ReleaseStepError(
            f"{root / CITATION} does not exist (expected the citation metadata a release needs)"
        )
    return data


def read_zenodo(root: Path) -> dict[str, Any]:
    """.zenodo.json as a dict; a missing or malformed file is an error naming it."""
    path = root / ZENODO
    data = parse_json(read_text(path, expected="the Zenodo metadata a release needs"), str(path))
    if not isinstance(data, dict):
        raise ReleaseStepError(f"{path}: expected a JSON object")
    return data


def set_scalar(text: str, key: str, value: str, *, after: str = "version") -> str:
    """CFF text with top-level ``key`` set to the quoted string ``value``.

    An existing ``key:`` line is replaced; otherwise the line goes after the ``after:`` line (or
    at the end).

    >>> set_scalar('title: "x"\\nversion: "1.0.0"\\n', "version", "1.1.0")
    'title: "x"\\nversion: "1.1.0"\\n'
    >>> set_scalar('version: "1.0.0"\\nlicense: MIT\\n', "doi", "10.5281/zenodo.1")
    'version: "1.0.0"\\ndoi: "10.5281/zenodo.1"\\nlicense: MIT\\n'
    """
    line = f"{key}: {json.dumps(value, ensure_ascii=False)}"
    pattern = re.compile(rf"^{re.escape(key)}:[^\n]*$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(lambda _: line, text, count=1)
    anchor = re.compile(rf"^{re.escape(after)}:[^\n]*$", re.MULTILINE).search(text)
    if anchor is None:
        return text.rstrip("\n") + "\n" + line + "\n"
    return text[: anchor.end()] + "\n" + line + text[anchor.end() :]


def zenodo_with_version(text: str, version: str) -> str:
    """.zenodo.json text with ``version`` set (two-space indent, key order kept)."""
    data = json.loads(text)
    data["version"] = version
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def readme_with_doi(text: str, doi: str) -> str:
    """README text whose DOI block (between the cnplans:doi markers) names ``doi``.

    Without the markers, the block goes below the first ``# `` title.
    """
    block = f"{DOI_START}\nDOI: [{doi}](https://doi.org/{doi})\n{DOI_END}"
    if DOI_START in text and DOI_END in text:
        head, _, rest = text.partition(DOI_START)
        _, _, tail = rest.partition(DOI_END)
        return head + block + tail
    lines = text.splitlines()
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
    new = [
        *lines[:at],
        "",
        block,
        *([""] if at < len(lines) and lines[at].strip() else []),
        *lines[at:],
    ]
    return "\n".join(new).rstrip("\n") + "\n"
