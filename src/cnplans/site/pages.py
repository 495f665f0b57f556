"""The site's pages: the home (download) page, one page per table, one page per plan."""

from __future__ import annotations

from collections import Counter
from typing import Any

from cnplans.site import chart
from cnplans.site.downloads import SUMS_NAME, Download, human_size
from cnplans.site.markup import Html, concat, el
from cnplans.site.package import CITATION_NAME, DATA_FOLDER, QUOTE_FIELD, Package, Table
from cnplans.site.templates import (
    PLANS_TABLE,
    Counted,
    cell_content,
    count_table,
    data_table,
    dictionary,
    inline_code,
    page,
    plan_href,
    quote_content,
    row_label,
    table_href,
)

TARGETS_TABLE = "targets"
REGIONS_TABLE = "regions"
CHART_FILE = "money-targets.svg"


# ---------------------------------------------------------------- home page


def home_page(package: Package, downloads: list[Download], has_release: bool) -> Html:
    """The download page of the release: what it is, how to cite it, files, chart, summary."""
    main = concat(
        [
            el(
                "header",
                el("h1", package.title),
                el("p", package.description, class_="lead"),
                facts(package),
                class_="intro",
            ),
            citation_section(package),
            downloads_section(package, downloads, has_release),
            chart_section(package),
            summary_section(package),
            plans_section(package),
            tables_section(package),
        ]
    )
    return page(
        package=package,
        root="",
        title=f"{package.title} — version {package.version}",
        main=main,
        description=package.description,
        current="",
    )


def facts(package: Package) -> Html:
    licenses = [
        el("a", item.get("title") or item.get("name"), href=item["path"], rel="license")
        if str(item.get("path", "")).startswith(("https://", "http://"))
        else el("span", item.get("title") or item.get("name", ""))
        for item in package.licenses
    ]
    keywords = ", ".join(str(k) for k in package.descriptor.get("keywords", []))
    total_rows = sum(len(t.rows) for t in package.tables)
    items: list[tuple[str, object]] = [
        ("Version", package.version),
        ("License", concat(licenses) if licenses else "not stated in datapackage.json"),
        ("Tables", f"{len(package.tables)} tables, {total_rows:,} rows"),
    ]
    if keywords:
        items.append(("Keywords", keywords))
    return el("dl", [concat([el("dt", k), el("dd", v)]) for k, v in items], class_="facts")


def citation_text(data: dict[str, Any]) -> str:
    """A one-line citation from CITATION.cff fields, using only the fields the file has."""
    authors = []
    for person in data.get("authors", []) or []:
        if not isinstance(person, dict):
            continue
        if person.get("name"):
            authors.append(str(person["name"]))
        else:
            names = [person.get("given-names"), person.get("family-names")]
            joined = " ".join(str(n) for n in names if n)
            if joined:
                authors.append(joined)
    released = str(data.get("date-released", ""))
    parts = []
    if authors:
        parts.append(", ".join(authors) + (f" ({released[:4]})." if released else "."))
    if data.get("title"):
        version = f", version {data['version']}" if data.get("version") else ""
        parts.append(f"{data['title']}{version}.")
    if data.get("doi"):
        parts.append(f"https://doi.org/{data['doi']}")
    elif data.get("url") or data.get("repository-code"):
        parts.append(str(data.get("url") or data.get("repository-code")))
    return " ".join(parts)


def citation_section(package: Package) -> Html:
    citation = package.citation
    body: list[object] = [el("h2", "How to cite", id="cite")]
    if citation is not None:
        line = citation_text(citation.data)
        if line:
            body.append(el("p", line, class_="citation"))
        body.append(
            el(
                "p",
                "The authors' citation metadata is in ",
                el("a", CITATION_NAME, href=CITATION_NAME),
                " (Citation File Format); reference managers and GitHub read it.",
            )
        )
        body.append(
            el(
                "details",
                el("summary", f"{CITATION_NAME} as written"),
                el("pre", el("code", citation.text)),
            )
        )
    else:
        licenses = ", ".join(str(x.get("name", "")) for x in package.licenses if x.get("name"))
        line = f"{package.title}, version {package.version}."
        if licenses:
            line += f" License: {licenses}."
        body.append(el("p", line, class_="citation"))
        body.append(
            el(
                "p",
                f"This release has no {CITATION_NAME}; the citation above is made from ",
                el("a", "datapackage.json", href=f"{DATA_FOLDER}/datapackage.json"),
                ". Cite the version you used.",
            )
        )
    return el("section", body, aria_labelledby="cite")


def downloads_section(package: Package, downloads: list[Download], has_release: bool) -> Html:
    body: list[object] = [el("h2", "Downloads", id="downloads")]
    if has_release:
        body.append(
            el(
                "p",
                "The release files and every CSV table, each with its size and SHA-256 digest. "
                "Check a file with ",
                el("code", "sha256sum FILE"),
                ", or all release files at once with ",
                el("code", f"sha256sum -c {SUMS_NAME}"),
                " in the folder you downloaded them to.",
            )
        )
    else:
        body.append(
            el(
                "p",
                f"No release files (zip, Excel, Parquet, SQLite) were built for version "
                f"{package.version} when this page was made, so it offers the package's own "
                "files: every CSV table and the descriptor, each with its size and SHA-256 "
                "digest. Check a file with ",
                el("code", "sha256sum FILE"),
                ".",
            )
        )
    head = el(
        "tr",
        [
            el("th", h, scope="col", class_="num" if h == "Size" else None)
            for h in ("File", "Format", "Size", "SHA-256")
        ],
    )
    rows = [
        el(
            "tr",
            el("td", el("a", d.file_name, href=str(d.site_path), download=d.file_name)),
            el("td", d.label),
            el(
                "td",
                human_size(d.size_bytes),
                class_="num",
                data_sort=d.size_bytes,
                data_bytes=d.size_bytes,
                title=f"{d.size_bytes:,} bytes",
            ),
            el("td", el("code", d.sha256), class_="sha256"),
            class_=f"download kind-{d.kind}",
        )
        for d in downloads
    ]
    body.append(
        el(
            "div",
            el(
                "table",
                el("caption", f"Files of version {package.version}", id="downloads-caption"),
                el("thead", head),
                el("tbody", rows),
                class_="downloads",
                id="downloads-table",
            ),
            class_="table-scroll",
            role="region",
            aria_labelledby="downloads-caption",
            tabindex="0",
        )
    )
    return el("section", body, aria_labelledby="downloads")


def plan_labels(package: Package) -> dict[str, str]:
    """plan_id -> ``plan_id (Region)``, in the plans table's order."""
    if not package.has_table(PLANS_TABLE):
        return {}
    plans = package.table(PLANS_TABLE)
    labels = {}
    region_fk = next((fk for fk in plans.schema.foreign_keys if fk.resource == REGIONS_TABLE), None)
    for row in plans.rows:
        plan_id = row.get("plan_id", "")
        label = plan_id
        if region_fk is not None:
            found = package.referenced_row(region_fk, row)
            if found is not None:
                label = f"{plan_id} ({row_label(*found)})"
        labels[plan_id] = label
    return labels


def money_targets(package: Package) -> list[chart.MoneyTarget]:
    if not package.has_table(TARGETS_TABLE):
        return []
    return chart.money_targets(package.table(TARGETS_TABLE).rows, plan_labels(package))


def chart_section(package: Package) -> Html:
    body: list[object] = [el("h2", "Money targets", id="money")]
    targets = money_targets(package)
    svg = chart.render_svg(targets)
    if svg is None:
        body.append(el("p", "No target of this release is stated in a currency."))
        return el("section", body, aria_labelledby="money")
    has_usd = any(t.dollars is not None for t in targets)
    note = (
        "US dollar amounts come from the derived usd column (annual average exchange rate of "
        "the conversion year)."
        if has_usd
        else "No amount has been converted to US dollars yet (the usd column is empty); the "
        "dollar panel shows only the figures the sources print themselves."
    )
    body.append(
        el(
            "figure",
            el("div", svg, class_="chart-scroll"),
            el(
                "figcaption",
                f"{len(targets)} money targets by plan and target year: the amount each plan "
                f"states, in yuan, and in US dollars. {note} ",
                el("a", "The chart as an SVG file", href=CHART_FILE),
                ".",
            ),
            class_="chart",
        )
    )
    head = el(
        "tr",
        [
            el("th", h, scope="col")
            for h in (
                "Plan",
                "Target",
                "Target year",
                "Indicator",
                "Yuan",
                "US dollars (usd)",
                "US dollars printed by the source",
            )
        ],
    )
    lines = []
    for t, yuan, dollars in chart.chart_rows(targets):
        printed = f"{chart.figure(t.reported_usd, 1e9)} billion" if t.reported_usd else ""
        lines.append(
            el(
                "tr",
                el("td", t.plan_label),
                el(
                    "td",
                    el(
                        "a",
                        t.target_id,
                        href=table_href("", TARGETS_TABLE, f"target-{t.target_id}"),
                    ),
                ),
                el("td", t.year_text),
                el("td", t.indicator),
                el("td", yuan or f"stated in {t.currency}"),
                el("td", dollars or "not converted"),
                el("td", printed),
            )
        )
    body.append(
        el(
            "details",
            el("summary", "The chart's figures as a table"),
            el(
                "div",
                el(
                    "table",
                    el("caption", "Money targets"),
                    el("thead", head),
                    el("tbody", lines),
                    class_="summary",
                ),
                class_="table-scroll",
            ),
        )
    )
    return el("section", body, aria_labelledby="money")


def summary_section(package: Package) -> Html:
    body: list[object] = [el("h2", "Summary", id="summary")]
    tables = []
    if package.has_table(PLANS_TABLE):
        plans = package.table(PLANS_TABLE)
        region_fk = next(
            (fk for fk in plans.schema.foreign_keys if fk.resource == REGIONS_TABLE), None
        )
        counts: Counter[str] = Counter(row.get("region_id", "") for row in plans.rows)
        lines = []
        for region_id, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            found = None
            if region_fk is not None:
                sample = next(row for row in plans.rows if row.get("region_id", "") == region_id)
                found = package.referenced_row(region_fk, sample)
            if found is None:
                label: Html = concat([region_id or "no region"])
            else:
                region_table, region_row = found
                label = el(
                    "a",
                    f"{row_label(region_table, region_row)} ({region_id})",
                    href=table_href("", region_table.name, region_table.anchor(region_row)),
                )
            lines.append(Counted(label, count))
        tables.append(count_table("Plans per region", ("Region", "Plans"), lines))
    if package.has_table(TARGETS_TABLE):
        targets = package.table(TARGETS_TABLE)
        counts = Counter(row.get("indicator", "") for row in targets.rows)
        try:
            order = targets.schema.field("indicator").enum or []
        except KeyError:
            order = []
        names = [name for name in order if counts.get(name)] + sorted(
            name for name in counts if name not in order
        )
        tables.append(
            count_table(
                "Targets per indicator",
                ("Indicator", "Targets"),
                [Counted(concat([el("code", name)]), counts[name]) for name in names],
            )
        )
    body.append(el("div", tables, class_="summaries"))
    return el("section", body, aria_labelledby="summary")


def plans_section(package: Package) -> Html:
    if not package.has_table(PLANS_TABLE):
        return Html("")
    plans = package.table(PLANS_TABLE)
    labels = plan_labels(package)
    items = []
    for row in plans.rows:
        period = "–".join(p for p in (row.get("period_start", ""), row.get("period_end", "")) if p)
        extra = f" — {labels.get(row['plan_id'], row['plan_id'])}" + (
            f", {period}" if period else ""
        )
        items.append(
            el("li", el("a", row_label(plans, row), href=plan_href("", row["plan_id"])), extra)
        )
    return el(
        "section",
        el("h2", "Plans", id="plans"),
        el("p", "Each plan's page gathers its targets, clusters, projects and measures."),
        el("ul", items, class_="plans"),
        aria_labelledby="plans",
    )


def tables_section(package: Package) -> Html:
    head = el(
        "tr",
        [
            el("th", h, scope="col", class_="num" if h == "Rows" else None)
            for h in ("Table", "Rows", "Description")
        ],
    )
    rows = [
        el(
            "tr",
            el("td", el("a", t.title, href=table_href("", t.name))),
            el("td", len(t.rows), class_="num"),
            el("td", inline_code(t.description)),
        )
        for t in package.tables
    ]
    return el(
        "section",
        el("h2", "Tables", id="tables"),
        el(
            "p",
            "Each table's page has its data dictionary and its rows, which you can sort and "
            "filter in the browser.",
        ),
        el(
            "table",
            el("caption", "Tables of the package"),
            el("thead", head),
            el("tbody", rows),
            class_="summary",
        ),
        aria_labelledby="tables",
    )


# ---------------------------------------------------------------- table pages


def table_page(package: Package, table: Table, csv_download: Download | None) -> Html:
    """A table's description, data dictionary and rows."""
    known = {t.name for t in package.tables}
    meta: list[object] = [f"{len(table.rows):,} rows."]
    if csv_download is not None:
        meta += [
            " Download ",
            el(
                "a",
                csv_download.file_name,
                href=f"../{csv_download.site_path}",
                download=csv_download.file_name,
            ),
            f" ({human_size(csv_download.size_bytes)})",
        ]
    if table.schema_relative_path is not None:
        meta += [
            " and its ",
            el("a", "Table Schema", href=f"../{DATA_FOLDER}/{table.schema_relative_path}"),
            ".",
        ]
    key = ", ".join(table.schema.primary_key) or "none declared"
    main = concat(
        [
            el("h1", table.title),
            el("p", inline_code(table.description), class_="lead"),
            el("p", meta),
            el(
                "section",
                el("h2", "Data dictionary", id="dictionary"),
                el("p", "Primary key: ", el("code", key), "."),
                dictionary(table, "../", known),
                aria_labelledby="dictionary",
            ),
            el(
                "section",
                el("h2", "Rows", id="rows"),
                el(
                    "p",
                    "Click a column header to sort by it; type in the filter box to show only "
                    "the rows that contain every word you type. Without JavaScript the table "
                    "shows all rows in file order.",
                    class_="hint",
                ),
                data_table(
                    package,
                    table,
                    table.rows,
                    root="../",
                    own_page=True,
                    table_id=f"table-{table.name}",
                    caption=f"{table.title}: {len(table.rows):,} rows",
                ),
                aria_labelledby="rows",
            ),
        ]
    )
    return page(
        package=package,
        root="../",
        title=f"{table.title} — {package.title}",
        main=main,
        description=table.description,
        current=table.name,
    )


# ---------------------------------------------------------------- plan pages


def plan_children(package: Package) -> list[tuple[Table, str]]:
    """(table, field) for every table that points at a plan through a one-field foreign key."""
    found = []
    for table in package.tables:
        for fk in table.schema.foreign_keys:
            if fk.resource == PLANS_TABLE and len(fk.fields) == 1 and table.name != PLANS_TABLE:
                found.append((table, fk.fields[0]))
                break
    return found


def plan_page(package: Package, plan_row: dict[str, str]) -> Html:
    """One plan with everything that points at it: targets, clusters, projects, measures."""
    plans = package.table(PLANS_TABLE)
    plan_id = plan_row["plan_id"]
    facts_list = []
    for item in plans.schema.fields:
        if not plan_row.get(item.name) or item.name == QUOTE_FIELD:
            continue
        if plans.schema.primary_key == [item.name]:  # this page: no link to itself
            facts_list.append(
                concat(
                    [el("dt", item.title or item.name), el("dd", el("code", plan_row[item.name]))]
                )
            )
            continue
        content, attrs = cell_content(
            package, plans, item, plan_row, "../", own_page=False, labelled=True
        )
        attrs.pop("data_sort", None)
        facts_list.append(concat([el("dt", item.title or item.name), el("dd", content, **attrs)]))
    sections: list[object] = []
    toc = []
    for child, field_name in plan_children(package):
        rows = [row for row in child.rows if row.get(field_name) == plan_id]
        section_id = f"{child.name}"
        toc.append(el("li", el("a", f"{child.title} ({len(rows)})", href=f"#{section_id}")))
        if not rows:
            sections.append(
                el(
                    "section",
                    el("h2", f"{child.title} (0)", id=section_id),
                    el("p", f"No {child.title.lower()} of this plan."),
                    aria_labelledby=section_id,
                )
            )
            continue
        shown = [
            f
            for f in child.schema.fields
            if f.name != field_name and any(row.get(f.name) for row in rows)
        ]
        sections.append(
            el(
                "section",
                el("h2", f"{child.title} ({len(rows)})", id=section_id),
                data_table(
                    package,
                    child,
                    rows,
                    root="../",
                    own_page=False,
                    table_id=f"table-{child.name}",
                    caption=f"{child.title} of {plan_id}",
                    fields=shown,
                ),
                aria_labelledby=section_id,
            )
        )
    quote = quote_content(package, plan_row, "../") if plan_row.get(QUOTE_FIELD) else None
    main = concat(
        [
            el(
                "p",
                el("a", "Plans", href=table_href("../", PLANS_TABLE, plans.anchor(plan_row))),
                " › ",
                plan_id,
                class_="breadcrumb",
            ),
            el("h1", row_label(plans, plan_row)),
            el("blockquote", el("p", quote), class_="quote") if quote else None,
            el("dl", facts_list, class_="facts"),
            el("nav", el("ul", toc), aria_label="On this page", class_="toc"),
            concat(sections),
        ]
    )
    return page(
        package=package,
        root="../",
        title=f"{plan_id} — {package.title}",
        main=main,
        description=row_label(plans, plan_row),
        current="",
    )


__all__ = ["CHART_FILE", "home_page", "money_targets", "plan_page", "table_page"]
