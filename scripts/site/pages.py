"""What each page shows, worked out from the package; ``templates/*.html.j2`` lay it out.

The templates get a :class:`View` of the package for the page's folder (links between pages are
relative, so the site works from ``file://`` and from any folder) and escape every value.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from humanize import naturalsize

from cnplans import loader
from cnplans.datapackage import csv_form
from cnplans.datapackage.citation import citation_text
from cnplans.datapackage.errors import CnplansError
from cnplans.datapackage.table_schema import Field
from cnplans.loader import overviews

from . import chart
from .downloads import Download
from .package import (
    CITATION_NAME,
    DATA_FOLDER,
    QUOTE_FIELD,
    SOURCE_PATH_FIELD,
    SOURCES_TABLE,
    Package,
    Row,
    SiteError,
    Table,
)
from .render import ENVIRONMENT

PLANS_TABLE = "plans"
TARGETS_TABLE = "targets"
REGIONS_TABLE = "regions"
CHART_FILE = "money-targets.svg"
NUMERIC_TYPES = frozenset({"number", "integer"})
# A field whose name ends so is in that unit (names say their units); longest first.
UNIT_SUFFIXES = [
    ("_per_usd", "units of currency per US dollar"),
    ("_cny", "CNY (yuan)"),
    ("_usd", "USD (US dollars)"),
    ("_percent", "percent"),
    ("_bytes", "bytes"),
]
UNIT_NAMES = {"usd": "USD (US dollars)", "cny": "CNY (yuan)"}
LANGUAGE_SUFFIXES = {"_zh": "zh", "_en": "en"}
LABEL_FIELDS = ("title", "name", "name_en", "summary", "subject")
LONG_TEXT_FIELDS = (QUOTE_FIELD, "notes")  # wrapped in a bounded width, shown last
SAFE_PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def page_name(value: str, what: str) -> str:
    """``value`` as a file name for a page, refusing anything that is not a plain slug."""
    if not SAFE_PAGE_NAME.match(value):
        raise SiteError(
            f"{what} {value!r} cannot name a page file: use letters, digits, '.', '_' or '-'"
        )
    return value


def grouped_number(text: str) -> str:
    """Thousands separators for whole numbers; decimals and anything else stay as written.

    >>> grouped_number("230000000000"), grouped_number("-1500.25"), grouped_number("n/a")
    ('230,000,000,000', '-1,500.25', 'n/a')
    """
    match = re.fullmatch(r"(-?)(\d+)(\.\d+)?", text.strip())
    if match is None:
        return text
    sign, whole, fraction = match.groups()
    return f"{sign}{int(whole):,}{fraction or ''}"


def row_label(table: Table, row: Row) -> str:
    """A few words naming a row: its title or name when it has one, else its key."""
    return next((row[n] for n in LABEL_FIELDS if row.get(n)), ", ".join(table.key(row)))


def shown_fields(table: Table) -> list[Field]:
    """The fields in the order pages show them: the key, the content, the ids that point at
    other tables, then long text (quote, notes). Files and dictionaries keep the schema's order."""
    key = table.schema.primary_key
    links = {name for fk in table.schema.foreign_keys for name in fk.fields}

    def rank(item: Field) -> int:
        if item.name in key:
            return 0
        return 3 if item.name in LONG_TEXT_FIELDS else 2 if item.name in links else 1

    return sorted(table.schema.fields, key=rank)


def field_unit(item: Field) -> str:
    """The unit a field is in, as its name says (``investment_cny`` -> ``CNY (yuan)``)."""
    if item.name in UNIT_NAMES:
        return UNIT_NAMES[item.name]
    return next((unit for suffix, unit in UNIT_SUFFIXES if item.name.endswith(suffix)), "")


@dataclass(frozen=True)
class Cell:
    """What one value shows as: text, or a link with text after it, or a quote."""

    css: str | None = None  # its class besides "num": key, dangling, quote
    text: str = ""
    href: str | None = None
    title: str | None = None  # the link's tooltip
    rel: str | None = None
    after: str = ""
    quote: Row | None = None  # the row whose quote it is
    lang: str | None = None


@dataclass(frozen=True)
class View:
    """The package as seen from a page ``root`` away from the site's top ("" or "../")."""

    package: Package
    root: str

    def table_href(self, table_name: str, anchor: str | None = None) -> str:
        href = f"{self.root}tables/{page_name(table_name, 'table name')}.html"
        return f"{href}#{anchor}" if anchor else href

    def plan_href(self, plan_id: str) -> str:
        return f"{self.root}plans/{page_name(plan_id, 'plan_id')}.html"

    def data_href(self, relative: object) -> str:
        return f"{self.root}{DATA_FOLDER}/{relative}"

    def cell(
        self, table: Table, item: Field, row: Row, own_page: bool, labelled: bool = False
    ) -> Cell:
        """How ``row``'s value of ``item`` shows: keys and references as links, quotes with
        their source, numbers grouped. ``labelled`` names the referenced row after the link."""
        value = row.get(item.name, "")
        numeric = item.type in NUMERIC_TYPES
        if value == "":
            return Cell()
        if table.schema.primary_key == [item.name]:
            if table.name == PLANS_TABLE:
                href = self.plan_href(value)
            elif own_page:
                href = f"#{table.anchor(row)}"
            else:
                href = self.table_href(table.name, table.anchor(row))
            return Cell("key", text=value, href=href)
        fk = next((fk for fk in table.schema.foreign_keys if fk.fields[-1:] == [item.name]), None)
        if fk is not None:
            found = self.package.referenced_row(fk, row)
            if found is None:
                return Cell("dangling", text=value, after=" (no such row)")
            target, target_row = found
            label = row_label(target, target_row)
            named = labelled and label != value  # the label follows the link instead
            return Cell(
                None if named else "key",
                text=grouped_number(value) if numeric else value,
                href=self.table_href(target.name, target.anchor(target_row)),
                title=f"{target.title}: {label}",
                after=f" ({label})" if named else "",
            )
        if item.name == QUOTE_FIELD:
            return Cell("quote", quote=row)
        if table.name == SOURCES_TABLE and item.name == SOURCE_PATH_FIELD:
            return Cell(text=value, href=self.data_href(value))
        if item.format == "uri" and value.startswith(("https://", "http://")):
            return Cell(text=value, href=value, rel="external noopener")
        if numeric:
            return Cell(text=grouped_number(value))
        languages = (lang for end, lang in LANGUAGE_SUFFIXES.items() if item.name.endswith(end))
        return Cell(lang=next(languages, None), text=value)

    def constraints(self, table: Table, item: Field) -> list[tuple[str, str, str | None]]:
        """The field's key roles and constraints as ``(prefix, text, link)`` parts.

        The constraints are worded by
        :meth:`cnplans.datapackage.table_schema.Field.constraints_text`, as ``cnplans.describe()``
        words them; a foreign key links to the table it refers to.
        """
        key = table.schema.primary_key
        parts: list[tuple[str, str, str | None]] = []
        if item.name in key:
            parts.append(("", "primary key" if len(key) == 1 else "part of the primary key", None))
        if worded := item.constraints_text():
            parts.append(("", worded, None))
        known = {t.name for t in self.package.tables}
        for fk in table.schema.foreign_keys:
            if item.name in fk.fields:
                target = ", ".join(f"{fk.resource}.{name}" for name in fk.reference_fields)
                href = self.table_href(fk.resource) if fk.resource in known else None
                parts.append(("refers to ", target, href))
        return parts


def _page(template: str, package: Package, root: str, current: str = "", **context: Any) -> str:
    """Render a page; ``current`` is the table whose navigation link is marked as this page."""
    return ENVIRONMENT.get_template(template).render(
        package=package,
        v=View(package, root),
        root=root,
        current=current,
        row_label=row_label,
        shown_fields=shown_fields,
        human_size=naturalsize,
        field_unit=field_unit,
        numeric_types=NUMERIC_TYPES,
        **context,
    )


# ---------------------------------------------------------------- home page


def _region(package: Package, plan: Row) -> tuple[Table, Row] | None:
    """The regions row a plan points to, or None."""
    plans = package.table(PLANS_TABLE)
    fks = plans.schema.foreign_keys if plans else []
    fk = next((fk for fk in fks if fk.resource == REGIONS_TABLE), None)
    return None if fk is None else package.referenced_row(fk, plan)


def plan_labels(package: Package) -> dict[str, str]:
    """plan_id -> ``plan_id (Region)``, in the plans table's order."""
    plans = package.table(PLANS_TABLE)
    labels = {}
    for row in plans.rows if plans else []:
        found, plan_id = _region(package, row), row.get("plan_id", "")
        labels[plan_id] = plan_id if found is None else f"{plan_id} ({row_label(*found)})"
    return labels


def money_targets(package: Package) -> list[chart.MoneyTarget]:
    """The targets stated in a currency, as the chart draws them."""
    targets = package.table(TARGETS_TABLE)
    return [] if targets is None else chart.money_targets(targets.rows, plan_labels(package))


def regions_count(package: Package) -> list[tuple[str, tuple[Table, Row] | None, int]] | None:
    """``(region_id, its regions row, plans)`` per region, most plans first; None without plans."""
    plans = package.table(PLANS_TABLE)
    if plans is None:
        return None
    counts = Counter(row.get("region_id", "") for row in plans.rows)
    first = {row.get("region_id", ""): row for row in reversed(plans.rows)}  # its first plan
    lines = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(region_id, _region(package, first[region_id]), count) for region_id, count in lines]


def indicators_count(package: Package) -> list[tuple[str, int]] | None:
    """``(indicator, targets)`` in the schema's enum order, then others; None without targets."""
    targets = package.table(TARGETS_TABLE)
    if targets is None:
        return None
    counts = Counter(row.get("indicator", "") for row in targets.rows)
    order = next((f.enum or [] for f in targets.schema.fields if f.name == "indicator"), [])
    names = [n for n in order if counts.get(n)] + sorted(n for n in counts if n not in order)
    return [(name, counts[name]) for name in names]


OVERVIEW = "targets"
Facet = tuple[str, str, list[tuple[str, str]]]  # key, label, (value, text) options by text


def overview_table(package: Package) -> Table | None:
    """The home page's overview of targets (:func:`cnplans.loader.overviews.overview`) with its
    Table Schema, one row per target in the package's CSV form (a number shows as the files
    write it); None when the package lacks a table the overview is made from."""
    if any(package.table(name) is None for name in overviews.TABLES):
        return None
    try:
        frames = {name: loader.read_table(package.root, name) for name in overviews.TABLES}
        frame = overviews.overview(OVERVIEW, frames=frames)
    except CnplansError as exc:
        raise SiteError(f"the overview of {OVERVIEW} cannot be made: {exc}") from None
    overview_schema = overviews.schema(OVERVIEW)
    text = csv_form.frame_text(frame, overview_schema)
    return Table(
        name=overviews.view_name(OVERVIEW),
        title="Targets at a glance",
        description="One row per target with its region, plan, value in words, year and "
        'US dollars, made from the tables by `cnplans.overview("targets")`.',
        relative_path=PurePosixPath(f"overview-{OVERVIEW}.csv"),
        schema_relative_path=None,
        schema=overview_schema,
        rows=list(csv.DictReader(io.StringIO(text))),
    )


def facets(rows: list[Row]) -> list[Facet]:
    """The filters of the overview, each value once; a region's text follows its province's.

    Each row holds its values in ``data-<key>`` (space-separated); ``site.js`` matches the page's
    ``<select>`` choices against them (a region matches itself and the regions of its province).
    """
    places: dict[str, str] = {}
    for row in rows:
        province = f"{row['province_name_en']} {row['province_name_zh']}".strip()
        places[row["province_id"]] = province
        if row["region_id"] != row["province_id"]:
            region = f"{row['region_name_en']} {row['region_name_zh']}".strip()
            places[row["region_id"]] = f"{province} › {region}"
    found = [
        ("region", "Region", places),
        ("plan", "Plan", {row["plan_id"]: row["plan_title"] for row in rows}),
        ("indicator", "Indicator", {row["indicator"]: row["indicator"] for row in rows}),
        ("unit", "Unit", {row["unit"]: row["unit"] for row in rows}),
    ]
    return [
        (key, label, sorted(((v, t) for v, t in options.items() if v), key=lambda o: o[1]))
        for key, label, options in found
    ]


def home_page(package: Package, downloads: list[Download], has_release: bool) -> str:
    """The release's home page: the overview of targets, the chart, the files, how to cite it."""
    targets = money_targets(package)
    overview = overview_table(package)
    return _page(
        "index.html.j2",
        package,
        "",
        overview=overview,
        facets=facets(overview.rows if overview else []),
        grouped=grouped_number,
        downloads=downloads,
        has_release=has_release,
        citation=citation_text(package.citation, package.descriptor),
        citation_name=CITATION_NAME,
        chart=chart.render_svg(targets),
        chart_file=CHART_FILE,
        money=targets,
        amount_text=chart.amount_text,
        figure=chart.figure,
        has_usd=any(t.amounts("USD")[0] is not None for t in targets),
        regions=regions_count(package),
        indicators=indicators_count(package),
        plans=package.table(PLANS_TABLE),
        plan_labels=plan_labels(package),
    )


# ---------------------------------------------------------------- table and plan pages


def table_page(package: Package, table: Table, csv_download: Download | None) -> str:
    """A table's description, its rows, then its data dictionary."""
    return _page("table.html.j2", package, "../", table.name, table=table, csv=csv_download)


def plan_page(package: Package, plans: Table, plan_row: Row) -> str:
    """One plan with everything that points at it (every other table with a one-field foreign
    key to plans): targets, clusters, projects, measures."""
    plan_id = plan_row["plan_id"]
    sections = []
    for child in package.tables:
        fks = child.schema.foreign_keys
        fields = [fk.fields[0] for fk in fks if fk.resource == PLANS_TABLE and len(fk.fields) == 1]
        if not fields or child.name == PLANS_TABLE:
            continue
        field_name = fields[0]
        rows = [row for row in child.rows if row.get(field_name) == plan_id]
        shown = [
            f
            for f in shown_fields(child)
            if f.name != field_name and any(r.get(f.name) for r in rows)
        ]
        sections.append((child, rows, shown))
    return _page("plan.html.j2", package, "../", plans=plans, plan=plan_row, sections=sections)
