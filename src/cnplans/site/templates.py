"""Page parts shared by every page: the page shell, table cells, data tables, data dictionaries.

Every value from the package reaches the page through :mod:`cnplans.site.markup`, which escapes
it. Links between pages are relative, so the site works from ``file://`` and from any folder.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

from cnplans.site.markup import Html, concat, el, esc
from cnplans.site.package import (
    DATA_FOLDER,
    QUOTE_FIELD,
    SOURCE_FIELD,
    SOURCE_LANGUAGE_FIELD,
    SOURCE_PATH_FIELD,
    SOURCES_TABLE,
    Package,
    Row,
    SiteError,
    Table,
)
from cnplans.table_schema import Field, ForeignKey

PLANS_TABLE = "plans"
NUMERIC_TYPES = frozenset({"number", "integer"})
# Fields whose name ends so are in that unit (the team's naming rule: names say their units).
# Longest first, so ``_per_usd`` wins over ``_usd``.
UNIT_SUFFIXES: list[tuple[str, str]] = [
    ("_per_usd", "units of currency per US dollar"),
    ("_cny", "CNY (yuan)"),
    ("_usd", "USD (US dollars)"),
    ("_percent", "percent"),
    ("_bytes", "bytes"),
]
UNIT_NAMES = {"usd": "USD (US dollars)", "cny": "CNY (yuan)"}
LANGUAGE_SUFFIXES = {"_zh": "zh", "_en": "en"}
LABEL_FIELDS = ("title", "name", "name_en", "summary", "subject")
SAFE_PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

PAGE = string.Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<meta name="description" content="$description">
<link rel="stylesheet" href="${root}assets/site.css">
<link rel="stylesheet" href="${root}assets/print.css" media="print">
<script src="${root}assets/site.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to the content</a>
<header class="site-header">
<p class="brand"><a href="${root}index.html">$brand</a>
<span class="version">version $version</span></p>
<nav aria-label="Pages">$nav</nav>
</header>
<main id="main">
$main
</main>
<footer class="site-footer">
<p>$footer</p>
</footer>
</body>
</html>
"""
)


def page_name(value: str, what: str) -> str:
    """``value`` as a file name for a page, refusing anything that is not a plain slug."""
    if not SAFE_PAGE_NAME.match(value):
        raise SiteError(
            f"{what} {value!r} cannot name a page file: use letters, digits, '.', '_' or '-'"
        )
    return value


def table_href(root: str, table_name: str, anchor: str | None = None) -> str:
    href = f"{root}tables/{page_name(table_name, 'table name')}.html"
    return f"{href}#{anchor}" if anchor else href


def plan_href(root: str, plan_id: str) -> str:
    return f"{root}plans/{page_name(plan_id, 'plan_id')}.html"


def page(
    *, package: Package, root: str, title: str, main: Html, description: str, current: str
) -> Html:
    """A whole HTML page: header with navigation, ``main``, footer."""
    links = [
        el("a", "Home", href=f"{root}index.html", aria_current="page" if current == "" else None)
    ]
    for table in package.tables:
        links.append(
            el(
                "a",
                table.title,
                href=table_href(root, table.name),
                aria_current="page" if current == table.name else None,
            )
        )
    nav = el("ul", [el("li", link) for link in links])
    footer = concat(
        [
            f"{package.title}, version {package.version}. Generated from ",
            el("a", "datapackage.json", href=f"{root}{DATA_FOLDER}/datapackage.json"),
            " and its Table Schemas; every page works offline.",
        ]
    )
    return Html(
        PAGE.substitute(
            title=esc(title),
            description=esc(description),
            root=esc(root),
            brand=esc(package.title),
            version=esc(package.version),
            nav=nav,
            main=main,
            footer=footer,
        )
    )


def inline_code(text: str) -> Html:
    """Text with its `backticked` parts as ``<code>`` (how the schemas write field names)."""
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unmatched backtick: show the text as written
        return esc(text)
    return concat(el("code", p) if i % 2 else p for i, p in enumerate(pieces))


def grouped_number(text: str) -> str:
    """``230000000000`` -> ``230,000,000,000``; decimals and anything unparsable stay as written."""
    match = re.fullmatch(r"(-?)(\d+)(\.\d+)?", text.strip())
    if match is None:
        return text
    sign, whole, fraction = match.groups()
    return f"{sign}{int(whole):,}{fraction or ''}"


def row_label(table: Table, row: Row) -> str:
    """A few words naming a row: its title or name when it has one, else its key."""
    for name in LABEL_FIELDS:
        if row.get(name):
            return row[name]
    return ", ".join(table.key(row))


def field_unit(table: Table, item: Field) -> str:
    """The unit a field is in: the schema's ``unit`` property, else what its name says."""
    declared = table.field_property(item.name, "unit")
    if declared:
        return str(declared)
    if item.name in UNIT_NAMES:
        return UNIT_NAMES[item.name]
    for suffix, unit in UNIT_SUFFIXES:
        if item.name.endswith(suffix):
            return unit
    return ""


def link_keys(table: Table) -> dict[str, ForeignKey]:
    """Field name -> the foreign key whose link that field's cell carries (the key's last field)."""
    return {fk.fields[-1]: fk for fk in table.schema.foreign_keys if fk.fields}


def _with_class(attrs: dict[str, object], name: str) -> dict[str, object]:
    attrs["class_"] = f"{attrs['class_']} {name}" if attrs.get("class_") else name
    return attrs


def cell_content(
    package: Package,
    table: Table,
    item: Field,
    row: Row,
    root: str,
    own_page: bool,
    labelled: bool = False,
) -> tuple[Html, dict[str, object]]:
    """What a field's value shows as (links for keys, quote with its source) and cell attributes.

    ``labelled`` adds the referenced row's name after a foreign key (for the plan pages' facts).
    """
    value = row.get(item.name, "")
    attrs: dict[str, object] = {}
    if item.type in NUMERIC_TYPES:
        attrs["class_"] = "num"
        if value:
            attrs["data_sort"] = value
    if value == "":
        return Html(""), attrs
    fk = link_keys(table).get(item.name)
    if table.schema.primary_key == [item.name]:
        if table.name == PLANS_TABLE:
            href = plan_href(root, value)
        elif own_page:
            href = f"#{table.anchor(row)}"
        else:
            href = table_href(root, table.name, table.anchor(row))
        return el("a", value, href=href), _with_class(attrs, "key")
    if fk is not None:
        found = package.referenced_row(fk, row)
        if found is None:
            return concat([value, " (no such row)"]), _with_class(attrs, "dangling")
        target_table, target_row = found
        label = row_label(target_table, target_row)
        link = el(
            "a",
            grouped_number(value) if item.type in NUMERIC_TYPES else value,
            href=table_href(root, target_table.name, target_table.anchor(target_row)),
            title=f"{target_table.title}: {label}",
        )
        if labelled and label != value:
            return concat([link, f" ({label})"]), attrs
        return link, _with_class(attrs, "key")
    if item.name == QUOTE_FIELD:
        return quote_content(package, row, root), _with_class(attrs, "quote")
    if table.name == SOURCES_TABLE and item.name == SOURCE_PATH_FIELD:
        return el("a", value, href=f"{root}{DATA_FOLDER}/{value}"), attrs
    if item.format == "uri" and value.startswith(("https://", "http://")):
        return el("a", value, href=value, rel="external noopener"), attrs
    if item.type in NUMERIC_TYPES:
        return esc(grouped_number(value)), attrs
    for suffix, language in LANGUAGE_SUFFIXES.items():
        if item.name.endswith(suffix):
            attrs["lang"] = language
    return esc(value), attrs


def quote_content(package: Package, row: Row, root: str) -> Html:
    """A verbatim quote in its source's language, with a link to the archived source text."""
    source = package.source(row.get(SOURCE_FIELD, ""))
    language = source.get(SOURCE_LANGUAGE_FIELD) if source else None
    parts: list[object] = [el("q", row[QUOTE_FIELD], lang=language or None)]
    if source and source.get(SOURCE_PATH_FIELD):
        parts += [
            " ",
            el(
                "a",
                "archived text",
                href=f"{root}{DATA_FOLDER}/{source[SOURCE_PATH_FIELD]}",
                class_="archive",
                title=f"The archived source: {source.get('title', row.get(SOURCE_FIELD, ''))}",
            ),
        ]
    return concat(parts)


def data_table(
    package: Package,
    table: Table,
    rows: Iterable[Row],
    *,
    root: str,
    own_page: bool,
    table_id: str,
    caption: str,
    fields: list[Field] | None = None,
) -> Html:
    """Rows as a ``<table class="data">`` (sortable and filterable by site.js, readable without)."""
    shown = fields if fields is not None else table.schema.fields
    head = el(
        "tr",
        [
            el(
                "th",
                f.name,
                scope="col",
                title=f.title or None,
                class_="num" if f.type in NUMERIC_TYPES else None,
            )
            for f in shown
        ],
    )
    body_rows = []
    for row in rows:
        cells = []
        for f in shown:
            content, attrs = cell_content(package, table, f, row, root, own_page)
            cells.append(el("td", content, **attrs))
        body_rows.append(el("tr", cells, id=table.anchor(row) if own_page else None))
    caption_id = f"{table_id}-caption"
    return el(
        "div",
        el(
            "table",
            el("caption", caption, id=caption_id),
            el("thead", head),
            el("tbody", body_rows),
            class_="data",
            id=table_id,
        ),
        class_="table-scroll",
        role="region",
        aria_labelledby=caption_id,
        tabindex="0",
    )


def constraints_text(table: Table, item: Field, root: str, known_tables: set[str]) -> Html:
    """The field's constraints and key roles in words, with links to referenced tables."""
    c = item.constraints
    parts: list[Html] = []
    if table.schema.primary_key and item.name in table.schema.primary_key:
        parts.append(
            esc("primary key" if len(table.schema.primary_key) == 1 else "part of the primary key")
        )
    if c.get("required"):
        parts.append(esc("required"))
    if c.get("unique"):
        parts.append(esc("unique"))
    if "enum" in c:
        parts.append(concat(["one of ", concat(_joined([el("code", v) for v in c["enum"]]))]))
    for key, words in (
        ("minimum", "at least"),
        ("maximum", "at most"),
        ("minLength", "at least {} characters"),
        ("maxLength", "at most {} characters"),
    ):
        if key in c:
            text = words.format(c[key]) if "{}" in words else f"{words} {c[key]}"
            parts.append(esc(text))
    if "pattern" in c:
        parts.append(concat(["matches ", el("code", c["pattern"])]))
    for fk in table.schema.foreign_keys:
        if item.name in fk.fields:
            target = ", ".join(f"{fk.resource}.{name}" for name in fk.reference_fields)
            link = (
                el("a", target, href=table_href(root, fk.resource))
                if fk.resource in known_tables
                else esc(target)
            )
            parts.append(concat(["refers to ", link]))
    return concat(_joined(parts, "; "))


def _joined(parts: list[Html], separator: str = ", ") -> list[object]:
    out: list[object] = []
    for i, part in enumerate(parts):
        if i:
            out.append(separator)
        out.append(part)
    return out


def dictionary(table: Table, root: str, known_tables: set[str]) -> Html:
    """The data dictionary of a table, generated from its Table Schema."""
    head = el(
        "tr",
        [
            el("th", name, scope="col")
            for name in ("Field", "Title", "Type", "Unit", "Constraints", "Description")
        ],
    )
    rows = []
    for item in table.schema.fields:
        kind = item.type if item.format in ("", "default") else f"{item.type} ({item.format})"
        rows.append(
            el(
                "tr",
                el("th", el("code", item.name), scope="row"),
                el("td", item.title),
                el("td", kind),
                el("td", field_unit(table, item)),
                el("td", constraints_text(table, item, root, known_tables)),
                el("td", inline_code(item.description)),
                id=f"field-{item.name}",
            )
        )
    caption_id = f"dictionary-{table.name}-caption"
    return el(
        "div",
        el(
            "table",
            el("caption", f"Data dictionary of {table.name}", id=caption_id),
            el("thead", head),
            el("tbody", rows),
            class_="dictionary",
        ),
        class_="table-scroll",
        role="region",
        aria_labelledby=caption_id,
        tabindex="0",
    )


@dataclass(frozen=True)
class Counted:
    """One line of a summary table: a label (maybe linked) and how many rows it counts."""

    label: Html
    count: int


def count_table(caption: str, headers: tuple[str, str], lines: list[Counted]) -> Html:
    """A two-column summary table (label, count) with a caption and column headers."""
    return el(
        "table",
        el("caption", caption),
        el(
            "thead",
            el(
                "tr",
                el("th", headers[0], scope="col"),
                el("th", headers[1], scope="col", class_="num"),
            ),
        ),
        el(
            "tbody",
            [el("tr", el("td", line.label), el("td", line.count, class_="num")) for line in lines],
        ),
        class_="summary",
    )
