"""Write a synthetic cnplans data package of any size: valid by construction, defects on demand.

Usage::

    python scripts/synth.py N OUT [--defects KIND@ROW,...] [--seed S]

``OUT`` gets the repository's ``datapackage.json`` and ``schemas/`` (copied unchanged), ``N``
rows of ``targets`` and proportionate rows in the other tables (per target: 1/4 measure, 1/8
cluster, about 1/6 cluster region, 1/20 project, 1/50 plan, 1/100 region, 1/200 source), the
real ``exchange_rates`` table, and one synthetic archived text per source in ``sources/``.

Every row is valid against the schemas and the validator's rules, the rules that read quotes
included. Each source's text is generated first: a title, a dateline and a credit line (when
the source has them, and then ``sources.dateline`` and ``publisher`` print them), one sentence
per plan that cites it (title, issuer, period and issue date), numbered measure headings, and
``SENTENCES_PER_SOURCE`` sentences of fixed kinds (``SLOT_PATTERN``), each stating figures in
words a reader parses: a count ("will build about 4,200 ... projects ... by 2031"), an amount
in yuan, with its dollars in brackets sometimes ("more than 3.5 billion yuan ($0.50 billion)"),
in dollars ("$2 to $3 billion"), a growth rate ("at 12.5 percent a year by 2030 compared with
2024"), a cluster in two regions, a project portfolio with its investment; "strive to", "by
the end of this year" (target year from the dateline) and "on May 14" (issue year from the
dateline) included. A row then takes one sentence of the kind it needs and copies what that
sentence states: its value, upper value, unit, qualifier, strive flag and years (targets),
count and investment (projects), ordinal (measures), name and kind (clusters, projects),
regions (cluster regions, or the plan's own region with basis ``plan_region``). Row ids start
with their plan's id (clusters' with the kind too) and sort; foreign keys resolve; every quote
is taken from its source's text (whole sentences, sentence tails that keep every figure, pairs
of sentences whose whitespace differs from the text's, sentences with a doubled space);
``sources.sha256`` is the digest of the written text, and the derived US dollar columns are
what ``cnplans convert`` computes from the exchange rates. The words are generated; no row
states a real fact.

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

A defect may break more than its own rule (a value below the minimum is also a number its quote
does not state); the validator reports each rule it breaks.

The package is built in a temporary folder next to ``OUT`` and renamed into place; an existing
``OUT`` is replaced only when an earlier run of this script wrote it.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cnplans.datapackage.csv_form import render_rows, text_columns
from cnplans.datapackage.table_schema import TableSchema

REPO = Path(__file__).resolve().parents[1]
MARKER = ".cnplans-synthetic"  # written into every package this script makes
SENTENCES_PER_SOURCE = 100
HEADINGS_PER_SOURCE = 15  # numbered measure headings ("3. Support the ... chains.")
RATE_YEARS = range(2010, 2026)  # the years of the real exchange-rate table's CNY rows

Columns = dict[str, list[str]]
_ROWS_AT_A_TIME = 1 << 16  # rows rendered into one string before it is written

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
HEADING_VERBS = ("Strengthen", "Extend", "Upgrade", "Support", "Cultivate", "Build")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)

# What a sentence states, by kind; a source's sentences repeat SLOT_PATTERN, which ends with a
# filler so that every goal sentence has a next one (for quotes of two sentences).
KIND_COUNT, KIND_CNY, KIND_USD, KIND_PERCENT, KIND_CLUSTER, KIND_PROJECT, KIND_FILLER = range(7)
KIND_UNITS = ("count", "CNY", "USD", "percent", "", "", "")  # the unit of a target quoting it
SLOT_PATTERN = (
    KIND_COUNT,
    KIND_CNY,
    KIND_CLUSTER,
    KIND_COUNT,
    KIND_PERCENT,
    KIND_PROJECT,
    KIND_CNY,
    KIND_CLUSTER,
    KIND_COUNT,
    KIND_USD,
    KIND_CLUSTER,
    KIND_COUNT,
    KIND_CNY,
    KIND_PERCENT,
    KIND_CLUSTER,
    KIND_COUNT,
    KIND_PROJECT,
    KIND_CLUSTER,
    KIND_COUNT,
    KIND_FILLER,
)
SLOT_KINDS = np.array([SLOT_PATTERN[i % len(SLOT_PATTERN)] for i in range(SENTENCES_PER_SOURCE)])
SLOTS_OF = {kind: np.flatnonzero(np.equal(SLOT_KINDS, kind)) for kind in range(KIND_FILLER + 1)}

QUALIFIERS = ("exactly", "about", "at_least", "more_than", "up_to", "range")
QUALIFIER_SHARES = (0.18, 0.18, 0.18, 0.18, 0.18, 0.10)
QUALIFIER_WORDS = {  # the words before a figure, by qualifier (a range is "A to B")
    "exactly": ("",),
    "about": ("about ", "around ", "nearly "),
    "at_least": ("at least ", "no less than "),
    "more_than": ("more than ", "over "),
    "up_to": ("up to ",),
}
MONEY_INDICATORS = (
    "revenue",
    "output_value",
    "added_output_value",
    "investment",
    "funding_in_place",
)
MONEY_NOUNS = ("revenue", "output value", "added output value", "investment", "funding in place")
CLUSTER_KINDS = ("cluster", "innovation_hub", "base", "park", "zone", "industrial_chain")
CLUSTER_WORDS = ("cluster", "innovation hub", "base", "industrial park", "zone", "industrial chain")
# Cluster ids are <plan_id>-<kind with hyphens>-<number>: their order within a plan.
KIND_SLUG_RANK = {
    kind: rank for rank, kind in enumerate(sorted(CLUSTER_KINDS, key=lambda k: k.replace("_", "-")))
}


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


@dataclass
class Sentences:
    """Every source's generated sentences and, for each, the facts it states (as cell text).

    Sentence ``g`` is slot ``g % SENTENCES_PER_SOURCE`` of source ``g // SENTENCES_PER_SOURCE``;
    its kind is ``SLOT_KINDS`` of the slot. A column is ``""`` where the sentence does not state
    that fact. Row tables pick sentences of the kind they need and copy these cells, so every
    row states what its quote states.
    """

    text: np.ndarray  # the sentence
    value: np.ndarray  # its figure in base units (the lower end of a range)
    value_max: np.ndarray  # the upper end of a range
    qualifier: np.ndarray
    strive: np.ndarray  # "true" or "false"
    year: np.ndarray  # the target year it states
    year_basis: np.ndarray  # "quote", or "dateline" for "by the end of this year"
    baseline: np.ndarray  # the year a growth rate is measured from
    reported_usd: np.ndarray  # the dollar figure printed next to an amount in yuan
    indicator: np.ndarray
    subject: np.ndarray
    name: np.ndarray  # a cluster's or a project portfolio's name
    cluster_kind: np.ndarray
    regions: np.ndarray  # (sentences, 2) region positions a cluster sentence names
    project_count: np.ndarray
    investment: np.ndarray


def _empty(n: int) -> np.ndarray:
    return np.full(n, "", dtype=object)


def _tenths(x: int) -> str:
    """A number of tenths as the text prints it: 35 -> "3.5", 150 -> "15"."""
    return str(x // 10) if x % 10 == 0 else f"{x // 10}.{x % 10}"


def _count_text(x: int, in_words: bool) -> str:
    return NUMBER_WORDS[x] if in_words else f"{x:,}"


def _qualifier_words(qualifier: str, variant: int) -> str:
    choices = QUALIFIER_WORDS[qualifier]
    return choices[variant % len(choices)]


def _distinct_words(rng: np.random.Generator, count: int) -> list[list[int]]:
    """Three different positions in ``WORDS`` for each of ``count`` sentences."""
    first = rng.integers(0, len(WORDS), size=count)
    second = (first + rng.integers(1, len(WORDS), size=count)) % len(WORDS)
    third = rng.integers(0, len(WORDS) - 2, size=count)
    for taken in np.sort(np.stack([first, second]), axis=0):  # skip the two taken, in order
        third = third + (third >= taken)
    return np.stack([first, second, third], axis=1).tolist()


def _sentences(
    rng: np.random.Generator,
    base_year: np.ndarray,
    dated: np.ndarray,
    region_names: list[str],
    first_child: int,
) -> Sentences:
    """``SENTENCES_PER_SOURCE`` sentences for each source, each stating its kind's facts.

    ``base_year`` is each source's year (its dateline's, when ``dated``): target years come
    after it, baseline years before it, and "this year" is it.
    """
    sources = base_year.size
    total = sources * SENTENCES_PER_SOURCE
    source = np.arange(total) // SENTENCES_PER_SOURCE
    kind = np.tile(SLOT_KINDS, sources)
    place = rng.integers(0, len(PLACES), size=total).tolist()
    words = _distinct_words(rng, total)
    verbs = rng.integers(0, len(VERBS), size=total).tolist()
    qualifier = rng.choice(len(QUALIFIERS), size=total, p=QUALIFIER_SHARES).tolist()
    strive = (rng.random(size=total) < 0.1).tolist()
    year = (base_year[source] + rng.integers(1, 11, size=total)).tolist()
    year_mode = rng.random(size=total)
    this_year = (year_mode < 0.05) & dated[source]
    no_year = (year_mode >= 0.05) & (year_mode < 0.15)
    baseline = (base_year[source] - rng.integers(0, 6, size=total)).tolist()
    low = rng.integers(2, 900, size=total)
    low = np.where(rng.random(size=total) < 0.2, low * 10, low)
    small = rng.random(size=total) < 0.15
    low = np.where(small, rng.integers(2, 10, size=total), low)
    high = low + rng.integers(1, np.maximum(2, low // 2) + 1)
    in_words = (small & (high < len(NUMBER_WORDS)) & (rng.random(size=total) < 0.6)).tolist()
    tenths = rng.integers(1, 3000, size=total)
    millions = rng.random(size=total) < 0.15
    tenths = np.where(millions, rng.integers(10, 9990, size=total), tenths)
    tenths_high = tenths + rng.integers(1, np.maximum(2, tenths // 2) + 1)
    percent = rng.integers(5, 400, size=total).tolist()
    percent_low = rng.integers(1, 30, size=total)
    percent_high = (percent_low + rng.integers(1, 6, size=total)).tolist()
    with_dollars = (~millions & (rng.random(size=total) < 0.3)).tolist()
    money_indicator = rng.integers(0, len(MONEY_INDICATORS), size=total).tolist()
    cluster_kind = rng.integers(0, len(CLUSTER_KINDS), size=total).tolist()
    children = len(region_names) - first_child
    first = rng.integers(0, children, size=total)
    second = (first + rng.integers(1, children, size=total)) % children
    regions = np.stack([first, second], axis=1) + first_child
    project_count = rng.integers(2, 300, size=total).tolist()
    investment = rng.integers(1, 2000, size=total).tolist()
    low, high = low.tolist(), high.tolist()
    millions, tenths, tenths_high = millions.tolist(), tenths.tolist(), tenths_high.tolist()
    percent_low = percent_low.tolist()
    this_year, no_year = this_year.tolist(), no_year.tolist()
    base = base_year.tolist()
    pairs = regions.tolist()

    s = Sentences(
        text=_empty(total),
        value=_empty(total),
        value_max=_empty(total),
        qualifier=_empty(total),
        strive=_empty(total),
        year=_empty(total),
        year_basis=_empty(total),
        baseline=_empty(total),
        reported_usd=_empty(total),
        indicator=_empty(total),
        subject=_empty(total),
        name=_empty(total),
        cluster_kind=_empty(total),
        regions=regions,
        project_count=_empty(total),
        investment=_empty(total),
    )

    def by_when(g: int) -> str:
        """The words that date a goal, and its target year and basis set on ``s``."""
        if no_year[g]:
            return ""
        if this_year[g]:
            s.year[g], s.year_basis[g] = str(base[g // SENTENCES_PER_SOURCE]), "dateline"
            return " by the end of this year"
        s.year[g], s.year_basis[g] = str(year[g]), "quote"
        return f" by {year[g]}"

    def figure(g: int, low_text: str, high_text: str) -> str:
        """The qualified figure of a goal sentence ("about 4,200", "3 to 5")."""
        name = QUALIFIERS[qualifier[g]]
        s.qualifier[g], s.strive[g] = name, "true" if strive[g] else "false"
        if name == "range":
            return f"{low_text} to {high_text}"
        s.value_max[g] = ""
        return _qualifier_words(name, g) + low_text

    for g in np.flatnonzero(kind == KIND_COUNT).tolist():
        w = words[g]
        s.value[g], s.value_max[g] = str(low[g]), str(high[g])
        number = figure(g, _count_text(low[g], in_words[g]), _count_text(high[g], in_words[g]))
        striving = "strive to " if strive[g] else ""
        subject = f"{WORDS[w[0]]} {WORDS[w[1]]} projects in the {WORDS[w[2]]} chain"
        s.text[g] = (
            f"{PLACES[place[g]]} will {striving}{VERBS[verbs[g]]} {number} {subject}"
            f"{by_when(g)}, item {g}."
        )
        s.indicator[g], s.subject[g] = "count", subject

    for g in np.flatnonzero((kind == KIND_CNY) | (kind == KIND_USD)).tolist():
        w = words[g]
        factor = 10**5 if millions[g] else 10**8
        scale = "million" if millions[g] else "billion"
        s.value[g], s.value_max[g] = str(tenths[g] * factor), str(tenths_high[g] * factor)
        sign, currency = ("$", "") if kind[g] == KIND_USD else ("", " yuan")
        number = figure(g, sign + _tenths(tenths[g]), sign + _tenths(tenths_high[g]))
        dollars = ""
        if kind[g] == KIND_CNY and with_dollars[g] and s.qualifier[g] != "range":
            hundredths = (tenths[g] * 20 + 7) // 14  # the amount / 7, in hundredths of a billion
            dollars = f" (${hundredths // 100}.{hundredths % 100:02d} billion)"
            s.reported_usd[g] = str(hundredths * 10**7)
        noun = MONEY_NOUNS[money_indicator[g]]
        subject = f"{noun} of the {WORDS[w[0]]} {WORDS[w[1]]} industry"
        striving = "strive to " if strive[g] else ""
        s.text[g] = (
            f"{PLACES[place[g]]} will {striving}bring the {subject} to {number} {scale}"
            f"{currency}{dollars}{by_when(g)}, item {g}."
        )
        s.indicator[g], s.subject[g] = MONEY_INDICATORS[money_indicator[g]], subject

    for g in np.flatnonzero(kind == KIND_PERCENT).tolist():
        w = words[g]
        if QUALIFIERS[qualifier[g]] == "range":
            s.value[g], s.value_max[g] = str(percent_low[g]), str(percent_high[g])
        else:
            s.value[g] = _tenths(percent[g])
        number = figure(g, s.value[g], s.value_max[g])
        subject = f"annual growth rate of the {WORDS[w[0]]} {WORDS[w[1]]} industry"
        striving = "strive to " if strive[g] else ""
        s.text[g] = (
            f"{PLACES[place[g]]} will {striving}keep the {subject[7:]} at {number} percent a "
            f"year{by_when(g)} compared with {baseline[g]}, item {g}."
        )
        s.baseline[g] = str(baseline[g])
        s.indicator[g], s.subject[g] = "growth_rate", subject

    for g in np.flatnonzero(kind == KIND_CLUSTER).tolist():
        w = words[g]
        name = f"{WORDS[w[0]]} {WORDS[w[1]]} {CLUSTER_WORDS[cluster_kind[g]]} {g}"
        first_region, second_region = pairs[g]
        s.text[g] = (
            f"The {name} in {region_names[first_region]} and {region_names[second_region]} "
            f"will gather {WORDS[w[2]]} firms."
        )
        s.name[g], s.cluster_kind[g] = name, CLUSTER_KINDS[cluster_kind[g]]

    for g in np.flatnonzero(kind == KIND_PROJECT).tolist():
        w = words[g]
        name = f"major {WORDS[w[0]]} {WORDS[w[1]]} projects"
        s.text[g] = (
            f"{PLACES[place[g]]} will {VERBS[verbs[g]]} {project_count[g]} {name} with a total "
            f"investment of {_tenths(investment[g])} billion yuan, item {g}."
        )
        s.name[g] = name
        s.project_count[g] = str(project_count[g])
        s.investment[g] = str(investment[g] * 10**8)

    for g in np.flatnonzero(kind == KIND_FILLER).tolist():
        w = words[g]
        s.text[g] = (
            f"{PLACES[place[g]]} will {VERBS[verbs[g]]} the {WORDS[w[0]]} {WORDS[w[1]]} "
            f"industry and the {WORDS[w[2]]} chain, item {g}."
        )
    return s


def _headings(rng: np.random.Generator, sources: int) -> tuple[list[str], list[str]]:
    """``HEADINGS_PER_SOURCE`` numbered measure headings per source, and their summaries."""
    total = sources * HEADINGS_PER_SOURCE
    verbs = rng.integers(0, len(HEADING_VERBS), size=total).tolist()
    words = _distinct_words(rng, total)
    summaries = [
        f"{HEADING_VERBS[v]} the {WORDS[a]} {WORDS[b]} industry chains"
        for v, (a, b, _) in zip(verbs, words, strict=True)
    ]
    headings = [f"{i % HEADINGS_PER_SOURCE + 1}. {summary}." for i, summary in enumerate(summaries)]
    return headings, summaries


def _source_text(
    title: str, head: list[str], plans: list[str], headings: list[str], sentences: list[str]
) -> str:
    """An archived text: the title, dateline and credit lines, a paragraph stating the plans,
    the numbered measure headings one a line, then paragraphs of five sentences."""
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    blocks = [title, *(["\n".join(head)] if head else []), " ".join(plans), "\n".join(headings)]
    return "\n\n".join([*blocks, *paragraphs]) + "\n"


def _pick_slots(rng: np.random.Generator, source: np.ndarray, kind: int) -> np.ndarray:
    """A sentence of ``kind`` in each row's source (global sentence numbers)."""
    slots = SLOTS_OF[kind]
    chosen = slots[rng.integers(0, slots.size, size=source.size)]
    return source * SENTENCES_PER_SOURCE + chosen


def _any_sentence(rng: np.random.Generator, source: np.ndarray) -> np.ndarray:
    """Any sentence but the last of each row's source (so a next one exists)."""
    slots = rng.integers(0, SENTENCES_PER_SOURCE - 1, size=source.size)
    return source * SENTENCES_PER_SOURCE + slots


def _quotes(
    rng: np.random.Generator, text: np.ndarray, which: np.ndarray, tails: bool = True
) -> list[str]:
    """A quote of sentence ``which`` for every row, in four shapes (see the module docstring).

    Every shape keeps the whole sentence's facts: a tail drops only the first two words (a
    place and "will"); without ``tails`` (names at the start) the sentence is kept whole.
    """
    shape = rng.random(size=which.size).tolist()
    sentences = text[which].tolist()
    following = text[which + 1].tolist()
    quotes = []
    for sentence, after, r in zip(sentences, following, shape, strict=True):
        if r < 0.75:
            quotes.append(sentence)
        elif r < 0.90:
            quotes.append(sentence.split(" ", 2)[2] if tails else sentence)
        elif r < 0.97:
            quotes.append(sentence + " " + after)  # may cross a paragraph break
        else:
            quotes.append(sentence.replace(" will ", "  will ", 1))  # whitespace differs
    return quotes


def _slugs(prefix: str, count: int) -> list[str]:
    width = max(6, len(str(count)))
    return [f"{prefix}-{i:0{width}d}" for i in range(1, count + 1)]


def _child_slugs(parents: list[str], part: str, count: int) -> list[str]:
    """``<parent>-<part>-<number>`` for each row (numbers of one width, so they sort)."""
    width = max(6, len(str(count)))
    return [f"{p}-{part}-{i:0{width}d}" for i, p in enumerate(parents, start=1)]


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


def _blocks(count: int, plans: int) -> np.ndarray:
    """The plan of each of ``count`` rows, in contiguous blocks, so every plan has some."""
    return np.arange(count, dtype=np.int64) * plans // count


def _within_plan(
    rng: np.random.Generator, plan_of: np.ndarray, count: int, plans: int
) -> np.ndarray:
    """A random row of a ``count``-row table in blocks (:func:`_blocks`) of each given plan."""
    start = -(-plan_of * count // plans)
    stop = -(-(plan_of + 1) * count // plans)
    return start + (rng.random(size=plan_of.size) * (stop - start)).astype(np.int64)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


@dataclass
class Package:
    """The generated tables and source texts, before defects and writing."""

    tables: dict[str, Table]
    texts: dict[str, str]  # source path -> text


@dataclass
class _Context:
    """What the tables of one package share while they are generated."""

    rng: np.random.Generator
    sizes: Sizes
    header: dict[str, list[str]]
    enums: dict[tuple[str, str], list[str]]
    source_ids: list[str]
    base_year: np.ndarray  # each source's year
    dated: np.ndarray  # whether each source prints a dateline
    published: list[str]
    region_codes: list[str]
    region_names: list[str]
    first_child: int  # regions before this position are provinces
    sentences: Sentences
    headings: list[str]
    summaries: list[str]
    plan_ids: list[str] = field(default_factory=list)
    plan_source: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    plan_region: list[str] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    plan_sentences: list[str] = field(default_factory=list)

    def table(self, name: str, columns: Columns) -> Table:
        return Table(name, self.header[name], columns)


def _regions(c: _Context) -> Table:
    """A few provinces first, every other region inside one of them."""
    rng, sizes = c.rng, c.sizes
    provinces = c.first_child
    levels = ["province"] * provinces + _pick(
        rng, ["prefecture_city", "district", "county"], sizes.regions - provinces
    )
    parents = [""] * provinces + [
        c.region_codes[i] for i in rng.integers(0, provinces, size=sizes.regions - provinces)
    ]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    region_sources = rng.integers(0, sizes.sources, size=sizes.regions)
    return c.table(
        "regions",
        {
            "region_id": c.region_codes,
            "name_en": c.region_names,
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
            "source_id": [c.source_ids[i] for i in region_sources.tolist()],
            "quote": _quotes(rng, c.sentences.text, _any_sentence(rng, region_sources)),
            "notes": _notes(rng, sizes.regions),
        },
    )


def _plans(c: _Context) -> Table:
    """Plans, each stated by a sentence of its own in its source: title, issuer, period, date.

    Plan ``p`` cites source ``p % sources``. It was issued in its source's year or up to two
    years before (every target year of the source comes later); an issue date the sentence
    gives only as a month and day ("on May 14") has the basis ``dateline``.
    """
    rng, sizes = c.rng, c.sizes
    count = sizes.plans
    source = np.arange(count, dtype=np.int64) % sizes.sources
    base = c.base_year[source]
    year = np.maximum(RATE_YEARS.start, base - rng.integers(0, 3, size=count))
    mode = rng.random(size=count)
    by_dateline = (mode >= 0.35) & (mode < 0.45) & c.dated[source]
    year = np.where(by_dateline, base, year)
    month = rng.integers(1, 13, size=count)
    day = rng.integers(1, 29, size=count)
    # An issue date read from the dateline is on or before the date the source was published.
    published_month = np.array([int(p[5:7]) if p else 12 for p in c.published])[source]
    published_day = np.array([int(p[8:10]) if p else 28 for p in c.published])[source]
    month = np.where(by_dateline, np.minimum(month, published_month), month)
    same_month = by_dateline & (month == published_month)
    day = np.where(same_month, np.minimum(day, published_day), day)
    period = rng.random(size=count) < 0.7
    length = rng.integers(2, 5, size=count)
    issuers = _maybe(rng, ["Synthetic Commission of Industry"] * count, 0.3)
    words = _distinct_words(rng, count)
    spaced = (rng.random(size=count) < 0.1).tolist()
    titles, issued, basis, starts, ends, sentences, quotes = [], [], [], [], [], [], []
    for p, (y, m, d, r, dateline, has_period, span, issuer, (a, b, _), extra) in enumerate(
        zip(
            year.tolist(),
            month.tolist(),
            day.tolist(),
            mode.tolist(),
            by_dateline.tolist(),
            period.tolist(),
            length.tolist(),
            issuers,
            words,
            spaced,
            strict=True,
        )
    ):
        title = f"development plan {p + 1} for the {WORDS[a]} {WORDS[b]} industry"
        if r < 0.15:
            when, issued_text = "", ""
        elif r < 0.25:
            when, issued_text = f" in {y}", str(y)
        elif r < 0.35:
            when, issued_text = f" in {MONTHS[m - 1]} {y}", f"{y}-{m:02d}"
        elif dateline:
            when, issued_text = f" on {MONTHS[m - 1]} {d}", f"{y}-{m:02d}-{d:02d}"
        else:
            when, issued_text = f" on {MONTHS[m - 1]} {d}, {y}", f"{y}-{m:02d}-{d:02d}"
        spans = f" ({y + 1}-{y + 1 + span})" if has_period else ""
        done = "issued" if when else "released"
        if issuer:
            sentence = f"The {issuer} {done} the {title}{spans}{when}."
        else:
            sentence = f"The {title}{spans} was {done}{when}."
        titles.append(title)
        issued.append(issued_text)
        basis.append(("dateline" if dateline else "quote") if issued_text else "")
        starts.append(str(y + 1) if has_period else "")
        ends.append(str(y + 1 + span) if has_period else "")
        sentences.append(sentence)
        quotes.append(sentence.replace(" the ", "  the ", 1) if extra else sentence)
    c.plan_ids = _slugs("p", count)
    c.plan_source = source
    c.plan_region = _pick(rng, c.region_codes, count)
    c.issued = issued
    c.plan_sentences = sentences
    return c.table(
        "plans",
        {
            "plan_id": c.plan_ids,
            "region_id": c.plan_region,
            "title": titles,
            "issuer": issuers,
            "sector": _pick(rng, c.enums["plans", "sector"], count),
            "document_type": _pick(rng, c.enums["plans", "document_type"], count),
            "issued": issued,
            "issued_basis": basis,
            "period_start": starts,
            "period_end": ends,
            "source_id": [c.source_ids[i] for i in source.tolist()],
            "quote": quotes,
            "notes": _notes(rng, count),
        },
    )


def _facts(c: _Context, count: int) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """Plan (in contiguous blocks), its id, the source id and source of ``count`` fact rows."""
    plan_of = _blocks(count, c.sizes.plans)
    source = c.plan_source[plan_of]
    return (
        plan_of,
        [c.plan_ids[i] for i in plan_of.tolist()],
        [c.source_ids[i] for i in source.tolist()],
        source,
    )


def _projects(c: _Context) -> Table:
    """Project portfolios, each a project sentence: its name, count and total investment."""
    rng, count = c.rng, c.sizes.projects
    _, plans, source_ids, source = _facts(c, count)
    which = _pick_slots(rng, source, KIND_PROJECT)
    s = c.sentences
    return c.table(
        "projects",
        {
            "project_id": _child_slugs(plans, "project", count),
            "plan_id": plans,
            "name": s.name[which].tolist(),
            "project_count": _maybe(rng, s.project_count[which].tolist(), 0.4),
            "investment_cny": _maybe(rng, s.investment[which].tolist(), 0.4),
            "source_id": source_ids,
            "quote": _quotes(rng, s.text, which),
            "notes": _notes(rng, count),
        },
    )


def _measures(c: _Context) -> Table:
    """Measures: most quote a numbered heading (their ordinal), the rest any sentence.

    Some unnumbered measures are parts of the numbered measure before them in their plan
    (``parent_measure_id``); numbered measures are parts of none.
    """
    rng, count = c.rng, c.sizes.measures
    plan_of, plans, source_ids, source = _facts(c, count)
    is_numbered = rng.random(size=count) < 0.7
    numbered = is_numbered.tolist()
    ordinal = rng.integers(1, HEADINGS_PER_SOURCE + 1, size=count)
    heading = (source * HEADINGS_PER_SOURCE + ordinal - 1).tolist()
    sentence_quotes = _quotes(rng, c.sentences.text, _any_sentence(rng, source))
    plain = [f"Support {w} industry chains" for w in _pick(rng, WORDS, count)]
    measure_ids = _child_slugs(plans, "measure", count)
    # The last numbered measure at or before each row, when it is of the row's plan.
    last = np.maximum.accumulate(np.where(is_numbered, np.arange(count), -1))
    has_parent = (
        ~is_numbered
        & (last >= 0)
        & (plan_of[np.maximum(last, 0)] == plan_of)
        & (rng.random(size=count) < 0.4)
    )
    return c.table(
        "measures",
        {
            "measure_id": measure_ids,
            "plan_id": plans,
            "ordinal": [
                str(o) if n else "" for o, n in zip(ordinal.tolist(), numbered, strict=True)
            ],
            "parent_measure_id": [
                measure_ids[p] if h else ""
                for p, h in zip(last.tolist(), has_parent.tolist(), strict=True)
            ],
            "section": _maybe(
                rng,
                _pick(
                    rng,
                    ["Overall requirements", "Key tasks", "Safeguards, funding and talent"],
                    count,
                ),
                0.2,
            ),
            "category": _pick(rng, c.enums["measures", "category"], count),
            "summary": [
                c.summaries[h] if n else p for h, n, p in zip(heading, numbered, plain, strict=True)
            ],
            "source_id": source_ids,
            "quote": [
                c.headings[h] if n else q
                for h, n, q in zip(heading, numbered, sentence_quotes, strict=True)
            ],
            "notes": _notes(rng, count),
        },
    )


def _clusters(c: _Context) -> tuple[Table, Table]:
    """Clusters, each a cluster sentence (its name and kind), and the regions it is in.

    A cluster is in the region its sentence names first (basis ``quote``), in both regions it
    names, or only in its plan's region (basis ``plan_region``). The named regions are never
    provinces, so no link lies within another of the same cluster.
    """
    rng, count = c.rng, c.sizes.clusters
    plan_of, _, _, source = _facts(c, count)
    which = _pick_slots(rng, source, KIND_CLUSTER)
    s = c.sentences
    kinds = s.cluster_kind[which]
    rank = np.array([KIND_SLUG_RANK[k] for k in kinds.tolist()])
    order = np.lexsort((np.arange(count), rank, plan_of))  # ids sort by plan, kind, number
    plan_of, which, kinds, source = plan_of[order], which[order], kinds[order], source[order]
    plans = [c.plan_ids[i] for i in plan_of.tolist()]
    source_ids = [c.source_ids[i] for i in source.tolist()]
    width = max(6, len(str(count)))
    cluster_ids = [
        f"{p}-{k.replace('_', '-')}-{i:0{width}d}"
        for i, (p, k) in enumerate(zip(plans, kinds.tolist(), strict=True), start=1)
    ]
    quotes = _quotes(rng, s.text, which, tails=False)
    clusters = c.table(
        "clusters",
        {
            "cluster_id": cluster_ids,
            "plan_id": plans,
            "name": s.name[which].tolist(),
            "kind": kinds.tolist(),
            "focus": _maybe(rng, _pick(rng, WORDS, count), 0.5),
            "source_id": source_ids,
            "quote": quotes,
            "notes": _notes(rng, count),
        },
    )
    links: Columns = {name: [] for name in c.header["cluster_regions"]}
    placement = rng.random(size=count).tolist()
    named = s.regions[which].tolist()
    plan_regions = [c.plan_region[i] for i in plan_of.tolist()]
    link_notes = _notes(rng, 2 * count)
    for i, (cluster_id, r, (first, second)) in enumerate(
        zip(cluster_ids, placement, named, strict=True)
    ):
        if r < 0.15:
            places = [(plan_regions[i], "plan_region")]
        elif r < 0.65:
            places = [(c.region_codes[first], "quote")]
        else:
            places = [(c.region_codes[k], "quote") for k in sorted((first, second))]
        for j, (region, basis) in enumerate(places):
            links["cluster_id"].append(cluster_id)
            links["region_id"].append(region)
            links["source_id"].append(source_ids[i])
            links["quote"].append(quotes[i])
            links["basis"].append(basis)
            links["notes"].append(link_notes[2 * i + j])
    return clusters, c.table("cluster_regions", links)


def _targets(c: _Context, projects: Table, measures: Table) -> Table:
    """Targets, each the facts of a goal sentence of its kind: a count, money, a growth rate.

    Value, upper value, qualifier, strive, unit, target year and its basis, baseline year and
    reported dollars are the sentence's; the derived dollar columns are what ``cnplans
    convert`` computes from them.
    """
    from cnplans.conversion.convert import derive
    from cnplans.conversion.fx import read_rates

    rng, sizes, n = c.rng, c.sizes, c.sizes.targets
    plan_of, plans, source_ids, source = _facts(c, n)
    u = rng.random(size=n)
    kind = np.select(
        [u < 1 / 7, u < 2 / 7, u < 2 / 7 + 5 / 7 * 0.05],
        [KIND_COUNT, KIND_PERCENT, KIND_USD],
        KIND_CNY,
    )
    which = np.zeros(n, dtype=np.int64)
    for k in (KIND_COUNT, KIND_PERCENT, KIND_USD, KIND_CNY):
        rows = np.flatnonzero(kind == k)
        which[rows] = _pick_slots(rng, source[rows], k)
    s = c.sentences
    units = np.array(KIND_UNITS, dtype=object)[kind].tolist()
    values = s.value[which].tolist()
    rates = read_rates(REPO / "resources" / "exchange_rates.csv")
    issued_year = [c.issued[p][:4] for p in plan_of.tolist()]
    published_year = [c.published[i][:4] for i in source.tolist()]
    derived_cache: dict[tuple[str, str, str, str], dict[str, str]] = {}
    derived: Columns = {"usd": [], "fx_year": [], "fx_units_per_usd": [], "fx_basis": []}
    for key in zip(units, values, issued_year, published_year, strict=True):
        cells = derived_cache.get(key)
        if cells is None:
            cells = derive(key[0], key[1], key[2] or None, key[3] or None, rates).cells()
            derived_cache[key] = cells
        for column, text in cells.items():
            derived[column].append(text)
    target_type = np.where(
        kind == KIND_COUNT,
        np.where(rng.random(size=n) < 0.15, "structure", "goal"),
        np.where((kind == KIND_CNY) & (rng.random(size=n) < 0.1), "threshold", "goal"),
    )
    with_project = rng.random(size=n) < 0.2
    with_measure = rng.random(size=n) < 0.5
    project = _within_plan(rng, plan_of, sizes.projects, sizes.plans).tolist()
    measure = _within_plan(rng, plan_of, sizes.measures, sizes.plans).tolist()
    project_ids = projects.columns["project_id"]
    measure_ids = measures.columns["measure_id"]
    baseline = np.where(rng.random(size=n) < 0.5, s.baseline[which], "")
    return c.table(
        "targets",
        {
            "target_id": _child_slugs(plans, "target", n),
            "plan_id": plans,
            "project_id": [
                project_ids[i] if w else ""
                for i, w in zip(project, with_project.tolist(), strict=True)
            ],
            "measure_id": [
                measure_ids[i] if w else ""
                for i, w in zip(measure, with_measure.tolist(), strict=True)
            ],
            "target_type": target_type.tolist(),
            "indicator": s.indicator[which].tolist(),
            "subject": s.subject[which].tolist(),
            "value": values,
            "value_max": s.value_max[which].tolist(),
            "qualifier": s.qualifier[which].tolist(),
            "strive": s.strive[which].tolist(),
            "unit": units,
            "target_year": s.year[which].tolist(),
            "target_year_basis": s.year_basis[which].tolist(),
            "baseline_year": baseline.tolist(),
            **derived,
            "reported_usd": s.reported_usd[which].tolist(),
            "source_id": source_ids,
            "quote": _quotes(rng, s.text, which),
            "notes": _notes(rng, n),
        },
    )


def _sources(c: _Context, texts: dict[str, str]) -> Table:
    """Sources, each with its text: a title, a dateline and a credit line when it has them."""
    rng, count = c.rng, c.sizes.sources
    publisher = _maybe(rng, ["Synthetic Bureau of Statistics"] * count, 0.5)
    datelines = [
        f"{MONTHS[int(p[5:7]) - 1]} {int(p[8:10])}, {p[:4]}" if p else "" for p in c.published
    ]
    titles = [f"Synthetic plan report {i}" for i in range(1, count + 1)]
    plans_of: list[list[str]] = [[] for _ in range(count)]
    for sentence, s in zip(c.plan_sentences, c.plan_source.tolist(), strict=True):
        plans_of[s].append(sentence)
    text = c.sentences.text.tolist()
    digests = []
    for i, source_id in enumerate(c.source_ids):
        head = [f"Synthetic City, {datelines[i]}"] if datelines[i] else []
        head += [f"Source: {publisher[i]}"] if publisher[i] else []
        own = slice(i * SENTENCES_PER_SOURCE, (i + 1) * SENTENCES_PER_SOURCE)
        headings = c.headings[i * HEADINGS_PER_SOURCE : (i + 1) * HEADINGS_PER_SOURCE]
        body = _source_text(titles[i], head, plans_of[i], headings, text[own])
        texts[f"sources/{source_id}.txt"] = body
        digests.append(hashlib.sha256(body.encode("utf-8")).hexdigest())
    return c.table(
        "sources",
        {
            "source_id": c.source_ids,
            "title": titles,
            "publisher": publisher,
            "url": [f"https://example.org/{s}" for s in c.source_ids],
            "published": c.published,
            "dateline": datelines,
            "language": ["en"] * count,
            "path": [f"sources/{s}.txt" for s in c.source_ids],
            "sha256": digests,
            "notes": _notes(rng, count),
        },
    )


def generate(n: int, seed: int, schemas: dict[str, dict[str, Any]]) -> Package:
    """Every table of a valid package with ``n`` targets (see the module docstring)."""
    rng = np.random.default_rng(seed)
    sizes = Sizes.of(n)
    header = {name: [f["name"] for f in schema["fields"]] for name, schema in schemas.items()}
    enums = {
        (name, f["name"]): list(f["constraints"]["enum"])
        for name, schema in schemas.items()
        for f in schema["fields"]
        if "enum" in f.get("constraints", {})
    }
    base_year = rng.integers(RATE_YEARS.start + 2, RATE_YEARS.stop, size=sizes.sources)
    dated = rng.random(size=sizes.sources) >= 0.1
    months = rng.integers(1, 13, size=sizes.sources).tolist()
    days = rng.integers(1, 29, size=sizes.sources).tolist()
    published = [
        f"{y}-{m:02d}-{d:02d}" if has else ""
        for y, m, d, has in zip(base_year.tolist(), months, days, dated.tolist(), strict=True)
    ]
    region_names = [f"{PLACES[i % len(PLACES)]} {i}" for i in range(sizes.regions)]
    first_child = max(1, sizes.regions // 20)
    headings, summaries = _headings(rng, sizes.sources)
    c = _Context(
        rng=rng,
        sizes=sizes,
        header=header,
        enums=enums,
        source_ids=_slugs("s", sizes.sources),
        base_year=base_year,
        dated=dated,
        published=published,
        region_codes=[f"{110000 + i:06d}" for i in range(sizes.regions)],
        region_names=region_names,
        first_child=first_child,
        sentences=_sentences(rng, base_year, dated, region_names, first_child),
        headings=headings,
        summaries=summaries,
    )
    tables: dict[str, Table] = {}
    texts: dict[str, str] = {}
    tables["regions"] = _regions(c)
    tables["plans"] = _plans(c)
    tables["sources"] = _sources(c, texts)
    tables["projects"] = _projects(c)
    tables["measures"] = _measures(c)
    tables["clusters"], tables["cluster_regions"] = _clusters(c)
    tables["targets"] = _targets(c, tables["projects"], tables["measures"])
    for name, schema in schemas.items():
        if name in tables:
            table = tables[name]
            rows = table.rows
            table.columns = {
                column: (
                    table.columns[column]
                    if column in table.columns
                    else _unknown_column(name, schema, column, rows)
                )
                for column in table.header
            }
    return Package(tables, texts)


def _unknown_column(table: str, schema: dict[str, Any], column: str, rows: int) -> list[str]:
    """Empty cells for an optional column this script does not fill (a schema newer than it).

    An empty optional cell is valid; a required column must be generated, so it is an error.
    """
    field = next(f for f in schema["fields"] if f["name"] == column)
    if field.get("constraints", {}).get("required"):
        raise SynthError(
            f"the schema of {table} has a required column {column!r} that scripts/synth.py does "
            "not generate; expected every required column to be filled by its table's function"
        )
    return [""] * rows


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


def _write_table(path: Path, table: Table, schema: TableSchema) -> None:
    """Write ``table`` in the package's CSV form (defects applied): runs of unchanged rows are
    rendered at once."""
    columns = [table.columns[name] for name in table.header]
    rows = zip(*columns, strict=True)
    changed = sorted(index for index in table.extra_lines if index >= 0)
    texts = text_columns(table.header, schema)
    with path.open("w", encoding="utf-8", newline="") as file:
        header_line = table.extra_lines.get(-1)
        if header_line is not None:
            file.write(header_line + "\n")
        else:
            file.write(render_rows([table.header], ()))
        done = 0
        for index in changed:
            file.write(render_rows(itertools.islice(rows, index - done), texts))
            row = next(rows)
            change = table.extra_lines[index]
            if change == "blank-row":
                file.write("\n")
            elif change == "missing-cell":
                file.write(render_rows([row[:-1]], texts))
            elif change == "extra-cell":
                file.write(render_rows([(*row, "extra")], texts))
            else:
                file.write(render_rows([row], texts))
            done = index + 1
        for block in iter(lambda: list(itertools.islice(rows, _ROWS_AT_A_TIME)), []):
            file.write(render_rows(block, texts))


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
                schema = TableSchema.from_path(REPO / resource["schema"])
                _write_table(target, package.tables[name], schema)
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
