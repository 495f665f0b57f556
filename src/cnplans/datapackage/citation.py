"""How to cite the package: its ``CITATION.cff``, read, and the one-line citation built from it.

The workbook's README sheet, the release's README and the site all print :func:`citation_text`,
APA's form for a data set: ``Authors (year). Title (version X) [Data set]. link``. Each part
comes from ``CITATION.cff`` and, where the file is silent or absent, from the descriptor.

>>> cff = {"title": "Plans", "authors": [{"name": "A team"}], "version": "1.0.0",
...        "date-released": "2026-01-02", "doi": "10.5281/zenodo.1"}
>>> citation_text(cff, {})
'A team (2026). Plans (version 1.0.0) [Data set]. https://doi.org/10.5281/zenodo.1'
>>> citation_text({}, {"title": "Plans", "contributors": [{"title": "B. Wu"}], "version": "2.0.0"})
'B. Wu (n.d.). Plans (version 2.0.0) [Data set]'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cnplans.datapackage import PackageError, read_text

CITATION_NAME = "CITATION.cff"
_GIVEN_FAMILY = ("given-names", "family-names")


def read_citation(root: Path) -> tuple[str, dict[str, Any]] | None:
    """``root/CITATION.cff`` as written and as parsed, or None when the package has none; a
    file that is not a YAML mapping is a :class:`~cnplans.datapackage.PackageError`."""
    import yaml

    path = root / CITATION_NAME
    if not path.is_file():
        return None
    text = read_text(path, expected="a Citation File Format file")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise PackageError(f"{path}{place}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise PackageError(
            f"{path}: expected a mapping of CFF keys (cff-version, title, authors...)"
        )
    return text, data


def citation_text(cff: Mapping[str, Any], descriptor: Mapping[str, Any]) -> str:
    """The one-line citation from CITATION.cff's fields ``cff`` ({} without the file), with the
    descriptor's authors (contributors), title, version and year (``created``) where it is
    silent."""
    people = [p for p in cff.get("authors") or [] if isinstance(p, dict)]
    names = [
        p.get("name") or " ".join(str(p[k]) for k in _GIVEN_FAMILY if p.get(k)) for p in people
    ]
    if not any(names):
        contributors = [c for c in descriptor.get("contributors") or [] if isinstance(c, dict)]
        names = [c.get("title") for c in contributors if c.get("role", "author") == "author"]
    authors = ", ".join(str(name) for name in names if name) or "The authors"
    year = str(cff.get("date-released") or descriptor.get("created") or "")[:4] or "n.d."
    title = cff.get("title") or descriptor.get("title") or descriptor.get("name") or ""
    version = cff.get("version") or descriptor.get("version")
    named = f"{title} (version {version}) [Data set]" if version else f"{title} [Data set]"
    doi = cff.get("doi")
    link = f"https://doi.org/{doi}" if doi else cff.get("url") or cff.get("repository-code")
    return ". ".join(str(part) for part in (f"{authors} ({year})", named, link) if part)
