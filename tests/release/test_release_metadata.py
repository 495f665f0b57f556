"""The citation metadata stays in step with the descriptor, in the real repository's files."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tomllib

import yaml
from release_support import REPO

from scripts.release import checks
from scripts.release.citation import DOI_END, DOI_START, readme_with_doi, set_scalar


def descriptor() -> dict:
    return json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))


def test_citation_and_zenodo_metadata_agree_with_the_descriptor() -> None:
    package = descriptor()
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    zenodo = json.loads((REPO / ".zenodo.json").read_text(encoding="utf-8"))
    assert checks.metadata_disagreements(REPO, package) == []
    assert citation["title"] == zenodo["title"] == package["title"]
    assert citation["license"] == package["licenses"][0]["name"]
    assert zenodo["license"] == package["licenses"][0]["name"].lower()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    versions = {citation["version"], zenodo["version"], package["version"]}
    assert versions == {pyproject["project"]["version"]}
    assert citation["cff-version"] == "1.2.0"
    assert citation["type"] == "dataset"
    assert zenodo["upload_type"] == "dataset"


def test_descriptor_carries_release_metadata_without_invented_values() -> None:
    package = descriptor()
    created = dt.datetime.strptime(package["created"], "%Y-%m-%dT%H:%M:%SZ")
    assert created.year >= 2024
    assert package["contributors"] == [{"title": "cnplans contributors", "role": "author"}]
    if "homepage" in package:  # only a real address may be given
        assert package["homepage"].startswith("https://")
    with (REPO / "resources" / "sources.csv").open(encoding="utf-8", newline="") as file:
        documents = [{"title": r["title"], "path": r["path"]} for r in csv.DictReader(file)]
    assert package["sources"] == documents
    for document in documents:
        assert (REPO / document["path"]).is_file()


def test_set_scalar_keeps_the_rest_of_the_citation_file() -> None:
    text = '# comment\ntitle: "T"\nversion: "1.0.0"\nauthors:\n  - name: "x"\n'
    updated = set_scalar(set_scalar(text, "version", "1.1.0"), "date-released", "2026-01-02")
    assert updated == (
        '# comment\ntitle: "T"\nversion: "1.1.0"\ndate-released: "2026-01-02"\n'
        'authors:\n  - name: "x"\n'
    )
    assert yaml.safe_load(set_scalar(updated, "doi", "10.5072/zenodo.7"))["doi"] == (
        "10.5072/zenodo.7"
    )


def test_readme_doi_block_is_inserted_once_and_then_replaced() -> None:
    first = readme_with_doi("# cnplans\n\nAn open data package.\n", "10.5072/zenodo.1")
    assert first == (
        f"# cnplans\n\n{DOI_START}\nDOI: [10.5072/zenodo.1](https://doi.org/10.5072/zenodo.1)\n"
        f"{DOI_END}\n\nAn open data package.\n"
    )
    second = readme_with_doi(first, "10.5072/zenodo.2")
    assert second.count(DOI_START) == 1
    assert "zenodo.2" in second and "zenodo.1" not in second
