"""A corpus of bad contributions: each is rejected, with exactly its problems, located, and
validating it changes nothing.

Every case starts from a copy of the real package and makes one mistake a contributor could make
(a typo, a spreadsheet's habits, a file saved in the wrong encoding, a path to somewhere else).
The case returns exactly the problems ``cnplans validate`` must report: file, line, column and
rule, computed from the broken copy with the standard library (``csv`` line numbers), never with
the validator's own reader. Cases pick the rows they break by what the rows hold (the first
range target, the first target with a measure), never by a live id or row count, so a new valid
plan changes none of them. A mistake whose consequences other rules see is expected with them:
a value the quote does not state (``number-not-stated``), links that follow the plan's region
(``region-link``), dollars converted by a date that no longer reads (``stale-derived-value``).
The test runs the command in JSON and in GitHub annotation format and checks both, and that no
file of the copy (or beside it) changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Csv, add_extra_plan, copy_package, run_cli, start_lines

DESCRIPTOR = "datapackage.json"
SOURCES = "resources/sources.csv"
REGIONS = "resources/regions.csv"
PLANS = "resources/plans.csv"
TARGETS = "resources/targets.csv"
CLUSTERS = "resources/clusters.csv"
CLUSTER_REGIONS = "resources/cluster_regions.csv"
PROJECTS = "resources/projects.csv"
MEASURES = "resources/measures.csv"
GITHUB = re.compile(r"^::error (?P<props>[^:]*)::(?P<rule>[a-z0-9-]+): (?P<message>.+)$")


@dataclass(frozen=True)
class Expected:
    """Where a problem must be reported, and under which rule."""

    file: str
    line: int | None
    column: str | None
    rule: str


@dataclass(frozen=True)
class Case:
    """One bad contribution: what it does to the package, and the arguments to validate it."""

    name: str
    make: Callable[[Path], list[Expected]]
    args: tuple[str, ...] = ()


CASES: list[Case] = []


def case(*args: str) -> Callable[[Callable[[Path], list[Expected]]], Callable[..., list[Expected]]]:
    """Register a bad contribution (named after the function) with extra validate arguments."""

    def register(make: Callable[[Path], list[Expected]]) -> Callable[..., list[Expected]]:
        CASES.append(Case(make.__name__.replace("_", "-"), make, args))
        return make

    return register


# --------------------------------------------------------------------------------------------
# Helpers: tables and the descriptor of the copy
# --------------------------------------------------------------------------------------------


def table(package: Path, file: str) -> Csv:
    return Csv.read(package / file)


def line(csv_file: Csv, index: int) -> int:
    """Physical line of data row ``index`` (after the file was written)."""
    return start_lines(csv_file.path)[index]


def row(csv_file: Csv, column: str, value: str) -> int:
    return csv_file.find(column, lambda cell: cell == value)


def money_row(targets: Csv) -> int:
    """A target with an amount in yuan and its dollar columns filled in."""
    return next(
        i
        for i in range(len(targets.rows))
        if targets.get(i, "unit") == "CNY" and targets.get(i, "usd")
    )


def range_row(targets: Csv) -> int:
    return row(targets, "qualifier", "range")


def plain_row(targets: Csv) -> int:
    """The first count target with no range, no qualifier and no year."""
    return next(
        i
        for i in range(len(targets.rows))
        if targets.get(i, "qualifier") == "exactly"
        and targets.get(i, "unit") == "count"
        and not targets.get(i, "value_max")
        and not targets.get(i, "target_year")
    )


def dated_row(targets: Csv) -> int:
    """The first target whose year its quote states (basis ``quote``)."""
    return row(targets, "target_year_basis", "quote")


def column_values(package: Path, file: str, column: str) -> set[str]:
    return set(table(package, file).column(column))


def quoted_cell_line(package: Path, file: str, column: str) -> tuple[int, str, str]:
    """(line number, line, cell) of the first row whose ``column`` is written as ``"cell"``
    (a text cell with nothing in it that needs quotes)."""
    csv_file = table(package, file)
    lines = (package / file).read_text(encoding="utf-8").split("\n")
    for index, start in enumerate(start_lines(csv_file.path)):
        cell = csv_file.get(index, column)
        if cell and f',"{cell}",' in lines[start - 1]:
            return start, lines[start - 1], cell
    raise LookupError(f"no row of {file} has {column} in plain quotes")


def edit_descriptor(package: Path, edit: Callable[[dict], None]) -> None:
    path = package / DESCRIPTOR
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def resource(data: dict, name: str) -> dict:
    return next(r for r in data["resources"] if r["name"] == name)


def descriptor_line(package: Path, needle: str) -> int:
    """The line of datapackage.json holding ``needle`` (exactly once)."""
    lines = (package / DESCRIPTOR).read_text(encoding="utf-8").splitlines()
    found = [number for number, text in enumerate(lines, start=1) if needle in text]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def source_file(package: Path, source_id: str) -> Path:
    sources = table(package, SOURCES)
    return package / sources.get(row(sources, "source_id", source_id), "path")


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


@case()
def duplicate_key(package: Path) -> list[Expected]:
    """The same target added twice (pasted again below itself)."""
    targets = table(package, TARGETS)
    targets.rows.insert(1, list(targets.rows[0]))
    targets.write()
    return [Expected(TARGETS, line(targets, 1), "target_id", "primary-key")]


@case()
def duplicate_composite_key(package: Path) -> list[Expected]:
    """A cluster placed in the same region twice."""
    places = table(package, CLUSTER_REGIONS)
    places.rows.insert(1, list(places.rows[0]))
    places.write()
    return [Expected(CLUSTER_REGIONS, line(places, 1), "cluster_id", "primary-key")]


@case()
def dangling_foreign_key(package: Path) -> list[Expected]:
    """A target citing a measure ID with a typo (its last letter dropped)."""
    targets = table(package, TARGETS)
    index = next(i for i in range(len(targets.rows)) if targets.get(i, "measure_id"))
    typo = targets.get(index, "measure_id")[:-1]
    assert typo not in column_values(package, MEASURES, "measure_id")
    targets.set(index, "measure_id", typo)
    targets.write()
    return [Expected(TARGETS, line(targets, index), "measure_id", "foreign-key")]


@case()
def unknown_region(package: Path) -> list[Expected]:
    """A plan placed in a region that regions.csv does not have yet.

    The links of its clusters that say they are in the plan's region (basis ``plan_region``)
    now disagree with it too; the plan with the fewest such links is taken.
    """
    plans = table(package, PLANS)
    clusters, links = table(package, CLUSTERS), table(package, CLUSTER_REGIONS)
    plan_of = dict(zip(clusters.column("cluster_id"), clusters.column("plan_id"), strict=True))
    by_plan_region: dict[str, list[int]] = {plan: [] for plan in plans.column("plan_id")}
    for i in range(len(links.rows)):
        plan = plan_of.get(links.get(i, "cluster_id"))
        if links.get(i, "basis") == "plan_region" and plan in by_plan_region:
            by_plan_region[plan].append(i)
    index = min(range(len(plans.rows)), key=lambda i: len(by_plan_region[plans.get(i, "plan_id")]))
    known = column_values(package, REGIONS, "region_id")
    code = int(plans.get(index, "region_id"))
    missing = next(
        f"{code + k:06d}" for k in range(100, 10_000, 100) if f"{code + k:06d}" not in known
    )
    plans.set(index, "region_id", missing)
    plans.write()
    return [Expected(PLANS, line(plans, index), "region_id", "foreign-key")] + [
        Expected(CLUSTER_REGIONS, line(links, i), "region_id", "region-link")
        for i in by_plan_region[plans.get(index, "plan_id")]
    ]


@case()
def wrong_type(package: Path) -> list[Expected]:
    """A number written in words."""
    targets = table(package, TARGETS)
    index = plain_row(targets)
    targets.set(index, "value", "twenty")
    targets.write()
    return [Expected(TARGETS, line(targets, index), "value", "type")]


@case()
def thousands_separator(package: Path) -> list[Expected]:
    """An amount typed as a spreadsheet shows it: 10,000,000,000."""
    targets = table(package, TARGETS)
    index = money_row(targets)
    targets.set(index, "value", f"{int(float(targets.get(index, 'value'))):,}")
    targets.write()
    return [Expected(TARGETS, line(targets, index), "value", "type")]


@case()
def negative_value(package: Path) -> list[Expected]:
    """A decline written as a negative count."""
    targets = table(package, TARGETS)
    index = plain_row(targets)
    targets.set(index, "value", "-5")
    targets.write()
    return [
        Expected(TARGETS, line(targets, index), "value", "minimum"),
        Expected(TARGETS, line(targets, index), "value", "number-not-stated"),
    ]


@case()
def out_of_range_year(package: Path) -> list[Expected]:
    """2025 typed as 2205 (a year the quote does not state, either)."""
    targets = table(package, TARGETS)
    index = dated_row(targets)
    year = targets.get(index, "target_year")
    targets.set(index, "target_year", year[:1] + year[2] + year[1] + year[3])
    if targets.get(index, "target_year") == year:
        targets.set(index, "target_year", "2205")
    targets.write()
    return [
        Expected(TARGETS, line(targets, index), "target_year", "maximum"),
        Expected(TARGETS, line(targets, index), "target_year", "number-not-stated"),
    ]


@case()
def unknown_enum_value(package: Path) -> list[Expected]:
    """A qualifier in everyday words instead of one of the listed values."""
    targets = table(package, TARGETS)
    index = plain_row(targets)
    targets.set(index, "qualifier", "approximately")
    targets.write()
    return [Expected(TARGETS, line(targets, index), "qualifier", "enum")]


@case()
def required_cell_left_empty(package: Path) -> list[Expected]:
    """A target without its subject."""
    targets = table(package, TARGETS)
    index = plain_row(targets)
    targets.set(index, "subject", "")
    targets.write()
    return [Expected(TARGETS, line(targets, index), "subject", "required")]


@case()
def bad_slug_id(package: Path) -> list[Expected]:
    """An ID with capitals and an underscore (after its plan's id, in its place in ID order)."""
    targets = table(package, TARGETS)
    prefix = targets.get(0, "plan_id") + "-"
    rest = targets.get(0, "target_id").removeprefix(prefix)
    assert rest[:1].isalpha(), "capitals sort first only when the id goes on with a letter"
    targets.set(0, "target_id", prefix + rest.upper().replace("-", "_", 1))
    targets.write()
    return [Expected(TARGETS, line(targets, 0), "target_id", "pattern")]


@case()
def date_in_local_format(package: Path) -> list[Expected]:
    """An issue date written day/month/year: the plan's dollars lose their conversion basis.

    A plan without money targets is taken if there is one; otherwise one whose money targets'
    sources were published in the year it was issued, so converting them by the publication
    date instead changes only their ``fx_basis``.
    """
    plans, targets = table(package, PLANS), table(package, TARGETS)
    sources = table(package, SOURCES)
    published = dict(zip(sources.column("source_id"), sources.column("published"), strict=True))

    def money(plan: str) -> list[int]:
        return [
            i
            for i in range(len(targets.rows))
            if targets.get(i, "plan_id") == plan and targets.get(i, "unit") in ("CNY", "USD")
        ]

    def same_year(i: int) -> bool:
        issued = plans.get(i, "issued")[:4]
        return all(
            published.get(targets.get(t, "source_id"), "")[:4] == issued
            for t in money(plans.get(i, "plan_id"))
        )

    dated = [i for i in range(len(plans.rows)) if plans.get(i, "issued")]
    index = min(
        (i for i in dated if same_year(i)), key=lambda i: len(money(plans.get(i, "plan_id")))
    )
    issued = plans.get(index, "issued")
    day, month = (issued[8:10] or "01"), (issued[5:7] or "01")
    plans.set(index, "issued", f"{day}/{month}/{issued[:4]}")
    plans.write()
    return [Expected(PLANS, line(plans, index), "issued", "pattern")] + [
        Expected(TARGETS, line(targets, i), "fx_basis", "stale-derived-value")
        for i in money(plans.get(index, "plan_id"))
    ]


@case()
def quote_not_in_source(package: Path) -> list[Expected]:
    """A quote paraphrased instead of copied."""
    targets = table(package, TARGETS)
    index = plain_row(targets)
    targets.set(index, "quote", targets.get(index, "quote").replace(" ", " the ", 1) + " soon")
    targets.write()
    return [Expected(TARGETS, line(targets, index), "quote", "quote-not-in-source")]


@case()
def quote_stitched_from_two_passages(package: Path) -> list[Expected]:
    """Two passages joined with an ellipsis: a quote must be contiguous."""
    measures = table(package, MEASURES)
    index = next(
        i
        for i in range(len(measures.rows))
        if "," in measures.get(i, "quote").partition(". ")[2] and not measures.get(i, "ordinal")
    )
    text = measures.get(index, "quote")
    first, second = text.split(". ", 1)
    measures.set(index, "quote", f"{first} ... {second.split(',')[0]}")
    measures.write()
    return [Expected(MEASURES, line(measures, index), "quote", "quote-not-in-source")]


@case()
def edited_source_text(package: Path) -> list[Expected]:
    """The archived text 'tidied up' after it was archived."""
    sources = table(package, SOURCES)
    index = 0
    file = source_file(package, sources.get(index, "source_id"))
    file.write_bytes(file.read_bytes() + b"\nEditor's note: see also the 2025 plan.\n")
    return [Expected(SOURCES, line(sources, index), "sha256", "source-hash")]


@case()
def sha256_mismatch(package: Path) -> list[Expected]:
    """A digest copied from another file."""
    sources = table(package, SOURCES)
    digest = sources.get(0, "sha256")
    sources.set(0, "sha256", hashlib.sha256(digest.encode()).hexdigest())
    sources.write()
    return [Expected(SOURCES, line(sources, 0), "sha256", "source-hash")]


@case()
def source_text_saved_as_gbk(package: Path) -> list[Expected]:
    """The archived text re-saved by an editor in GBK: not UTF-8, and no longer the same bytes."""
    sources = table(package, SOURCES)
    index = next(
        i
        for i in range(len(sources.rows))
        if not source_file(package, sources.get(i, "source_id")).read_bytes().isascii()
    )
    file = source_file(package, sources.get(index, "source_id"))
    text = file.read_text(encoding="utf-8")
    bad_line = next(n for n, t in enumerate(text.split("\n"), start=1) if not t.isascii())
    file.write_bytes(text.encode("gb18030"))
    relative = sources.get(index, "path")
    return [
        Expected(relative, bad_line, None, "encoding"),
        Expected(SOURCES, line(sources, index), "sha256", "source-hash"),
    ]


@case()
def missing_source_file(package: Path) -> list[Expected]:
    """The sources row committed, the text file forgotten."""
    sources = table(package, SOURCES)
    index = len(sources.rows) - 1
    source_file(package, sources.get(index, "source_id")).unlink()
    return [Expected(SOURCES, line(sources, index), "path", "missing-file")]


@case()
def stale_dollar_amount(package: Path) -> list[Expected]:
    """An amount changed without running `nox -s convert` (nor changing the quote)."""
    targets = table(package, TARGETS)
    index = money_row(targets)
    targets.set(index, "value", str(int(float(targets.get(index, "value"))) * 2))
    targets.write()
    return [
        Expected(TARGETS, line(targets, index), "usd", "stale-derived-value"),
        Expected(TARGETS, line(targets, index), "value", "number-not-stated"),
    ]


@case()
def dollar_amount_typed_by_hand(package: Path) -> list[Expected]:
    """A dollar figure computed by hand at a rate of 6.5 yuan per dollar."""
    targets = table(package, TARGETS)
    index = money_row(targets)
    targets.set(index, "usd", str(round(float(targets.get(index, "value")) / 6.5)))
    targets.write()
    return [Expected(TARGETS, line(targets, index), "usd", "stale-derived-value")]


@case()
def value_max_below_value(package: Path) -> list[Expected]:
    """'two to three' entered the wrong way round (so the quote states no range from 3)."""
    targets = table(package, TARGETS)
    index = range_row(targets)
    low = targets.get(index, "value")
    targets.set(index, "value", targets.get(index, "value_max"))
    targets.set(index, "value_max", low)
    targets.write()
    return [
        Expected(TARGETS, line(targets, index), "value_max", "value-range"),
        Expected(TARGETS, line(targets, index), "value", "number-not-stated"),
    ]


@case()
def range_qualifier_without_value_max(package: Path) -> list[Expected]:
    """A range with its upper value forgotten."""
    targets = table(package, TARGETS)
    index = range_row(targets)
    targets.set(index, "value_max", "")
    targets.write()
    return [Expected(TARGETS, line(targets, index), "value_max", "range-qualifier")]


@case()
def value_max_without_range_qualifier(package: Path) -> list[Expected]:
    """An upper value on a target whose qualifier says 'exactly'."""
    targets = table(package, TARGETS)
    index = plain_row(targets)
    targets.set(index, "value_max", str(int(targets.get(index, "value")) + 5))
    targets.write()
    return [Expected(TARGETS, line(targets, index), "qualifier", "range-qualifier")]


@case()
def target_year_before_issue_year(package: Path) -> list[Expected]:
    """The year a growth rate is measured from, taken for its target year: before the plan.

    The row needs a quote that states a year before its plan's issue year (a baseline year);
    when the package has none, the fixture plan of ``tests/fixtures/extra_plan`` is added
    first (a valid plan: the mistake is the only problem).
    """

    def look_back(targets: Csv, plans: Csv) -> int | None:
        issued = {
            p: i[:4] for p, i in zip(plans.column("plan_id"), plans.column("issued"), strict=True)
        }
        for i in range(len(targets.rows)):
            baseline = targets.get(i, "baseline_year")
            if baseline and issued.get(targets.get(i, "plan_id"), "") > baseline:
                return i
        return None

    if look_back(table(package, TARGETS), table(package, PLANS)) is None:
        add_extra_plan(package)
    targets = table(package, TARGETS)
    index = look_back(targets, table(package, PLANS))
    assert index is not None
    targets.set(index, "target_year", targets.get(index, "baseline_year"))
    targets.set(index, "target_year_basis", "quote")
    targets.write()
    return [Expected(TARGETS, line(targets, index), "target_year", "target-year")]


@case()
def plan_without_targets_or_measures(package: Path) -> list[Expected]:
    """A plan added, its targets and measures not yet (titled by its source's headline)."""
    plans = table(package, PLANS)
    source = plans.get(0, "source_id")
    quote = source_file(package, source).read_text(encoding="utf-8").splitlines()[0]
    plan_id = plans.get(0, "plan_id") + "-sector"
    new = dict.fromkeys(plans.header, "")
    new.update(
        plan_id=plan_id,
        region_id=plans.get(0, "region_id"),
        title=quote,
        sector="new_materials",
        document_type="plan",
        source_id=source,
        quote=quote,
    )
    plans.rows.append([new[c] for c in plans.header])
    plans.rows.sort(key=lambda cells: cells[plans.col("plan_id")])
    plans.write()
    index = row(plans, "plan_id", plan_id)
    return [Expected(PLANS, line(plans, index), "plan_id", "plan-without-facts")]


@case()
def unsorted_rows(package: Path) -> list[Expected]:
    """A new row appended at the end instead of at its place."""
    targets = table(package, TARGETS)
    targets.rows.append(targets.rows.pop(0))
    targets.write()
    return [Expected(TARGETS, line(targets, len(targets.rows) - 1), "target_id", "sort-order")]


@case()
def formula_cell(package: Path) -> list[Expected]:
    """A summary that a spreadsheet would run as a formula."""
    measures = table(package, MEASURES)
    measures.set(2, "summary", '=HYPERLINK("http://example.org","details")')
    measures.write()
    return [Expected(MEASURES, line(measures, 2), "summary", "formula-injection")]


@case()
def tab_before_a_formula(package: Path) -> list[Expected]:
    """A note starting with a tab, the way formulas are smuggled past a first-character check."""
    clusters = table(package, CLUSTERS)
    clusters.set(0, "notes", "\t=1+1")
    clusters.write()
    return [Expected(CLUSTERS, line(clusters, 0), "notes", "formula-injection")]


@case()
def bom(package: Path) -> list[Expected]:
    """Saved as 'UTF-8 with BOM'."""
    path = package / PLANS
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return [Expected(PLANS, 1, None, "bom")]


@case()
def gbk_encoded_file(package: Path) -> list[Expected]:
    """regions.csv saved by a Chinese-language spreadsheet program in GBK."""
    path = package / REGIONS
    text = path.read_text(encoding="utf-8")
    bad_line = next(n for n, t in enumerate(text.split("\n"), start=1) if not t.isascii())
    path.write_bytes(text.encode("gbk"))
    return [Expected(REGIONS, bad_line, None, "encoding")]


@case()
def crlf_line_ends(package: Path) -> list[Expected]:
    """Saved with Windows line ends."""
    path = package / TARGETS
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return [Expected(TARGETS, 1, None, "line-ending")]


@case()
def ragged_row(package: Path) -> list[Expected]:
    """A row with its last cell (and comma) deleted."""
    targets = table(package, TARGETS)
    targets.rows[2] = targets.rows[2][:-1]
    targets.write()
    return [Expected(TARGETS, line(targets, 2), None, "ragged-row")]


@case()
def comma_in_an_unquoted_cell(package: Path) -> list[Expected]:
    """A cell with a comma typed into the file without double quotes around it."""
    path = package / CLUSTER_REGIONS
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[3] = lines[3] + ", in the south"
    path.write_text("\n".join(lines), encoding="utf-8")
    return [Expected(CLUSTER_REGIONS, 4, None, "ragged-row")]


@case()
def blank_line(package: Path) -> list[Expected]:
    """An empty line left between two rows."""
    path = package / MEASURES
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(5, "")
    path.write_text("\n".join(lines), encoding="utf-8")
    return [Expected(MEASURES, 6, None, "ragged-row")]


@case()
def stray_double_quote(package: Path) -> list[Expected]:
    """A quotation mark typed inside a cell that is not in double quotes."""
    path = package / CLUSTERS
    number, text, name = quoted_cell_line(package, CLUSTERS, "name")
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[number - 1] = text.replace(f',"{name}",', f',{name} "key",', 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    return [Expected(CLUSTERS, number, None, "csv-syntax")]


@case()
def unknown_column(package: Path) -> list[Expected]:
    """A column added for the contributor's own use."""
    measures = table(package, MEASURES)
    measures.header.append("checked_by")
    for cells in measures.rows:
        cells.append("")
    measures.write()
    return [Expected(MEASURES, 1, "checked_by", "unknown-column")]


@case()
def missing_column(package: Path) -> list[Expected]:
    """The notes column deleted in a spreadsheet."""
    projects = table(package, PROJECTS)
    index = projects.col("notes")
    projects.header.pop(index)
    for cells in projects.rows:
        cells.pop(index)
    projects.write()
    return [Expected(PROJECTS, 1, "notes", "missing-column")]


@case()
def renamed_column(package: Path) -> list[Expected]:
    """A header cell 'tidied' with a space."""
    measures = table(package, MEASURES)
    measures.header[measures.col("summary")] = "short summary"
    measures.write()
    return [
        Expected(MEASURES, 1, "short summary", "unknown-column"),
        Expected(MEASURES, 1, "summary", "missing-column"),
    ]


@case()
def columns_reordered(package: Path) -> list[Expected]:
    """Two columns swapped, cells and all."""
    projects = table(package, PROJECTS)
    a, b = projects.col("name"), projects.col("project_count")
    for cells in [projects.header, *projects.rows]:
        cells[a], cells[b] = cells[b], cells[a]
    projects.write()
    return [Expected(PROJECTS, 1, None, "header")]


@case()
def empty_file(package: Path) -> list[Expected]:
    """A table emptied by a failed export."""
    (package / PROJECTS).write_bytes(b"")
    return [Expected(PROJECTS, None, None, "empty-file")]


@case()
def unlisted_csv(package: Path) -> list[Expected]:
    """A new table added to resources/ but not to datapackage.json."""
    (package / "resources/companies.csv").write_text("company_id,name\nx,X\n", encoding="utf-8")
    return [Expected("resources/companies.csv", None, None, "unlisted-file")]


@case()
def path_outside_the_package(package: Path) -> list[Expected]:
    """A table kept beside the repository instead of in it."""
    (package / PROJECTS).rename(package.parent / "projects.csv")
    edit_descriptor(package, lambda d: resource(d, "projects").update(path="../projects.csv"))
    line_number = descriptor_line(package, '"path": "../projects.csv"')
    return [Expected(DESCRIPTOR, line_number, None, "unsafe-path")]


@case()
def absolute_path(package: Path) -> list[Expected]:
    """A path copied from the contributor's own computer."""
    absolute = "/home/contributor/cnplans/resources/clusters.csv"
    edit_descriptor(package, lambda d: resource(d, "clusters").update(path=absolute))
    return [
        Expected(DESCRIPTOR, descriptor_line(package, absolute), None, "unsafe-path"),
        Expected("resources/clusters.csv", None, None, "unlisted-file"),
    ]


@case()
def remote_schema_url(package: Path) -> list[Expected]:
    """A schema pointed at a copy on the web."""
    url = "https://example.org/cnplans/schemas/measures.json"
    edit_descriptor(package, lambda d: resource(d, "measures").update(schema=url))
    return [Expected(DESCRIPTOR, descriptor_line(package, url), None, "unsafe-path")]


@case()
def remote_profile(package: Path) -> list[Expected]:
    """A profile frictionless would download to validate the descriptor against."""
    url = "https://example.org/profiles/strict-package.json"
    edit_descriptor(package, lambda d: d.update(profile=url))
    return [Expected(DESCRIPTOR, descriptor_line(package, url), None, "unsafe-path")]


@case()
def link_leading_outside(package: Path) -> list[Expected]:
    """A table replaced by a symbolic link to a file outside the repository."""
    outside = package.parent / "elsewhere.csv"
    (package / PROJECTS).rename(outside)
    (package / PROJECTS).symlink_to(outside)
    line_number = descriptor_line(package, f'"path": "{PROJECTS}"')
    return [Expected(DESCRIPTOR, line_number, None, "unsafe-path")]


@case("--max-file-size-mb", "1")
def oversized_file(package: Path) -> list[Expected]:
    """Two megabytes pasted into a notes cell."""
    clusters = table(package, CLUSTERS)
    clusters.set(0, "notes", "padding " * 262_144)
    clusters.write()
    return [Expected(CLUSTERS, None, None, "file-too-large")]


# --------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[str, int, str]]:
    """Every file and link under ``folder`` (its parent's other files too): kind, mode, digest."""
    state = {}
    for path in sorted(folder.parent.rglob("*")):
        key = str(path.relative_to(folder.parent))
        if path.is_symlink():
            state[key] = ("link", 0, os.readlink(path))
        elif path.is_file():
            state[key] = (
                "file",
                path.stat().st_mode,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
        else:
            state[key] = ("folder", path.stat().st_mode, "")
    return state


def column_numbers(package: Path, expected: Expected) -> int | None:
    """The 1-based position of the expected column in its file's header, as annotations give it."""
    if expected.column is None or not expected.file.endswith(".csv"):
        return None
    path = package / expected.file
    if path.is_symlink() or not path.is_file():
        return None
    header = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace").split(",")
    return header.index(expected.column) + 1 if expected.column in header else None


def test_the_corpus_has_at_least_25_kinds_of_mistakes() -> None:
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names) >= 40


@pytest.mark.parametrize("contribution", CASES, ids=[c.name for c in CASES])
def test_bad_contribution_is_rejected_at_its_place(
    contribution: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = copy_package(tmp_path / "pkg").parent
    expected = contribution.make(package)
    before = snapshot(package)
    argv = ["validate", str(package / DESCRIPTOR), *contribution.args]

    code, out, err = run_cli([*argv, "--format", "json"], capsys)
    assert code == 1, out + err
    document = json.loads(out)
    reported = [
        Expected(p["file"], p["line"], p["column"], p["rule"]) for p in document["problems"]
    ]
    assert sorted(reported, key=repr) == sorted(expected, key=repr), document["problems"]
    assert document["valid"] is False
    assert document["summary"]["total"] == len(expected)
    for problem in document["problems"]:
        assert len(problem["message"]) > 20
        if problem["rule"] != "file-too-large":
            assert "expected" in problem["message"].lower(), problem

    code, out, err = run_cli([*argv, "--format", "github"], capsys)
    assert code == 1, out + err
    annotations = []
    for text in out.splitlines()[:-1]:
        match = GITHUB.match(text)
        assert match, text
        props = dict(p.split("=", 1) for p in match["props"].split(","))
        annotations.append(
            (
                props["file"],
                int(props["line"]) if "line" in props else None,
                int(props["col"]) if "col" in props else None,
                match["rule"],
            )
        )
    assert out.splitlines()[-1] == f"cnplans validate: {len(expected)} problem" + (
        "s" if len(expected) > 1 else ""
    )
    wanted = [(e.file, e.line, column_numbers(package, e), e.rule) for e in expected]
    assert sorted(annotations, key=repr) == sorted(wanted, key=repr)

    assert snapshot(package) == before, "validation changed a file"
