"""Write a synthetic cnplans data package of any size: valid by construction, defects on demand.

Usage::

    python scripts/synth.py N OUT [--defects KIND@ROW,...] [--seed S]

``OUT`` gets the repository's ``datapackage.json`` and ``schemas/`` (copied unchanged), ``N``
rows of ``targets`` and proportionate rows in the other tables (per target: 1/4 measure, 1/8
cluster, about 1/6 cluster region, 1/20 project, 1/50 plan, 1/100 region, 1/200 source), the
real ``exchange_rates`` table, and one synthetic archived text per source in ``sources/``.
Every row is valid against the schemas and the validator's rules: keys are sorted, slugs and
codes match their patterns, foreign keys resolve, every quote is taken from its source's text
(whole sentences, sentence tails, pairs of sentences whose whitespace differs from the text's,
sentences with a doubled space), ``sources.sha256`` is the digest of the written text, and the
derived US dollar columns are what ``cnplans convert`` computes from the exchange rates. The
words are generated; no row states a real fact.

``--defects`` breaks the package at known rows, one comma-separated ``KIND@[TABLE:]ROW[:COLUMN]``
each. ``ROW`` is the 1-based data row (the header is line 1, so row ``R`` is physical line
``R + 1``: no cell spans lines); ``TABLE`` defaults to ``targets``; ``COLUMN`` defaults to the
first field of the table the kind applies to. The kinds (see :data:`DEFECTS`):

- cells: ``type``, ``pattern``, ``enum``, ``minimum``, ``maximum``, ``required``, ``min-length``,
  ``primary-key`` (the previous row's key), ``unique``, ``foreign-key`` (a well-formed key no
  row has), ``quote`` (not in the source), ``stale-usd`` (a wrong derived dollar amount),
  ``formula`` (a text cell starting with ``=``), ``source-hash`` (sources only);
- rows: ``missing-cell`` (short row), ``extra-cell`` (long row), ``blank-row``, ``sort-order``
  (swapped with the next row);
- header (``ROW`` is ignored): ``missing-label``, ``extra-label``, ``blank-label``,
  ``duplicate-label``.

The package is built in a temporary folder next to ``OUT`` and renamed into place; an existing
``OUT`` is replaced only when an earlier run of this script wrote it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MARKER = ".cnplans-synthetic"  # written into every package this script makes
SENTENCES_PER_SOURCE = 100
RATE_YEARS = range(2010, 2026)  # the years of the real exchange-rate table's CNY rows

Columns = dict[str, list[str]]

CELL_DEFECTS = (
    "type",
    "pattern",
    "enum",
    "minimum",
    "maximum",
    "required",
    "min-length",
    "primary-key",
    "unique",
    "foreign-key",
    "quote",
    "stale-usd",
    "formula",
    "source-hash",
)
ROW_DEFECTS = ("missing-cell", "extra-cell", "blank-row", "sort-order")
HEADER_DEFECTS = ("missing-label", "extra-label", "blank-label", "duplicate-label")
DEFECTS: tuple[str, ...] = CELL_DEFECTS + ROW_DEFECTS + HEADER_DEFECTS

WORDS = [
    "advanced",
    "alloy",
    "battery",
    "carbon",
    "ceramic",
    "chip",
    "circuit",
    "composite",
    "display",
    "electronic",
    "fiber",
    "film",
    "glass",
    "graphene",
    "industrial",
    "integrated",
    "lithium",
    "magnesium",
    "material",
    "membrane",
    "metal",
    "optical",
    "polymer",
    "power",
    "precision",
    "rare",
    "semiconductor",
    "sensor",
    "silicon",
    "smart",
    "steel",
    "titanium",
    "wafer",
]
PLACES = [
    "Taiyuan",
    "Datong",
    "Jinzhong",
    "Changzhi",
    "Yangquan",
    "Xinzhou",
    "Linfen",
    "Yuncheng",
    "Baoshan",
    "Jinshan",
    "Fengxian",
    "Minhang",
    "Pudong",
    "Songjiang",
    "Jiading",
    "Qingpu",
]
VERBS = ("cultivate", "build", "reach", "attract", "establish", "support", "form", "develop")
HANZI = "山西上海太原大同晋中长治阳泉忻州临汾运城宝山金山奉贤闵行浦东松江嘉定青浦"


class SynthError(ValueError):
    """The command line asks for something this script cannot write; the message says what."""


@dataclass(frozen=True)
class Defect:
    """One defect to inject: its kind, table, 1-based data row and optional column."""

    kind: str
    table: str
    row: int
    column: str | None = None


@dataclass
class Table:
    """One table being written: its header and its columns of text cells."""

    name: str
    header: list[str]
    columns: Columns
    extra_lines: dict[int, str | None] = field(default_factory=dict)  # row -> replaced line

    @property
    def rows(self) -> int:
        return len(self.columns[self.header[0]])


@dataclass(frozen=True)
class Sizes:
    """Rows per table for ``targets`` target rows."""

    targets: int
    measures: int
    clusters: int
    projects: int
    plans: int
    regions: int
    sources: int

    @classmethod
    def of(cls, targets: int) -> Sizes:
        return cls(
            targets=targets,
            measures=max(5, targets // 4),
            clusters=max(5, targets // 8),
            projects=max(3, targets // 20),
            plans=max(2, targets // 50),
            regions=max(10, targets // 100),
            sources=max(2, targets // 200),
        )


def parse_defects(text: str, schemas: dict[str, dict[str, Any]]) -> list[Defect]:
    """``KIND@[TABLE:]ROW[:COLUMN],...`` as defects; :class:`SynthError` says what is wrong."""
    defects = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, at, where = item.partition("@")
        if kind not in DEFECTS or not at:
            raise SynthError(
                f"defect {item!r}: expected KIND@[TABLE:]ROW[:COLUMN] with KIND one of "
                f"{', '.join(DEFECTS)}"
            )
        parts = where.split(":")
        table = "targets"
        if parts and not parts[0].isdigit():
            table = parts.pop(0)
        if table not in schemas:
            raise SynthError(
                f"defect {item!r}: no table {table!r}; expected one of {sorted(schemas)}"
            )
        if not parts or not parts[0].isdigit() or int(parts[0]) < 1 or len(parts) > 2:
            raise SynthError(f"defect {item!r}: expected a data row number of 1 or more after @")
        column = parts[1] if len(parts) == 2 else None
        names = [f["name"] for f in schemas[table]["fields"]]
        if column is not None and column not in names:
            raise SynthError(f"defect {item!r}: {table} has no column {column!r}")
        defects.append(Defect(kind, table, int(parts[0]), column))
    return defects


# --------------------------------------------------------------------------------------------
# Generated text
# --------------------------------------------------------------------------------------------


def _sentences(rng: np.random.Generator, sources: int) -> list[list[str]]:
    """``SENTENCES_PER_SOURCE`` distinct generated sentences for each source."""
    total = sources * SENTENCES_PER_SOURCE
    picks = rng.integers(0, len(WORDS), size=(total, 3))
    places = rng.integers(0, len(PLACES), size=total)
    verbs = rng.integers(0, len(VERBS), size=total)
    counts = rng.integers(2, 900, size=total)
    years = rng.integers(2020, 2036, size=total)
    flat = [
        f"By {years[i]} {PLACES[places[i]]} will {VERBS[verbs[i]]} {counts[i]} "
        f"{WORDS[picks[i, 0]]} {WORDS[picks[i, 1]]} projects in the {WORDS[picks[i, 2]]} "
        f"chain, item {i}."
        for i in range(total)
    ]
    return [flat[s * SENTENCES_PER_SOURCE : (s + 1) * SENTENCES_PER_SOURCE] for s in range(sources)]


def _source_text(title: str, sentences: list[str]) -> str:
    """An archived text: the title, then paragraphs of five sentences."""
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def _quotes(
    rng: np.random.Generator, sentences: list[list[str]], source_of_row: np.ndarray
) -> list[str]:
    """A quote from its source's text for every row (four shapes, see the module docstring)."""
    n = source_of_row.size
    which = rng.integers(0, SENTENCES_PER_SOURCE - 1, size=n)
    shape = rng.random(size=n)
    quotes = []
    for s, j, r in zip(source_of_row.tolist(), which.tolist(), shape.tolist(), strict=True):
        sentence = sentences[s][j]
        if r < 0.75:
            quotes.append(sentence)
        elif r < 0.90:
            quotes.append(sentence.split(" ", 2)[2])  # starts mid-sentence
        elif r < 0.97:
            quotes.append(sentence + " " + sentences[s][j + 1])  # may cross a paragraph break
        else:
            quotes.append(sentence.replace(" will ", "  will ", 1))  # whitespace differs
    return quotes


def _slugs(prefix: str, count: int) -> list[str]:
    width = max(6, len(str(count)))
    return [f"{prefix}-{i:0{width}d}" for i in range(1, count + 1)]


def _pick(rng: np.random.Generator, choices: Sequence[str], n: int) -> list[str]:
    return [choices[i] for i in rng.integers(0, len(choices), size=n).tolist()]


def _maybe(rng: np.random.Generator, values: list[str], share_empty: float) -> list[str]:
    empty = rng.random(size=len(values)) < share_empty
    return ["" if e else v for v, e in zip(values, empty.tolist(), strict=True)]


def _notes(rng: np.random.Generator, n: int) -> list[str]:
    texts = [
        "Read from the list, not the count.",
        "The source gives the figure twice, once rounded.",
        "Synthetic row, generated by scripts/synth.py.",
    ]
    return _maybe(rng, _pick(rng, texts, n), 0.9)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


@dataclass
class Package:
    """The generated tables and source texts, before defects and writing."""

    tables: dict[str, Table]
    texts: dict[str, str]  # source path -> text


def generate(n: int, seed: int, schemas: dict[str, dict[str, Any]]) -> Package:
    """Every table of a valid package with ``n`` targets (see the module docstring)."""
    from cnplans.convert import derive
    from cnplans.fx import read_rates

    rng = np.random.default_rng(seed)
    sizes = Sizes.of(n)
    header = {name: [f["name"] for f in schema["fields"]] for name, schema in schemas.items()}
    enums = {
        (name, f["name"]): list(f["constraints"]["enum"])
        for name, schema in schemas.items()
        for f in schema["fields"]
        if "enum" in f.get("constraints", {})
    }
    tables: dict[str, Table] = {}

    # sources
    source_ids = _slugs("s", sizes.sources)
    sentences = _sentences(rng, sizes.sources)
    years = [str(y) for y in RATE_YEARS]
    published = _maybe(
        rng,
        [
            f"{y}-{m:02d}-{d:02d}"
            for y, m, d in zip(
                _pick(rng, years, sizes.sources),
                rng.integers(1, 13, size=sizes.sources).tolist(),
                rng.integers(1, 29, size=sizes.sources).tolist(),
                strict=True,
            )
        ],
        0.1,
    )
    texts = {}
    digests = []
    titles = [f"Synthetic plan report {i}" for i in range(1, sizes.sources + 1)]
    for source_id, title, own in zip(source_ids, titles, sentences, strict=True):
        text = _source_text(title, own)
        texts[f"sources/{source_id}.txt"] = text
        digests.append(hashlib.sha256(text.encode("utf-8")).hexdigest())
    tables["sources"] = Table(
        "sources",
        header["sources"],
        {
            "source_id": source_ids,
            "title": titles,
            "publisher": _maybe(rng, ["Synthetic Bureau of Statistics"] * sizes.sources, 0.5),
            "url": [f"https://example.org/{s}" for s in source_ids],
            "published": published,
            "language": ["en"] * sizes.sources,
            "path": [f"sources/{s}.txt" for s in source_ids],
            "sha256": digests,
            "notes": _notes(rng, sizes.sources),
        },
    )

    # regions: a few provinces first, every other region inside one of them
    region_codes = [f"{110000 + i:06d}" for i in range(sizes.regions)]
    provinces = max(1, sizes.regions // 20)
    levels = ["province"] * provinces + _pick(
        rng, ["prefecture_city", "district", "county"], sizes.regions - provinces
    )
    parents = [""] * provinces + [
        region_codes[i] for i in rng.integers(0, provinces, size=sizes.regions - provinces)
    ]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    region_sources = rng.integers(0, sizes.sources, size=sizes.regions)
    tables["regions"] = Table(
        "regions",
        header["regions"],
        {
            "region_id": region_codes,
            "name_en": [f"{PLACES[i % len(PLACES)]} {i}" for i in range(sizes.regions)],
            "name_zh": [
                HANZI[i % len(HANZI)] + HANZI[(i // 7) % len(HANZI)] + "市"
                for i in range(sizes.regions)
            ],
            "level": levels,
            "parent_id": parents,
            "iso_3166_2": [
                f"CN-{letters[i % 26]}{letters[(i // 26) % 26]}" if i < provinces else ""
                for i in range(sizes.regions)
            ],
            "code_standard": ["GB/T 2260 (code, Chinese name)"] * sizes.regions,
            "source_id": [source_ids[i] for i in region_sources],
            "quote": _quotes(rng, sentences, region_sources),
        },
    )

    # plans: each cites one source; its facts cite the same source
    plan_ids = _slugs("p", sizes.plans)
    plan_sources = rng.integers(0, sizes.sources, size=sizes.plans)
    issue_years = rng.integers(RATE_YEARS.start, RATE_YEARS.stop, size=sizes.plans)
    shapes = rng.random(size=sizes.plans)
    issued = []
    for year, shape in zip(issue_years.tolist(), shapes.tolist(), strict=True):
        if shape < 0.15:
            issued.append("")
        elif shape < 0.25:
            issued.append(str(year))
        elif shape < 0.35:
            issued.append(f"{year}-{int(shape * 100) % 12 + 1:02d}")
        else:
            issued.append(
                f"{year}-{int(shape * 100) % 12 + 1:02d}-{int(shape * 1000) % 28 + 1:02d}"
            )
    period_start = [str(y + 1) for y in issue_years.tolist()]
    tables["plans"] = Table(
        "plans",
        header["plans"],
        {
            "plan_id": plan_ids,
            "region_id": _pick(rng, region_codes, sizes.plans),
            "title": [f"synthetic development plan {i}" for i in range(1, sizes.plans + 1)],
            "issuer": _maybe(rng, ["Synthetic Commission of Industry"] * sizes.plans, 0.3),
            "sector": _pick(rng, enums["plans", "sector"], sizes.plans),
            "document_type": _pick(rng, enums["plans", "document_type"], sizes.plans),
            "issued": issued,
            "period_start": _maybe(rng, period_start, 0.2),
            "period_end": _maybe(rng, [str(int(y) + 4) for y in period_start], 0.2),
            "source_id": [source_ids[i] for i in plan_sources],
            "quote": _quotes(rng, sentences, plan_sources),
            "notes": _notes(rng, sizes.plans),
        },
    )

    def facts(count: int) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
        """Plan (in contiguous blocks, so every plan has some), its id, source id, source."""
        plan_of = np.arange(count, dtype=np.int64) * sizes.plans // count
        sources_of = plan_sources[plan_of]
        return (
            plan_of,
            [plan_ids[i] for i in plan_of.tolist()],
            [source_ids[i] for i in sources_of.tolist()],
            sources_of,
        )

    # projects
    _, project_plans, project_source_ids, project_sources = facts(sizes.projects)
    project_ids = _slugs("pr", sizes.projects)
    tables["projects"] = Table(
        "projects",
        header["projects"],
        {
            "project_id": project_ids,
            "plan_id": project_plans,
            "name": [f"synthetic project portfolio {i}" for i in range(1, sizes.projects + 1)],
            "project_count": _maybe(
                rng, [str(c) for c in rng.integers(1, 200, size=sizes.projects)], 0.4
            ),
            "investment_cny": _maybe(
                rng, [str(v * 100_000_000) for v in rng.integers(1, 900, sizes.projects)], 0.4
            ),
            "source_id": project_source_ids,
            "quote": _quotes(rng, sentences, project_sources),
            "notes": _notes(rng, sizes.projects),
        },
    )

    # measures
    _, measure_plans, measure_source_ids, measure_sources = facts(sizes.measures)
    measure_ids = _slugs("m", sizes.measures)
    tables["measures"] = Table(
        "measures",
        header["measures"],
        {
            "measure_id": measure_ids,
            "plan_id": measure_plans,
            "ordinal": _maybe(rng, [str(i % 15 + 1) for i in range(sizes.measures)], 0.3),
            "section": _maybe(
                rng,
                _pick(
                    rng,
                    ["Overall requirements", "Key tasks", "Safeguards, funding and talent"],
                    sizes.measures,
                ),
                0.2,
            ),
            "category": _pick(rng, enums["measures", "category"], sizes.measures),
            "summary": [f"Support {w} industry chains" for w in _pick(rng, WORDS, sizes.measures)],
            "source_id": measure_source_ids,
            "quote": _quotes(rng, sentences, measure_sources),
            "notes": _notes(rng, sizes.measures),
        },
    )

    # clusters, and one or two regions for each
    _, cluster_plans, cluster_source_ids, cluster_sources = facts(sizes.clusters)
    cluster_ids = _slugs("c", sizes.clusters)
    cluster_quotes = _quotes(rng, sentences, cluster_sources)
    tables["clusters"] = Table(
        "clusters",
        header["clusters"],
        {
            "cluster_id": cluster_ids,
            "plan_id": cluster_plans,
            "name": [
                f"{w} materials base {i}"
                for i, w in enumerate(_pick(rng, WORDS, sizes.clusters), start=1)
            ],
            "kind": _pick(rng, enums["clusters", "kind"], sizes.clusters),
            "focus": _maybe(rng, _pick(rng, WORDS, sizes.clusters), 0.5),
            "source_id": cluster_source_ids,
            "quote": cluster_quotes,
            "notes": _notes(rng, sizes.clusters),
        },
    )
    first = rng.integers(0, sizes.regions - 1, size=sizes.clusters)
    second = first + rng.integers(1, sizes.regions - first)
    two = rng.random(size=sizes.clusters) < 0.35
    pairs: Columns = {name: [] for name in header["cluster_regions"]}
    for c in range(sizes.clusters):
        for r in (first[c], second[c]) if two[c] else (first[c],):
            pairs["cluster_id"].append(cluster_ids[c])
            pairs["region_id"].append(region_codes[r])
            pairs["source_id"].append(cluster_source_ids[c])
            pairs["quote"].append(cluster_quotes[c])
    tables["cluster_regions"] = Table("cluster_regions", header["cluster_regions"], pairs)

    # targets
    plan_of, target_plans, target_source_ids, target_sources = facts(n)
    indicators = rng.integers(0, 7, size=n)
    indicator_names = enums["targets", "indicator"]
    money = {"revenue", "output_value", "added_output_value", "investment", "funding_in_place"}
    units, values, value_max, qualifiers = [], [], [], []
    amounts = rng.integers(1, 200, size=n).tolist()
    powers = rng.integers(8, 11, size=n).tolist()
    share = rng.random(size=n).tolist()
    for i, code in enumerate(indicators.tolist()):
        indicator = indicator_names[code]
        if indicator in money:
            units.append("USD" if share[i] < 0.05 else "CNY")
            values.append(str(amounts[i] * 10 ** powers[i]))
        elif indicator == "growth_rate":
            units.append("percent")
            values.append(f"{amounts[i] / 10:g}")
        else:
            units.append("count")
            values.append(str(amounts[i]))
        if 0.05 <= share[i] < 0.10:
            qualifiers.append("range")
            value_max.append(str(int(float(values[-1]) * 2)) if "." not in values[-1] else "99")
        else:
            qualifiers.append(
                ("exactly", "about", "at_least", "more_than", "up_to", "strive_for")[
                    int(share[i] * 1000) % 6
                ]
            )
            value_max.append("")
    plan_years = issue_years[plan_of]
    target_years = _maybe(
        rng,
        [
            str(y + d)
            for y, d in zip(plan_years.tolist(), rng.integers(1, 11, n).tolist(), strict=True)
        ],
        0.1,
    )
    rates = read_rates(REPO / "resources" / "exchange_rates.csv")
    published_of = dict(zip(source_ids, published, strict=True))
    issued_of = dict(zip(plan_ids, issued, strict=True))
    derived_cache: dict[tuple[str, str, str, str], Any] = {}
    derived: Columns = {"usd": [], "fx_year": [], "fx_units_per_usd": [], "fx_basis": []}
    for unit, value, plan, source in zip(
        units, values, target_plans, target_source_ids, strict=True
    ):
        key = (unit, value, issued_of[plan], published_of[source])
        cells = derived_cache.get(key)
        if cells is None:
            cells = derive(unit, value, key[2], key[3], rates).cells()
            derived_cache[key] = cells
        for column, text in cells.items():
            derived[column].append(text)
    reported = [
        str(int(u) + 3) if u and s < 0.02 else ""
        for u, s in zip(derived["usd"], share, strict=True)
    ]
    with_project = rng.random(size=n) < 0.2
    with_measure = rng.random(size=n) < 0.5
    tables["targets"] = Table(
        "targets",
        header["targets"],
        {
            "target_id": _slugs("t", n),
            "plan_id": target_plans,
            "project_id": [
                project_ids[i] if w else ""
                for i, w in zip(
                    rng.integers(0, sizes.projects, size=n).tolist(),
                    with_project.tolist(),
                    strict=True,
                )
            ],
            "measure_id": [
                measure_ids[i] if w else ""
                for i, w in zip(
                    rng.integers(0, sizes.measures, size=n).tolist(),
                    with_measure.tolist(),
                    strict=True,
                )
            ],
            "indicator": [indicator_names[i] for i in indicators.tolist()],
            "subject": [f"{w} enterprises" for w in _pick(rng, WORDS, n)],
            "value": values,
            "value_max": value_max,
            "qualifier": qualifiers,
            "unit": units,
            "target_year": target_years,
            "baseline_year": _maybe(rng, _pick(rng, years, n), 0.7),
            **derived,
            "reported_usd": reported,
            "source_id": target_source_ids,
            "quote": _quotes(rng, sentences, target_sources),
            "notes": _notes(rng, n),
        },
    )
    for name in schemas:
        if name in tables:
            table = tables[name]
            table.columns = {column: table.columns[column] for column in table.header}
    return Package(tables, texts)


# --------------------------------------------------------------------------------------------
# Defects
# --------------------------------------------------------------------------------------------


def _field(schema: dict[str, Any], predicate: Callable[[dict[str, Any]], bool]) -> str | None:
    key = set(_primary_key(schema))
    for f in schema["fields"]:
        if f["name"] not in key and predicate(f):
            return str(f["name"])
    for f in schema["fields"]:
        if predicate(f):
            return str(f["name"])
    return None


def _primary_key(schema: dict[str, Any]) -> list[str]:
    key = schema.get("primaryKey", [])
    return [key] if isinstance(key, str) else list(key)


def _constraint(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: name in f.get("constraints", {})


def _default_column(kind: str, schema: dict[str, Any]) -> str | None:
    """The column a cell defect of ``kind`` breaks when none is given."""
    if kind in ("primary-key", "sort-order"):
        key = _primary_key(schema)
        return key[0] if key else None
    chooser: dict[str, Callable[[dict[str, Any]], bool]] = {
        "type": lambda f: f.get("type") in ("integer", "number", "year", "date"),
        "pattern": _constraint("pattern"),
        "enum": _constraint("enum"),
        "minimum": _constraint("minimum"),
        "maximum": _constraint("maximum"),
        "required": lambda f: bool(f.get("constraints", {}).get("required")),
        "min-length": _constraint("minLength"),
        "unique": lambda f: bool(f.get("constraints", {}).get("unique")),
        "foreign-key": lambda f: (
            f["name"] in {n for fk in schema.get("foreignKeys", []) for n in _names(fk["fields"])}
        ),
        "quote": lambda f: f["name"] == "quote",
        "stale-usd": lambda f: f["name"] == "usd",
        "formula": lambda f: (
            f.get("type", "string") == "string"
            and "pattern" not in f.get("constraints", {})
            and "enum" not in f.get("constraints", {})
        ),
        "source-hash": lambda f: f["name"] == "sha256",
    }
    return _field(schema, chooser[kind])


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _broken_value(kind: str, f: dict[str, Any], current: str, previous: str) -> str:
    """The text that breaks ``f`` in the way ``kind`` says."""
    constraints = f.get("constraints", {})
    if kind == "type":
        return "12x"
    if kind == "pattern":
        return "Not valid!"
    if kind == "enum":
        return "not-in-the-enum"
    if kind == "minimum":
        return str(constraints["minimum"] - 1)
    if kind == "maximum":
        return str(constraints["maximum"] + 1)
    if kind == "required":
        return ""
    if kind == "min-length":
        return "ab"[: max(0, int(constraints["minLength"]) - 1)]
    if kind in ("primary-key", "unique"):
        return previous
    if kind == "foreign-key":
        return "000000" if constraints.get("pattern") == "^[0-9]{6}$" else "zz-missing"
    if kind == "quote":
        return "This sentence is in no source text."
    if kind == "stale-usd":
        return str(int(current) * 2 + 7) if current.isdigit() else "12345"  # beyond 6 digits
    if kind == "formula":
        return "=1+1"
    if kind == "source-hash":
        return "0" * 64
    raise SynthError(f"no cell value for defect kind {kind!r}")


def apply_defects(
    package: Package, defects: list[Defect], schemas: dict[str, dict[str, Any]]
) -> None:
    """Break the generated tables as ``defects`` say (in place)."""
    for defect in defects:
        table = package.tables[defect.table]
        schema = schemas[defect.table]
        if defect.kind not in HEADER_DEFECTS and defect.row > table.rows:
            raise SynthError(
                f"defect {defect.kind}@{defect.table}:{defect.row}: {defect.table} has only "
                f"{table.rows} rows"
            )
        index = defect.row - 1
        if defect.kind in HEADER_DEFECTS:
            _break_header(table, defect)
        elif defect.kind == "sort-order":
            if defect.row >= table.rows:
                raise SynthError(f"defect sort-order@{defect.row}: expected a row before the last")
            for cells in table.columns.values():
                cells[index], cells[index + 1] = cells[index + 1], cells[index]
        elif defect.kind in ROW_DEFECTS:
            table.extra_lines[index] = defect.kind
        else:
            column = defect.column or _default_column(defect.kind, schema)
            if column is None:
                raise SynthError(
                    f"defect {defect.kind}@{defect.table}:{defect.row}: {defect.table} has no "
                    f"column this kind applies to; name one with :COLUMN"
                )
            f = next(f for f in schema["fields"] if f["name"] == column)
            cells = table.columns[column]
            if defect.kind in ("primary-key", "unique"):
                if index == 0:
                    raise SynthError(f"defect {defect.kind}@{defect.row}: expected a row after 1")
                for name in _primary_key(schema) if defect.kind == "primary-key" else [column]:
                    table.columns[name][index] = table.columns[name][index - 1]
                continue
            cells[index] = _broken_value(defect.kind, f, cells[index], "")


def _break_header(table: Table, defect: Defect) -> None:
    header = list(table.header)
    if defect.kind == "missing-label":
        header.pop()
    elif defect.kind == "extra-label":
        header.append("extra")
    elif defect.kind == "blank-label":
        position = header.index(defect.column) if defect.column else len(header) - 1
        header[position] = ""
    elif defect.kind == "duplicate-label":
        position = header.index(defect.column) if defect.column else len(header) - 1
        header[position] = header[position - 1]
    table.extra_lines[-1] = ",".join(header)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _lines(table: Table) -> Iterator[str]:
    """The CSV text of ``table``, one line at a time (defects applied)."""
    buffer = _Buffer()
    writer = csv.writer(buffer, lineterminator="\n")
    header_line = table.extra_lines.get(-1)
    if header_line is not None:
        yield header_line + "\n"
    else:
        writer.writerow(table.header)
        yield buffer.take()
    columns = [table.columns[name] for name in table.header]
    for index, row in enumerate(zip(*columns, strict=True)):
        change = table.extra_lines.get(index)
        if change == "blank-row":
            yield "\n"
            continue
        if change == "missing-cell":
            writer.writerow(row[:-1])
        elif change == "extra-cell":
            writer.writerow((*row, "extra"))
        else:
            writer.writerow(row)
        yield buffer.take()


class _Buffer:
    """A write target for csv.writer that hands back what was written."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def _write_table(path: Path, table: Table) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        batch: list[str] = []
        for line in _lines(table):
            batch.append(line)
            if len(batch) >= 10_000:
                file.write("".join(batch))
                batch.clear()
        file.write("".join(batch))


def write_package(package: Package, out: Path) -> None:
    """Write ``package`` to ``out`` atomically: build a sibling folder, then rename it."""
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SynthError(
            f"{out} exists and was not written by this script; expected a new or empty folder"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        shutil.copy2(REPO / "datapackage.json", build / "datapackage.json")
        shutil.copytree(REPO / "schemas", build / "schemas")
        (build / "resources").mkdir()
        (build / "sources").mkdir()
        descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
        for resource in descriptor["resources"]:
            name = resource["name"]
            target = build / resource["path"]
            if name in package.tables:
                _write_table(target, package.tables[name])
            else:  # exchange_rates: the real table, so rates are true figures
                shutil.copy2(REPO / resource["path"], target)
        for relative, text in package.texts.items():
            (build / relative).write_bytes(text.encode("utf-8"))
        (build / MARKER).write_text("written by scripts/synth.py\n", encoding="utf-8")
        build.chmod(0o755)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
        build.rename(out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise


def read_schemas() -> dict[str, dict[str, Any]]:
    """The repository's Table Schemas by resource name, in descriptor order."""
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    return {
        r["name"]: json.loads((REPO / r["schema"]).read_text(encoding="utf-8"))
        for r in descriptor["resources"]
    }


def synthesize(n: int, out: Path, defects: str = "", seed: int = 0) -> Path:
    """Write a package with ``n`` targets to ``out`` (see the module docstring); return it."""
    if n < 10:
        raise SynthError(f"N is {n}; expected at least 10 target rows")
    schemas = read_schemas()
    parsed = parse_defects(defects, schemas)
    package = generate(n, seed, schemas)
    apply_defects(package, parsed, schemas)
    write_package(package, out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        description="Write a synthetic cnplans data package, valid unless --defects says so."
    )
    parser.add_argument("n", type=int, metavar="N", help="number of target rows (10 or more)")
    parser.add_argument("out", type=Path, metavar="OUT", help="folder to write the package to")
    parser.add_argument(
        "--defects",
        default="",
        metavar="KIND@[TABLE:]ROW[:COLUMN],...",
        help=f"defects to inject; kinds: {', '.join(DEFECTS)}",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    try:
        synthesize(args.n, args.out, args.defects, args.seed)
    except SynthError as error:
        print(f"synth: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({args.n} targets)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
