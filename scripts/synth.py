"""Write a synthetic cnplans data package of any size: valid by construction, defects on demand.

Usage::

    python scripts/synth.py N OUT [--defects KIND@[TABLE:]ROW[:COLUMN],...] [--seed S]

``OUT`` gets the repository's ``datapackage.json`` and ``schemas/`` (copied unchanged), the
real ``exchange_rates`` table, ``N`` rows of ``targets`` and, per target, 1/4 measure, 1/8
cluster (about 1/6 cluster region), 1/20 project, 1/50 plan, 1/100 region and 1/200 source,
each source with a generated archived text in ``sources/``.

A source's text has a title, a dateline and a credit line (when its row has them), one
sentence per plan citing it, ``HEADINGS`` numbered measure headings and ``SENTENCES`` sentences
whose kinds repeat :data:`KINDS` (a count, money in yuan or dollars, a growth rate, a cluster in
two regions, a project portfolio, a filler), figures in words a reader parses ("about 4,200",
"3.5 to 5 billion yuan", "seven", "by 2031", "on May 14"). A row copies the facts of a sentence
of the kind it needs from its plan's source and quotes it (whole, its tail, with the next
sentence, or with a doubled space); each sentence holds its own number, so quotes differ. Ids
start with their plan's id and sort; foreign keys resolve; ``sources.sha256`` is the digest of
the text and the dollar columns are what ``cnplans convert`` computes. No row states a real
fact. The script needs only the standard library and ``src/``.

``--defects`` breaks the package at known rows, one comma-separated ``KIND@[TABLE:]ROW[:COLUMN]``
each. ``ROW`` is the 1-based data row (physical line ``ROW + 1``: no cell spans lines);
``TABLE`` defaults to ``targets``; ``COLUMN`` to the first field the kind applies to. Kinds:

- cells: ``type``, ``pattern``, ``enum``, ``minimum``, ``maximum``, ``required``, ``min-length``,
  ``primary-key`` (the previous row's key), ``unique``, ``foreign-key`` (a well-formed key no
  row has), ``quote`` (not in the source), ``stale-usd`` (a wrong derived dollar amount),
  ``formula`` (a text cell starting with ``=``), ``source-hash`` (sources only);
- rows: ``missing-cell``, ``extra-cell``, ``blank-row``, ``sort-order`` (swapped with the next);
- header (``ROW`` is ignored): ``missing-label``, ``extra-label``, ``blank-label``,
  ``duplicate-label``.

A defect may break more than its own rule; the validator reports each rule it breaks. The
package is built in a temporary folder next to ``OUT`` and renamed into place; an existing
``OUT`` is replaced only when an earlier run of this script wrote it.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import hashlib
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parents[1]
if not __package__:  # run as a file, not imported: the checkout's cnplans
    sys.path.insert(0, str(REPO / "src"))

from cnplans.conversion.convert import derive  # noqa: E402
from cnplans.conversion.fx import read_rates  # noqa: E402
from cnplans.datapackage.csv_form import TEXT_TYPE, render_rows  # noqa: E402

MARKER = ".cnplans-synthetic"  # written into every package this script makes
SENTENCES = 100  # per source text
HEADINGS = 15  # numbered measure headings per source text ("3. Support the ... chains.")
FIRST_RATE_YEAR, LAST_RATE_YEAR = 2010, 2025  # the real exchange-rate table's CNY years

CELL_DEFECTS = (
    "type", "pattern", "enum", "minimum", "maximum", "required", "min-length", "primary-key",
    "unique", "foreign-key", "quote", "stale-usd", "formula", "source-hash",
)  # fmt: skip
ROW_DEFECTS = ("missing-cell", "extra-cell", "blank-row", "sort-order")
HEADER_DEFECTS = ("missing-label", "extra-label", "blank-label", "duplicate-label")
DEFECTS: tuple[str, ...] = CELL_DEFECTS + ROW_DEFECTS + HEADER_DEFECTS

# The generated words (a fmt: skip keeps these tables a few lines each).
WORDS = (
    "advanced", "alloy", "battery", "carbon", "ceramic", "chip", "circuit", "composite",
    "display", "electronic", "fiber", "film", "glass", "graphene", "industrial", "integrated",
    "lithium", "magnesium", "material", "membrane", "metal", "optical", "polymer", "power",
    "precision", "rare", "semiconductor", "sensor", "silicon", "smart", "steel", "titanium",
    "wafer",
)  # fmt: skip
PLACES = (
    "Taiyuan", "Datong", "Jinzhong", "Changzhi", "Yangquan", "Xinzhou", "Linfen", "Yuncheng",
    "Baoshan", "Jinshan", "Fengxian", "Minhang", "Pudong", "Songjiang", "Jiading", "Qingpu",
)  # fmt: skip
VERBS = ("cultivate", "build", "reach", "attract", "establish", "support", "form", "develop")
HEADING_VERBS = ("Strengthen", "Extend", "Upgrade", "Support", "Cultivate", "Build")
HANZI = "山西上海太原大同晋中长治阳泉忻州临汾运城宝山金山奉贤闵行浦东松江嘉定青浦"
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip

# The kinds of a source's sentences, repeated; the last is a filler, so every goal sentence has
# a next one (for quotes of two sentences).
KINDS = (
    "count", "cny", "cluster", "count", "percent", "project", "cny", "cluster", "count", "usd",
    "cluster", "count", "cny", "percent", "cluster", "count", "project", "cluster", "count",
    "filler",
)  # fmt: skip
SLOTS = {kind: [s for s in range(SENTENCES) if KINDS[s % len(KINDS)] == kind] for kind in KINDS}
# The positions in a source of any goal sentence and of any but the last.
SLOTS["goal"] = [*SLOTS["count"], *SLOTS["cny"], *SLOTS["usd"], *SLOTS["percent"]]
SLOTS["any"] = list(range(SENTENCES - 1))
QUALIFIER_WORDS = {  # the words before a figure, by qualifier (a range is "A to B")
    "exactly": ("",),
    "about": ("about ", "around ", "nearly "),
    "at_least": ("at least ", "no less than "),
    "more_than": ("more than ", "over "),
    "up_to": ("up to ",),
    "range": ("",),
}
QUALIFIER_WEIGHTS = (18, 18, 18, 18, 18, 10)
# Money indicators and cluster kinds, in words: the column value is the words with underscores.
MONEY = ("revenue", "output value", "added output value", "investment", "funding in place")
CLUSTER_KINDS = ("cluster", "innovation hub", "base", "park", "zone", "industrial chain")
SECTIONS = ("Overall requirements", "Key tasks", "Safeguards, funding and talent")
# Rows per table: one per this many targets, and at least so many.
SIZES = {
    "targets": (1, 1), "measures": (4, 5), "clusters": (8, 5), "projects": (20, 3),
    "plans": (50, 2), "regions": (100, 10), "sources": (200, 2),
}  # fmt: skip
NOTES = (
    "Read from the list, not the count.",
    "The source gives the figure twice, once rounded.",
    "Synthetic row, generated by scripts/synth.py.",
)

Row = dict[str, str]


class SynthError(ValueError):
    """The command line asks for something this script cannot write; the message says what."""


class Defect(NamedTuple):
    """One defect to inject: its kind, table, 1-based data row and optional column."""

    kind: str
    table: str
    row: int
    column: str | None = None


@dataclass
class Table:
    """One table being written: its columns of text cells (in header order), its broken lines."""

    columns: dict[str, list[str]]
    broken_rows: dict[int, str] = field(default_factory=dict)  # row index -> row defect kind
    header_line: str | None = None  # the header as written, when a defect changed it

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values())))


class Package(NamedTuple):
    """The generated tables and source texts, before defects and writing."""

    tables: dict[str, Table]
    texts: dict[str, str]  # source path -> text


class Sentence(NamedTuple):
    """A generated sentence and the cells a row quoting it copies."""

    text: str
    facts: Row
    regions: tuple[int, int] = (0, 0)  # the region positions a cluster sentence names


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
        table = parts.pop(0) if parts and not parts[0].isdigit() else "targets"
        if table not in schemas:
            raise SynthError(
                f"defect {item!r}: no table {table!r}; expected one of {sorted(schemas)}"
            )
        if not parts or not parts[0].isdigit() or int(parts[0]) < 1 or len(parts) > 2:
            raise SynthError(f"defect {item!r}: expected a data row number of 1 or more after @")
        column = parts[1] if len(parts) == 2 else None
        if column is not None and column not in [f["name"] for f in schemas[table]["fields"]]:
            raise SynthError(f"defect {item!r}: {table} has no column {column!r}")
        defects.append(Defect(kind, table, int(parts[0]), column))
    return defects


def _tenths(x: int) -> str:
    """A number of tenths as the text prints it: 35 -> "3.5", 150 -> "15"."""
    return str(x // 10) if x % 10 == 0 else f"{x // 10}.{x % 10}"


def _slug(prefix: str, number: int, count: int) -> str:
    """``prefix-000042``: ``number`` with the digits of ``count`` (six at least), so ids sort."""
    return f"{prefix}-{number:0{max(6, len(str(count)))}d}"


class _Synth:
    """One package being generated: what its tables share, and a generator of each table."""

    def __init__(self, n: int, seed: int, schemas: dict[str, dict[str, Any]]) -> None:
        self.r = r = random.Random(seed)
        self.schemas = schemas
        self.size = {table: max(least, n // per) for table, (per, least) in SIZES.items()}
        sources, regions, plans = self.size["sources"], self.size["regions"], self.size["plans"]
        self.provinces = max(1, regions // 20)  # the first regions; the others lie in them
        self.region_ids = [f"{110000 + i:06d}" for i in range(regions)]
        self.region_names = [f"{PLACES[i % len(PLACES)]} {i}" for i in range(regions)]
        self.source_ids = [_slug("s", i, sources) for i in range(1, sources + 1)]
        self.plan_ids = [_slug("p", i, plans) for i in range(1, plans + 1)]
        self.years = [r.randint(FIRST_RATE_YEAR + 2, LAST_RATE_YEAR) for _ in range(sources)]
        self.published = [
            f"{year}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}" if r.random() >= 0.1 else ""
            for year in self.years
        ]
        self.sentences = [self._sentence(g) for g in range(sources * SENTENCES)]
        self.headings = []  # (heading, summary) per source and ordinal
        for i in range(sources * HEADINGS):
            a, b = r.sample(WORDS, 2)
            summary = f"{r.choice(HEADING_VERBS)} the {a} {b} industry chains"
            self.headings.append((f"{i % HEADINGS + 1}. {summary}.", summary))
        self.plan_sentences: list[list[str]] = [[] for _ in range(sources)]
        self.plans = list(self._plans())

    # ---- shared helpers ----------------------------------------------------------------------

    def _source_of(self, plan: int) -> int:
        return plan % self.size["sources"]

    def _plan_of(self, row: int, count: int) -> int:
        """The plan of row ``row`` of a ``count``-row table: plans in contiguous blocks."""
        return row * self.size["plans"] // count

    def _link(self, table: str, plan: int, share: float) -> str:
        """With chance ``share``, the id of a random row of ``table`` of ``plan``, else ""."""
        if self.r.random() >= share:
            return ""
        count, plans = self.size[table], self.size["plans"]
        row = self.r.randrange(-(-plan * count // plans), -(-(plan + 1) * count // plans))
        return _slug(f"{self.plan_ids[plan]}-{table[:-1]}", row + 1, count)

    def _pick(self, source: int, slots: str) -> int:
        """A sentence of ``source`` (its global number) at one of the positions ``SLOTS[slots]``."""
        return source * SENTENCES + self.r.choice(SLOTS[slots])

    def _quote(self, g: int, tail: bool = True) -> str:
        """A quote of sentence ``g``: whole, its tail, with the next, or with a doubled space."""
        text, u = self.sentences[g].text, self.r.random()
        if u < 0.75:
            return text
        if u < 0.90:
            return text.split(" ", 2)[2] if tail else text  # without the place and "will"
        if u < 0.97:
            return f"{text} {self.sentences[g + 1].text}"  # may cross a paragraph break
        return text.replace(" will ", "  will ", 1)

    def _note(self) -> str:
        return self.r.choice(NOTES) if self.r.random() < 0.1 else ""

    def _enum(self, table: str, column: str) -> str:
        [f] = [f for f in self.schemas[table]["fields"] if f["name"] == column]
        return str(self.r.choice(f["constraints"]["enum"]))

    # ---- sentences -------------------------------------------------------------------------

    def _sentence(self, g: int) -> Sentence:
        """Sentence ``g``: slot ``g % SENTENCES`` of source ``g // SENTENCES``."""
        r, kind = self.r, KINDS[g % SENTENCES % len(KINDS)]
        place, verb = r.choice(PLACES), r.choice(VERBS)
        a, b, c = r.sample(WORDS, 3)
        if kind == "cluster":
            children = len(self.region_ids) - self.provinces
            first = r.randrange(children)
            second = (first + r.randrange(1, children)) % children
            regions = (first + self.provinces, second + self.provinces)
            cluster_kind = r.choice(CLUSTER_KINDS)
            name = f"{a} {b} {cluster_kind} {g}"
            text = (
                f"The {name} in {self.region_names[regions[0]]} and "
                f"{self.region_names[regions[1]]} will gather {c} firms."
            )
            return Sentence(text, {"name": name, "kind": cluster_kind.replace(" ", "_")}, regions)
        if kind == "project":
            count, tenths = r.randint(2, 299), r.randint(1, 1999)
            name = f"major {a} {b} projects"
            text = (
                f"{place} will {verb} {count} {name} with a total investment of "
                f"{_tenths(tenths)} billion yuan, item {g}."
            )
            facts = {"project_count": str(count), "investment_cny": str(tenths * 10**8)}
            return Sentence(text, {"name": name, **facts})
        if kind == "filler":
            return Sentence(
                f"{place} will {verb} the {a} {b} industry and the {c} chain, item {g}.", {}
            )
        return self._goal(g, kind, place, verb, a, b, c)

    def _goal(self, g: int, kind: str, place: str, verb: str, a: str, b: str, c: str) -> Sentence:
        """A goal sentence of ``kind`` (count, cny, usd, percent) and the target cells it states
        (a cell it leaves out is empty)."""
        r, source = self.r, g // SENTENCES
        qualifier = r.choices(list(QUALIFIER_WORDS), QUALIFIER_WEIGHTS)[0]
        strive = r.random() < 0.1
        facts = {"qualifier": qualifier, "strive": "true" if strive else "false"}
        u = r.random()
        if u < 0.05 and self.published[source]:
            when = " by the end of this year"  # the dateline's year
            facts |= {"target_year": str(self.years[source]), "target_year_basis": "dateline"}
        elif u < 0.15:
            when = ""
        else:
            year = self.years[source] + r.randint(1, 10)
            when = f" by {year}"
            facts |= {"target_year": str(year), "target_year_basis": "quote"}
        before = r.choice(QUALIFIER_WORDS[qualifier])

        def figure(low: str, high: str, value_max: str) -> str:
            """The figure's words ("about 4,200", "3 to 5"); a range's upper value on ``facts``."""
            if qualifier == "range":
                facts["value_max"] = value_max
                return f"{low} to {high}"
            return before + low

        striving = "strive to " if strive else ""
        if kind == "count":
            small = r.random() < 0.15
            low = r.randint(2, 9) if small else r.randint(2, 899) * (10 if r.random() < 0.2 else 1)
            high = low + r.randint(1, max(2, low // 2))
            in_words = small and high < len(NUMBER_WORDS) and r.random() < 0.6
            words = [NUMBER_WORDS[x] if in_words else f"{x:,}" for x in (low, high)]
            number = figure(words[0], words[1], str(high))
            subject = f"{a} {b} projects in the {c} chain"
            text = f"{place} will {striving}{verb} {number} {subject}{when}, item {g}."
            facts |= {"indicator": "count", "subject": subject, "unit": "count", "value": str(low)}
        elif kind == "percent":  # in tenths of a percent, a range in whole percents
            ranged = qualifier == "range"
            low = r.randint(1, 29) * 10 if ranged else r.randint(5, 399)
            high = low + r.randint(1, 5) * 10 if ranged else low
            number = figure(_tenths(low), _tenths(high), _tenths(high))
            baseline = self.years[source] - r.randint(0, 5)
            subject = f"annual growth rate of the {a} {b} industry"
            text = (
                f"{place} will {striving}keep the {subject[7:]} at {number} percent a year{when} "
                f"compared with {baseline}, item {g}."
            )
            facts |= {"indicator": "growth_rate", "subject": subject, "unit": "percent"}
            facts |= {"value": _tenths(low), "baseline_year": str(baseline)}
        else:  # money, in yuan or dollars
            millions = r.random() < 0.15
            low = r.randint(10, 9989) if millions else r.randint(1, 2999)  # tenths of the scale
            high = low + r.randint(1, max(2, low // 2))
            factor, scale = (10**5, "million") if millions else (10**8, "billion")
            sign, currency = ("$", "") if kind == "usd" else ("", " yuan")
            number = figure(sign + _tenths(low), sign + _tenths(high), str(high * factor))
            dollars = ""
            if kind == "cny" and not millions and qualifier != "range" and r.random() < 0.3:
                hundredths = (low * 20 + 7) // 14  # the amount / 7, in hundredths of a billion
                dollars = f" (${hundredths // 100}.{hundredths % 100:02d} billion)"
                facts["reported_usd"] = str(hundredths * 10**7)
            indicator = r.choice(MONEY)
            subject = f"{indicator} of the {a} {b} industry"
            text = (
                f"{place} will {striving}bring the {subject} to {number} {scale}{currency}"
                f"{dollars}{when}, item {g}."
            )
            facts |= {"indicator": indicator.replace(" ", "_"), "unit": kind.upper()}
            facts |= {"subject": subject, "value": str(low * factor)}
        return Sentence(text, facts)

    # ---- tables ----------------------------------------------------------------------------

    def _plans(self) -> Iterator[Row]:
        """Plans, each stated by a sentence of its own in source ``p % sources``.

        A plan was issued in its source's year or up to two years before (every target year of
        the source comes later); an issue date stated as a month and day only ("on May 14") has
        the basis ``dateline`` and is on or before the source's publication.
        """
        r = self.r
        for p, plan_id in enumerate(self.plan_ids):
            source = self._source_of(p)
            base, published = self.years[source], self.published[source]
            year = max(FIRST_RATE_YEAR, base - r.randint(0, 2))
            month, day = r.randint(1, 12), r.randint(1, 28)
            u = r.random()
            by_dateline = 0.35 <= u < 0.45 and bool(published)
            if by_dateline:
                year, month = base, min(month, int(published[5:7]))
                day = min(day, int(published[8:10])) if month == int(published[5:7]) else day
            issued, when = [
                ("", ""),
                (f"{year}", f" in {year}"),
                (f"{year}-{month:02d}", f" in {MONTHS[month - 1]} {year}"),
                (f"{year}-{month:02d}-{day:02d}", f" on {MONTHS[month - 1]} {day}, {year}"),
            ][bisect.bisect((0.15, 0.25, 0.35), u)]  # none, a year, a month, a day
            if by_dateline:
                when = f" on {MONTHS[month - 1]} {day}"
            span = r.randint(2, 4) if r.random() < 0.7 else 0
            period = f" ({year + 1}-{year + 1 + span})" if span else ""
            issuer = "Synthetic Commission of Industry" if r.random() < 0.7 else ""
            a, b = r.sample(WORDS, 2)
            title = f"development plan {p + 1} for the {a} {b} industry"
            done = "issued" if when else "released"
            if issuer:
                sentence = f"The {issuer} {done} the {title}{period}{when}."
            else:
                sentence = f"The {title}{period} was {done}{when}."
            self.plan_sentences[source].append(sentence)
            yield {
                "plan_id": plan_id,
                "region_id": r.choice(self.region_ids),
                "title": title,
                "issuer": issuer,
                "sector": self._enum("plans", "sector"),
                "document_type": self._enum("plans", "document_type"),
                "issued": issued,
                "issued_basis": ("dateline" if by_dateline else "quote") if issued else "",
                "period_start": str(year + 1) if span else "",
                "period_end": str(year + 1 + span) if span else "",
                "source_id": self.source_ids[source],
                "quote": sentence.replace(" the ", "  the ", 1) if r.random() < 0.1 else sentence,
                "notes": self._note(),
            }

    def sources(self, texts: dict[str, str]) -> Iterator[Row]:
        """Sources, each with its text (put in ``texts``): title, dateline and credit lines
        when it has them, its plans' sentences, its headings, paragraphs of five sentences."""
        for i, source_id in enumerate(self.source_ids):
            published = self.published[i]
            dateline = published and (
                f"{MONTHS[int(published[5:7]) - 1]} {int(published[8:10])}, {published[:4]}"
            )
            publisher = "Synthetic Bureau of Statistics" if self.r.random() < 0.5 else ""
            title = f"Synthetic plan report {i + 1}"
            head = [f"Synthetic City, {dateline}"] if dateline else []
            head += [f"Source: {publisher}"] if publisher else []
            own = [s.text for s in self.sentences[i * SENTENCES : (i + 1) * SENTENCES]]
            headings = [h for h, _ in self.headings[i * HEADINGS : (i + 1) * HEADINGS]]
            blocks = [title, "\n".join(head), " ".join(self.plan_sentences[i]), "\n".join(headings)]
            blocks += [" ".join(own[k : k + 5]) for k in range(0, SENTENCES, 5)]
            text = "\n\n".join(filter(None, blocks)) + "\n"
            path = f"sources/{source_id}.txt"
            texts[path] = text
            yield {
                "source_id": source_id,
                "title": title,
                "publisher": publisher,
                "url": f"https://example.org/{source_id}",
                "published": published,
                "dateline": dateline,
                "language": "en",
                "path": path,
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "notes": self._note(),
            }

    def regions(self) -> Iterator[Row]:
        """A few provinces first, every other region inside one of them."""
        r, letters = self.r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        for i, region_id in enumerate(self.region_ids):
            province = i < self.provinces
            source = r.randrange(len(self.source_ids))
            level = "province" if province else r.choice(("prefecture_city", "district", "county"))
            yield {
                "region_id": region_id,
                "name_en": self.region_names[i],
                "name_zh": HANZI[i % len(HANZI)] + HANZI[(i // 7) % len(HANZI)] + "市",
                "level": level,
                "parent_id": "" if province else r.choice(self.region_ids[: self.provinces]),
                "iso_3166_2": f"CN-{letters[i % 26]}{letters[i // 26 % 26]}" if province else "",
                "code_standard": "GB/T 2260 (code, Chinese name)",
                "source_id": self.source_ids[source],
                "quote": self._quote(self._pick(source, "any")),
                "notes": self._note(),
            }

    def _fact_rows(self, table: str) -> Iterator[tuple[int, Row]]:
        """The plan and the id, plan and source cells of each row of a fact table."""
        count, part = self.size[table], table[:-1]
        for i in range(count):
            plan = self._plan_of(i, count)
            plan_id, source_id = self.plan_ids[plan], self.source_ids[self._source_of(plan)]
            key = _slug(f"{plan_id}-{part}", i + 1, count)
            yield plan, {f"{part}_id": key, "plan_id": plan_id, "source_id": source_id}

    def projects(self) -> Iterator[Row]:
        """Project portfolios, each a project sentence: its name, count and total investment."""
        for plan, row in self._fact_rows("projects"):
            g = self._pick(self._source_of(plan), "project")
            facts = self.sentences[g].facts
            yield row | {
                "name": facts["name"],
                "project_count": facts["project_count"] if self.r.random() < 0.6 else "",
                "investment_cny": facts["investment_cny"] if self.r.random() < 0.6 else "",
                "quote": self._quote(g),
                "notes": self._note(),
            }

    def measures(self) -> Iterator[Row]:
        """Measures: most quote a numbered heading (their ordinal), the rest any sentence.

        Some unnumbered measures are parts of the numbered measure before them in their plan
        (``parent_measure_id``); numbered measures are parts of none.
        """
        r, last = self.r, ("", -1)  # the last numbered measure and its plan
        for plan, row in self._fact_rows("measures"):
            source = self._source_of(plan)
            ordinal, parent = "", ""
            if r.random() < 0.7:
                ordinal = str(r.randint(1, HEADINGS))
                quote, summary = self.headings[source * HEADINGS + int(ordinal) - 1]
                last = (row["measure_id"], plan)
            else:
                quote = self._quote(self._pick(source, "any"))
                summary = f"Support {r.choice(WORDS)} industry chains"
                parent = last[0] if last[1] == plan and r.random() < 0.4 else ""
            yield row | {
                "ordinal": ordinal,
                "parent_measure_id": parent,
                "section": r.choice(SECTIONS) if r.random() < 0.8 else "",
                "category": self._enum("measures", "category"),
                "summary": summary,
                "quote": quote,
                "notes": self._note(),
            }

    def clusters(self) -> tuple[list[Row], list[Row]]:
        """Clusters, each a cluster sentence (its name and kind), and the regions it is in.

        A cluster is in the region its sentence names first (basis ``quote``), in both, or only
        in its plan's region (basis ``plan_region``). The named regions are never provinces, so
        no link lies within another of the same cluster. Ids sort by plan, kind and number.
        """
        r, count = self.r, self.size["clusters"]
        picked = []
        for i in range(count):
            plan = self._plan_of(i, count)
            g = self._pick(self._source_of(plan), "cluster")
            picked.append((plan, self.sentences[g].facts["kind"].replace("_", "-"), i, g))
        clusters, links = [], []
        for number, (plan, slug, _, g) in enumerate(sorted(picked), start=1):
            sentence = self.sentences[g]
            cluster = {
                "cluster_id": _slug(f"{self.plan_ids[plan]}-{slug}", number, count),
                "plan_id": self.plan_ids[plan],
                "name": sentence.facts["name"],
                "kind": sentence.facts["kind"],
                "focus": r.choice(WORDS) if r.random() < 0.5 else "",
                "source_id": self.source_ids[self._source_of(plan)],
                "quote": self._quote(g, tail=False),
                "notes": self._note(),
            }
            clusters.append(cluster)
            u = r.random()
            if u < 0.15:
                places = [(self.plans[plan]["region_id"], "plan_region")]
            else:
                named = sentence.regions[:1] if u < 0.65 else sorted(sentence.regions)
                places = [(self.region_ids[k], "quote") for k in named]
            for region_id, basis in places:
                links.append(
                    {key: cluster[key] for key in ("cluster_id", "source_id", "quote")}
                    | {"region_id": region_id, "basis": basis, "notes": self._note()}
                )
        return clusters, links

    def targets(self) -> Iterator[Row]:
        """Targets, each the facts of a goal sentence of its kind: a count, money, a growth rate.

        The derived dollar columns are what ``cnplans convert`` computes from them.
        """
        r, rates = self.r, read_rates(REPO / "resources" / "exchange_rates.csv")

        @functools.cache
        def derived(unit: str, value: str, issued: str | None, published: str | None) -> Row:
            return derive(unit, value, issued, published, rates).cells()

        for plan, row in self._fact_rows("targets"):
            source = self._source_of(plan)
            g = self._pick(source, "goal")
            kind = KINDS[g % len(KINDS)]
            facts = self.sentences[g].facts
            target_type = "goal"
            if kind == "count" and r.random() < 0.15:
                target_type = "structure"
            elif kind == "cny" and r.random() < 0.1:
                target_type = "threshold"
            issued = self.plans[plan]["issued"][:4] or None
            published = self.published[source][:4] or None
            yield (
                row
                | facts
                | derived(facts["unit"], facts["value"], issued, published)
                | {
                    "project_id": self._link("projects", plan, 0.2),
                    "measure_id": self._link("measures", plan, 0.5),
                    "target_type": target_type,
                    "baseline_year": facts.get("baseline_year", "") if r.random() < 0.5 else "",
                    "quote": self._quote(g),
                    "notes": self._note(),
                }
            )


def generate(n: int, seed: int, schemas: dict[str, dict[str, Any]]) -> Package:
    """Every table of a valid package with ``n`` targets (see the module docstring)."""
    synth, texts = _Synth(n, seed, schemas), dict[str, str]()
    clusters, links = synth.clusters()
    rows: dict[str, Iterable[Row]] = {
        "regions": synth.regions(),
        "plans": synth.plans,
        "sources": synth.sources(texts),
        "projects": synth.projects(),
        "measures": synth.measures(),
        "clusters": clusters,
        "cluster_regions": links,
        "targets": synth.targets(),
    }
    return Package({name: _table(name, schemas[name], rows[name]) for name in rows}, texts)


def _table(name: str, schema: dict[str, Any], rows: Iterable[Row]) -> Table:
    """The table of ``rows`` in the schema's column order.

    A column this script does not fill (a schema newer than it) is empty when optional and an
    error when required.
    """
    columns: dict[str, list[str]] = {f["name"]: [] for f in schema["fields"]}
    for row in rows:
        for column, cells in columns.items():
            cells.append(row.get(column, ""))
    for f in schema["fields"]:  # every row fills the same required columns: check the last
        if f["name"] not in row and f.get("constraints", {}).get("required"):
            raise SynthError(
                f"the schema of {name} has a required column {f['name']!r} that scripts/synth.py "
                "does not generate; expected every required column to be filled by its table's "
                "function"
            )
    return Table(columns)


# --------------------------------------------------------------------------------------------
# Defects
# --------------------------------------------------------------------------------------------


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _default_column(kind: str, schema: dict[str, Any]) -> str | None:
    """The column a cell defect of ``kind`` breaks when none is given: the first field it
    applies to, outside the primary key when there is one."""
    key = _names(schema.get("primaryKey", []))
    if kind == "primary-key":
        return key[0] if key else None
    foreign = {name for fk in schema.get("foreignKeys", []) for name in _names(fk["fields"])}
    named = {"quote": "quote", "stale-usd": "usd", "source-hash": "sha256"}

    def applies(f: dict[str, Any]) -> bool:
        constraints = f.get("constraints", {})
        if kind in named:
            return bool(f["name"] == named[kind])
        if kind == "type":
            return f.get("type") in ("integer", "number", "year", "date")
        if kind == "foreign-key":
            return f["name"] in foreign
        if kind == "formula":
            return f.get("type", "string") == "string" and not {"pattern", "enum"} & {*constraints}
        if kind in ("required", "unique"):
            return bool(constraints.get(kind))
        return {"min-length": "minLength"}.get(kind, kind) in constraints

    fields = sorted(schema["fields"], key=lambda f: f["name"] in key)  # the key last
    return next((str(f["name"]) for f in fields if applies(f)), None)


def _broken_value(kind: str, f: dict[str, Any], current: str) -> str:
    """The text that breaks ``f`` in the way ``kind`` (a cell defect but the key ones) says."""
    constraints = f.get("constraints", {})
    if kind in ("minimum", "maximum"):
        return str(constraints[kind] + (1 if kind == "maximum" else -1))
    if kind == "min-length":
        return "ab"[: max(0, int(constraints["minLength"]) - 1)]
    if kind == "stale-usd":
        return str(int(current) * 2 + 7) if current.isdigit() else "12345"
    return {
        "type": "12x",
        "pattern": "Not valid!",
        "enum": "not-in-the-enum",
        "required": "",
        "foreign-key": "000000" if constraints.get("pattern") == "^[0-9]{6}$" else "zz-missing",
        "quote": "This sentence is in no source text.",
        "formula": "=1+1",
        "source-hash": "0" * 64,
    }[kind]


def apply_defects(
    package: Package, defects: list[Defect], schemas: dict[str, dict[str, Any]]
) -> None:
    """Break the generated tables as ``defects`` say (in place)."""
    for defect in defects:
        table, schema, index = package.tables[defect.table], schemas[defect.table], defect.row - 1
        where = f"defect {defect.kind}@{defect.table}:{defect.row}"
        if defect.kind in HEADER_DEFECTS:
            header = list(table.columns)
            position = header.index(defect.column) if defect.column else len(header) - 1
            if defect.kind == "missing-label":
                header.pop()
            elif defect.kind == "extra-label":
                header.append("extra")
            else:  # blank-label, duplicate-label
                header[position] = "" if defect.kind == "blank-label" else header[position - 1]
            table.header_line = ",".join(header) + "\n"
            continue
        if defect.row > table.rows:
            raise SynthError(f"{where}: {defect.table} has only {table.rows} rows")
        if defect.kind == "sort-order":
            if defect.row >= table.rows:
                raise SynthError(f"{where}: expected a row before the last")
            for cells in table.columns.values():
                cells[index], cells[index + 1] = cells[index + 1], cells[index]
        elif defect.kind in ROW_DEFECTS:
            table.broken_rows[index] = defect.kind
        else:
            column = defect.column or _default_column(defect.kind, schema)
            if column is None:
                raise SynthError(
                    f"{where}: {defect.table} has no column this kind applies to; name one with "
                    ":COLUMN"
                )
            if defect.kind in ("primary-key", "unique"):
                if index == 0:
                    raise SynthError(f"{where}: expected a row after 1")
                key = _names(schema.get("primaryKey", []))
                for name in key if defect.kind == "primary-key" else [column]:
                    table.columns[name][index] = table.columns[name][index - 1]
                continue
            [f] = [f for f in schema["fields"] if f["name"] == column]
            cells = table.columns[column]
            cells[index] = _broken_value(defect.kind, f, cells[index])


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _write_table(path: Path, table: Table, schema: dict[str, Any]) -> None:
    """Write ``table`` in the package's CSV form, with its broken rows (its columns are the
    schema's fields, in order; without pandas, so this script runs on the standard library)."""
    texts = [i for i, f in enumerate(schema["fields"]) if f.get("type", "string") == TEXT_TYPE]

    def rows() -> Iterator[Sequence[str]]:
        for index, row in enumerate(zip(*table.columns.values(), strict=True)):
            change = table.broken_rows.get(index)
            if change is None:
                yield row
            else:  # a blank row, a row a cell short, a row with an extra cell
                yield {"blank-row": (), "missing-cell": row[:-1]}.get(change, (*row, "extra"))

    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(table.header_line or render_rows([list(table.columns)], ()))
        lines = rows()
        while block := list(itertools.islice(lines, 1 << 16)):
            file.write(render_rows(block, texts))


def write_package(package: Package, out: Path, schemas: dict[str, dict[str, Any]]) -> None:
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
            target = build / resource["path"]
            if resource["name"] in package.tables:
                _write_table(target, package.tables[resource["name"]], schemas[resource["name"]])
            else:  # exchange_rates: the real table, so rates are true figures
                shutil.copy2(REPO / resource["path"], target)
        for relative, text in package.texts.items():
            (build / relative).write_bytes(text.encode("utf-8"))
        (build / MARKER).write_text("written by scripts/synth.py\n", encoding="utf-8")
        build.chmod(0o755)
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            out.rename(old)
        build.rename(out)
        if old.exists():
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
    write_package(package, out, schemas)
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
    try:
        synthesize(args.n, args.out, args.defects, args.seed)
    except SynthError as error:
        print(f"synth: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({args.n} targets)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
