"""The README.md of the release zip, for people who download the data (not for developers).

Everything about a table or field comes from the descriptor and the Table Schemas; the fixed
prose, which explains the CSV form and how to open the files in a spreadsheet, is the template
``scripts/release/templates/README.md.j2``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from cnplans.datapackage.citation import citation_text

from .tables import TypedTable

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True)
class Companion:
    """A file of the release the README names: its file name and what it holds."""

    name: str
    description: str
    schema: Any = None  # a TableSchema (cnplans.datapackage.table_schema) of a CSV, by field


def render(
    descriptor: dict[str, Any],
    tables: Sequence[TypedTable],
    folder: str,
    overviews: Sequence[Companion] = (),
    beside: Sequence[Companion] = (),
    citation: Mapping[str, Any] | None = None,
) -> str:
    """The README text of the release zip whose single folder is ``folder``; ``citation`` is
    CITATION.cff as parsed, when the package has one."""
    environment = jinja2.Environment(  # markdown, not HTML: nothing to escape
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["cell"] = _cell
    environment.filters["code"] = lambda value: f"`{value}`"
    title = str(descriptor.get("title") or descriptor.get("name", ""))
    version = str(descriptor.get("version", ""))
    return environment.get_template("README.md.j2").render(
        descriptor={"description": descriptor.get("description")},
        title=title,
        version=version,
        folder=folder,
        contents=_contents(tables, overviews),
        beside=beside,
        joins=[
            (t.name, fk.fields, fk.resource or t.name, fk.reference_fields)
            for t in tables
            for fk in t.schema.foreign_keys
        ],
        tables=tables,
        overviews=overviews,
        has_sources=any(t.name == "sources" for t in tables),
        documents=[
            s["title"]
            for s in descriptor.get("sources", [])
            if isinstance(s, dict) and s.get("title")
        ],
        reference=citation_text(citation or {}, descriptor),
        licences=[
            _licence_name(lic) for lic in descriptor.get("licenses", []) if isinstance(lic, dict)
        ],
    )


def _cell(text: object) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _contents(
    tables: Sequence[TypedTable], overviews: Sequence[Companion]
) -> list[tuple[str, str]]:
    def summary(table: TypedTable) -> str:
        rows = len(table.frame)
        return f"{table.resource.get('title') or table.name}: {rows} row{'' if rows == 1 else 's'}"

    return [
        ("datapackage.json", "The descriptor: every table, its file, its Table Schema, licence"),
        *((str(t.resource.get("path")), summary(t)) for t in tables),
        ("schemas/*.json", "The Table Schema of each table: field types, constraints and keys"),
        *((o.name, o.description.split(". ")[0].rstrip(".") + ".") for o in overviews),
        ("CITATION.cff", "How to cite this release (Citation File Format)"),
        ("CHANGELOG.md", "What changed in each release"),
        ("LICENSE", "The licence of the code that builds the package"),
    ]


def _licence_name(licence: dict[str, Any]) -> str:
    """ "Title (`id`) <url>", leaving out what the licence does not give."""
    title, name, path = licence.get("title"), licence.get("name"), licence.get("path")
    parts = [str(title or licence.get("name", "")), f"(`{name}`)" if title and name else ""]
    return " ".join(p for p in [*parts, f"<{path}>" if path else ""] if p)
