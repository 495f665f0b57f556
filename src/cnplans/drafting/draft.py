"""Propose rows from a source text: its quantified goals as ``targets``, its named places and chains
as ``clusters``, its numbered headings as ``measures``.

A draft is a first reading for a person to review, never data: every row carries the shortest
verbatim passage that states it (read by :func:`cnplans.drafting.quantities.find_quantities`, as
the gate reads quotes), and whatever the words do not settle is left empty. What is settled and
what is left out is listed in ``cnplans draft --help``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cnplans.datapackage.csv_form import number_text
from cnplans.datapackage.errors import CnplansError
from cnplans.drafting.quantities import Quantity, find_quantities, relative_years

CJK = re.compile(r"[\u3400-\u9fff]")


def detect_language(text: str) -> str:
    """``zh`` when a tenth or more of the text's letters are Chinese characters, else ``en``.

    >>> detect_language("到2025年，产值突破1000亿元。"), detect_language("Shanxi aims for 15%.")
    ('zh', 'en')
    """
    letters = sum(1 for char in text[:20000] if char.isalpha())
    chinese = len(CJK.findall(text[:20000]))
    return "zh" if letters and chinese * 10 >= letters else "en"


# ---------------------------------------------------------------------------------------------
# Sentences and clauses

# A sentence ends at 。！？ or a paragraph break, or at . ! ? followed by a space or by a capital
# letter or an opening quote (machine-translated texts often drop the space: "industry.Combined").
_SENTENCE_END = re.compile(
    r"[。！？]+[”’」』）)]*|\n\s*\n|\n(?=\s*\S)"
    r"|(?<![0-9A-Z][a-z]\.)(?<!\b[A-Z])[.!?]+[”’\"')]*(?=\s|[A-Z“\"]|$)"
)
# Clause boundaries inside a sentence: commas, semicolons, colons and dashes used as commas.
_CLAUSE_END = re.compile(r"[,;:，；：]\s*|\s+(?:--|–|—)\s+|——")
_QUOTED = re.compile(r"“[^”]{0,200}”|「[^」]{0,200}」|\"[^\"]{0,200}\"")  # between quotation marks


def sentences(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the text's sentences, spaces trimmed, in order.

    >>> text = "Shanxi aims for 15%. It will grow.Combined with 3 parks.\\n\\nNew 1.5 line"
    >>> [text[a:b] for a, b in sentences(text)]
    ['Shanxi aims for 15%.', 'It will grow.', 'Combined with 3 parks.', 'New 1.5 line']
    """
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]  # never an empty match
    trimmed = []
    for a, b in itertools.pairwise([0, *ends, len(text)]):
        chunk = text[a:b]
        left = len(chunk) - len(chunk.lstrip())
        right = len(chunk.rstrip())
        if right > left:
            trimmed.append((a + left, a + right))
    return trimmed


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """The (start, end) spans of a sentence's clauses; they cover it without gaps."""
    bounds = [0] + [m.end() for m in _CLAUSE_END.finditer(sentence) if 0 < m.end() < len(sentence)]
    bounds.append(len(sentence))
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


# ---------------------------------------------------------------------------------------------
# Indicators, kinds and subjects: words near the figure

_INDICATOR_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "funding_in_place",
        re.compile(r"(?i)funding\s+in\s+place|funds?\s+in\s+place|到位资金|资金到位"),
    ),
    ("added_output_value", re.compile(r"(?i)added(?:\s+output)?\s+value|value[- ]added|增加值")),
    ("output_value", re.compile(r"(?i)output\s+value|产值")),
    (
        "revenue",
        re.compile(
            r"(?i)revenues?|sales|business\s+income|营业收入|营收|销售收入|主营业务收入|收入"
        ),
    ),
    ("investment", re.compile(r"(?i)invest(?:ment|ed|ing)?s?|投资")),
)
_GROWTH_WORDS = re.compile(r"(?i)growth|grow(?:s|ing)?|increase|年均|增长|增速|提高|提升")

_BASELINE_BEFORE = re.compile(
    r"(?i)(?:\bup\s+from|\bdown\s+from|\b(?:rose|grew|increased?|rising|growing)\s+from"
    r"|\bcompared\s+(?:with|to)|\bversus|\bfrom)\s*(?:about|around|nearly|some|a\s+total\s+of)?"
    r"\s*$|(?:比|较|由|从)(?:上年|去年|\d{4}年(?:底|末)?(?:的)?)?$"
)
_THRESHOLD_BEFORE = re.compile(
    r"(?i)\b(?:with|whose|having|of\s+which)\b(?:(?!\b(?:aim|reach|generate|achieve|strive|"
    r"expected|will|to)\b)[^,;:.])*$"
)
_THRESHOLD_AFTER = re.compile(
    r"^\s*(?:(?:及|或)?以上)?的\s*(?:[\u3400-\u9fff]{0,4})(?:企业|产业|工业|公司|项目|园区|集群|行业)"
)
_DURATION_AFTER = re.compile(r"^\s*(?:年|个月|天|周|小时)(?!度)|^[- ]?(?i:years?|months?|days?)\b")
_STRUCTURE_WORDS = re.compile(
    r"(?i)\boutlines?\b|\bfocus(?:es|ing)?\s+on\b|\bcentered\s+(?:on|around)\b|\bencompass"
    r"|\bnamely\b|\bpriority\b|\bapart\s+from\b|重点发展|布局|聚焦|围绕"
)

# A verb that starts a new clause after "and" ("... entities and promote ...").
_VERBS = (
    r"promote|establish|develop|build|foster|cultivate|support|strengthen|enhance|expand|"
    r"accelerate|improve|create|form|implement|introduce|attract|drive|encourage|boost|launch|"
    r"serve|achieve|have|make|carry|undertake|focus|optimize|advance|increase|raise|reach|"
    r"generate|aim|aims|plan|plans|will|strive"
)
_NEW_CLAUSE = re.compile(rf"(?i)\s+(?:and|while|as\s+well\s+as)\s+(?=(?:{_VERBS})\b)|并|以及|同时")

# Where an English noun phrase stops.
_PHRASE_STOP = re.compile(
    r"(?i)\b(?:in|for|with|within|that|which|who|whose|to|by|from|at|on|of|as|into|under|"
    r"around|across|near|among|between|over|through|along|via|than|"
    r"including|included|and\s+(?=\d|one|two|three|four|five|six|seven|eight|nine|ten)|"
    rf"are|is|will|be|was|were|has|have|plan|plans|per|each|while|and\s+(?=(?:{_VERBS})\b))\b"
    r"|[,;:.()\"–—]|--"
)
_LEADING_FILLER = re.compile(r"(?i)^(?:of\s+)?(?:the\s+|a\s+|an\s+)?(?:of\s+the\s+)?")
_CN_MEASURE_WORD = re.compile(r"^[个家项条座所名款种批支类台套处只]")
_CN_PHRASE_STOP = re.compile(r"[，。；：、,;:（）()“”]|以上|左右|以内|和|与|及")
_CN_VERBS = re.compile(
    r"(?:力争|争取|确保|要|将|预计|达到|达|突破|超过|超|实现|形成|培育|建设|打造|新增|增长到?|"
    r"提高到?|提升到?|年均|保持|在|完成|达成|累计)+$"
)
_CN_TIME = re.compile(r"^(?:今年内?|本年度?|年内|当年|明年|(?:到|至)?\d{4}年(?:底|末)?)+[，,]?")
_CN_LEADING_VERBS = re.compile(
    r"^(?:力争|争取|较|比|由|从|新增|培育|建设|打造|支持|推动|引进|实现|全年)+"
)
# Physical quantities: the tables have no unit for them.
_PHYSICAL_AFTER = re.compile(
    r"^\s*(?:(?i:(?:square\s+)?(?:meters|metres|kilometers|kilometres|km|hectares|tons|tonnes|"
    r"kilowatts|megawatts|gigawatts|mw|gw|kwh|mu)\b)|亩|吨|平方米|平方公里|千瓦|兆瓦|公里|米)"
)
_SLUG_STOP = {"a", "an", "the", "of", "and", "new", "with", "its", "their", "more", "than"}
MAX_SUBJECT_WORDS = 8


def _indicator(unit: str, clause: str, start: int, end: int) -> str:
    """The indicator the words nearest the figure name, "" when none does."""
    if unit == "count":
        return "count"
    if unit == "percent":
        return "growth_rate" if _GROWTH_WORDS.search(clause) else ""
    best, best_distance = "", len(clause) + 1
    for name, pattern in _INDICATOR_WORDS:
        for match in pattern.finditer(clause):
            distance = start - match.end() if match.end() <= start else match.start() - end
            if distance < best_distance:
                best, best_distance = name, max(distance, 0)
    return best


def _kind(sentence: str, clause_start: int, quantity: Quantity) -> str:
    """``baseline``, ``threshold`` or ``goal`` for a figure, from the words around it."""
    before = sentence[clause_start : quantity.start]
    if _BASELINE_BEFORE.search(before):
        return "baseline"
    if quantity.unit in ("CNY", "USD", "percent"):
        if quantity.qualifier in ("at_least", "more_than") and _THRESHOLD_BEFORE.search(before):
            return "threshold"
        if _THRESHOLD_AFTER.match(sentence[quantity.end :]):
            return "threshold"
    return "goal"


def _english_subject(sentence: str, quantity: Quantity, indicator: str, clause: str) -> str:
    """The noun phrase a figure counts (after a count) or the indicator's phrase (money)."""
    if quantity.unit == "count":
        after = _LEADING_FILLER.sub("", sentence[quantity.end :].lstrip(" -"))
        stop = _PHRASE_STOP.search(after)
        words = (after[: stop.start()] if stop else after).split()[:MAX_SUBJECT_WORDS]
        if words:
            return " ".join(words).strip("’'")
    pattern = dict(_INDICATOR_WORDS).get(indicator)
    if pattern is not None:
        match = min(
            pattern.finditer(clause),
            key=lambda m: abs(m.start() - quantity.start),
            default=None,
        )
        if match is not None:
            before = re.split(
                r"(?i)[,;:()]|\b(?:in|of|the|a|an|its|with|to|have|has)\b", clause[: match.start()]
            )
            modifiers = before[-1].split()[-3:] if before else []
            return " ".join([*modifiers, match.group(0)]).strip()
    return indicator.replace("_", " ") or "figure"


def _chinese_subject(sentence: str, quantity: Quantity, clause_start: int) -> str:
    """After a count and its measure word, the phrase it counts; before money, what it measures."""
    if quantity.unit == "count":
        after = sentence[quantity.end :]
        measure_word = _CN_MEASURE_WORD.match(after)
        after = after[measure_word.end() :] if measure_word else after
        stop = _CN_PHRASE_STOP.search(after)
        phrase = (after[: stop.start()] if stop else after)[:20]
        if phrase:
            return phrase
    before = sentence[clause_start : quantity.start]
    before = re.split(r"[，。；：、,;:]|(?:到|至)?\d{4}年(?:底|末)?的?", before)[-1]
    before = _CN_TIME.sub("", before.strip())
    before = _CN_LEADING_VERBS.sub("", before)
    phrase = before if quantity.unit == "percent" else _CN_VERBS.sub("", before)
    return phrase[-20:] or "指标"


def _slug(words: str) -> str:
    """Up to five words of ASCII letters and digits, lower-case, joined by hyphens."""
    tokens = [t for t in re.findall(r"[a-z0-9]+", words.lower()) if t not in _SLUG_STOP]
    return "-".join(tokens[:5])


# ---------------------------------------------------------------------------------------------
# Years

_YEAR_FORWARD = re.compile(
    r"(?i)\b(?:by|before|until|through|to|end\s+of)\s+(?:the\s+end\s+of\s+)?$|(?:到|至)$"
)
_THIS_YEAR = re.compile(
    r"(?i)this\s+year|(?:the\s+)?current\s+year|within\s+the\s+year|今年内?|本年度?|当年|年内"
)


@dataclass(frozen=True)
class _Year:
    year: int
    start: int
    end: int
    basis: str  # "quote" or "dateline"
    forward: bool = False  # "by 2027", "到2027年": the year a goal is to be met by


def _years(sentence: str, found: Sequence[Quantity], dateline_year: int | None) -> list[_Year]:
    """The years a sentence names for its goals: stated ones, else "this year" by the dateline."""
    stated = [
        _Year(
            int(q.value_max if q.value_max is not None else q.value),
            q.start,
            q.end,
            "quote",
            bool(_YEAR_FORWARD.search(sentence[max(0, q.start - 12) : q.start])),
        )
        for q in found
        if q.unit == "year"
    ]
    if stated or dateline_year is None:
        return stated
    return [
        _Year(dateline_year, a, b, "dateline")
        for a, b in relative_years(sentence)
        if _THIS_YEAR.fullmatch(sentence[a:b].strip())
    ]


def _goal_years(
    sentence: str,
    found: Sequence[Quantity],
    clauses: Sequence[tuple[int, int]],
    years: Sequence[_Year],
) -> list[_Year]:
    """The years that are not a baseline's ("up from 52 billion yuan in 2024", "较2024年的")."""
    spans = []
    for quantity in found:
        if quantity.unit == "year":
            continue
        clause_start, clause_end = next((a, b) for a, b in clauses if a <= quantity.start < b)
        if _kind(sentence, clause_start, quantity) == "baseline":
            cue = _BASELINE_BEFORE.search(sentence[clause_start : quantity.start])
            start = clause_start + cue.start() if cue else quantity.start
            spans.append((start, clause_end))
    return [y for y in years if not any(a <= y.start < b for a, b in spans)]


def _nearest_year(years: Sequence[_Year], quantity: Quantity) -> _Year | None:
    """The year nearest the figure, among those a goal is to be met "by" when there are any."""
    middle = (quantity.start + quantity.end) / 2
    years = [y for y in years if y.forward] or years
    return min(years, key=lambda y: abs((y.start + y.end) / 2 - middle), default=None)


# ---------------------------------------------------------------------------------------------
# Targets


@dataclass
class TargetCandidate:
    """One proposed ``targets`` row, where its figure is in the text, and what kind it is."""

    row: dict[str, str]
    kind: str  # "goal", "baseline" or "threshold"
    start: int  # the figure's words are text[start:end]
    end: int


@dataclass
class Draft:
    """What a draft proposes for one text: target candidates, and the language it read."""

    language: str
    targets: list[TargetCandidate] = field(default_factory=list)


def _states(quote: str, quantity: Quantity, year: _Year | None, usd: Quantity | None) -> bool:
    """Whether the quote, read alone, states the figure, its year and its dollar figure."""
    found = find_quantities(quote)

    def same(a: float | None, b: float | None) -> bool:
        return (a is None and b is None) or (
            a is not None and b is not None and abs(a - b) <= 1e-9 * max(abs(a), 1.0)
        )

    has_figure = any(
        q.unit == quantity.unit
        and same(q.value, quantity.value)
        and same(q.value_max, quantity.value_max)
        and q.qualifier == quantity.qualifier
        and q.strive == quantity.strive
        for q in found
    )
    has_year = (
        year is None
        or year.basis == "dateline"
        or any(q.unit == "year" and year.year in (q.value, q.value_max) for q in found)
    )
    has_usd = usd is None or any(q.unit == "USD" and same(q.value, usd.value) for q in found)
    return has_figure and has_year and has_usd


def _shortest_quote(
    sentence: str,
    quantity: Quantity,
    year: _Year | None,
    usd: Quantity | None,
) -> tuple[int, int]:
    """The fewest whole clauses of the sentence that state the figure, its year and dollars."""
    clauses = _clauses(sentence)
    spans = [(q.start, q.end) for q in (quantity, year, usd) if q is not None]
    first = min(i for i, (a, b) in enumerate(clauses) if b > min(s for s, _ in spans))
    last = max(i for i, (a, b) in enumerate(clauses) if a < max(e for _, e in spans))
    while True:
        start, end = clauses[first][0], clauses[last][1]
        quote = sentence[start:end].strip().rstrip(",;:，；：").strip()
        if len(quote) >= 3 and _states(quote, quantity, year, usd):
            offset = sentence.index(quote, start)
            return _trimmed(sentence, offset, offset + len(quote), spans, quantity, year, usd)
        if first == 0 and last == len(clauses) - 1:
            return 0, len(sentence)
        # Widen towards the verb first: a clause before the figure usually holds its qualifier.
        if first > 0:
            first -= 1
        else:
            last += 1


def _trimmed(
    sentence: str,
    start: int,
    end: int,
    spans: Sequence[tuple[int, int]],
    quantity: Quantity,
    year: _Year | None,
    usd: Quantity | None,
) -> tuple[int, int]:
    """``sentence[start:end]`` without whole clauses joined by "and <verb>" that it can spare."""
    needed_start, needed_end = min(a for a, _ in spans), max(b for _, b in spans)
    for match in _NEW_CLAUSE.finditer(sentence, start, end):
        if match.end() <= needed_start and _states(
            sentence[match.end() : end], quantity, year, usd
        ):
            start = match.end()
        elif match.start() >= needed_end and _states(
            sentence[start : match.start()], quantity, year, usd
        ):
            end = match.start()
            break
    joined = re.match(r"(?i)(?:and|while|but|as\s+well\s+as)\s+", sentence[start:end])
    if joined and start + joined.end() <= needed_start:
        start += joined.end()
    return start, end


def _restated(sentence: str, quantity: Quantity) -> bool:
    """Not a count the tables hold: a duration ("三年"), an area or a weight ("1.5 million square
    meters", "500亩"), a count of nothing, or one after "the" ("the three bases refer to")."""
    if quantity.unit != "count":
        return False
    after = sentence[quantity.end :]
    if quantity.text.endswith(("年", "个月", "天", "周")) or _DURATION_AFTER.match(after):
        return True
    if _PHYSICAL_AFTER.match(after) or quantity.text.endswith(("亩", "吨", "米")):
        return True
    return quantity.value == 0 or bool(
        re.search(r"(?i)\bthe\s+$|这$|上述$", sentence[max(0, quantity.start - 8) : quantity.start])
    )


def _reported_usd(found: Sequence[Quantity], index: int, sentence: str) -> Quantity | None:
    """A dollar figure in brackets right after the yuan amount ``found[index]``."""
    if found[index].unit != "CNY" or index + 1 >= len(found):
        return None
    after = found[index + 1]
    between = sentence[found[index].end : after.start]
    if after.unit == "USD" and re.fullmatch(r"\s*[(（]\s*(?:US)?", between):
        return after
    return None


def draft_targets(
    text: str,
    *,
    plan_id: str,
    source_id: str,
    dateline_year: int | None = None,
    language: str | None = None,
    include_all: bool = False,
    taken_ids: Iterable[str] = (),
) -> Draft:
    """Candidate ``targets`` rows for every quantified goal the text states, in text order.

    ``dateline_year`` resolves "this year"; ``taken_ids`` are ids the package already has (the
    suggested ids avoid them). Baselines and thresholds are included only with ``include_all``.

    >>> draft = draft_targets(
    ...     "By 2025, the province aims to generate over 230 billion yuan in revenue.",
    ...     plan_id="p", source_id="s")
    >>> row = draft.targets[0].row
    >>> row["value"], row["qualifier"], row["unit"], row["target_year"], row["indicator"]
    ('230000000000', 'more_than', 'CNY', '2025', 'revenue')
    >>> row["quote"]
    'By 2025, the province aims to generate over 230 billion yuan in revenue.'
    """
    language = language or detect_language(text)
    draft = Draft(language)
    ids = _Ids(taken_ids)
    for sentence_start, sentence_end in sentences(text):
        sentence = text[sentence_start:sentence_end]
        found = find_quantities(sentence)
        if not found:
            continue
        names = [m.span() for m in _QUOTED.finditer(sentence)]  # names, not figures
        clauses = _clauses(sentence)
        years = _goal_years(sentence, found, clauses, _years(sentence, found, dateline_year))
        dollars_of = {
            i: usd for i in range(len(found)) if (usd := _reported_usd(found, i, sentence))
        }
        reported = {id(q) for q in dollars_of.values()}
        for index, quantity in enumerate(found):
            if quantity.unit == "year" or id(quantity) in reported:
                continue
            if any(a <= quantity.start < b for a, b in names) or _restated(sentence, quantity):
                continue
            clause_start, clause_end = next((a, b) for a, b in clauses if a <= quantity.start < b)
            kind = _kind(sentence, clause_start, quantity)
            if kind != "goal" and not include_all:
                continue
            usd = dollars_of.get(index)
            if kind == "goal":
                year = _nearest_year(years, quantity)
            else:  # a baseline's or threshold's own year, in its own clause only
                own = [y for y in years if clause_start <= y.start < clause_end]
                year = _nearest_year(own, quantity) if kind == "threshold" else None
            start, end = _shortest_quote(sentence, quantity, year, usd)
            quote = sentence[start:end]
            if year is not None and not (start <= year.start and year.end <= end):
                year = None if year.basis == "dateline" else year
            clause = sentence[clause_start:clause_end]
            # The words of the figure's own clause first, then of its sentence.
            indicator = _indicator(
                quantity.unit, clause, quantity.start - clause_start, quantity.end - clause_start
            ) or _indicator(quantity.unit, sentence, quantity.start, quantity.end)
            if language == "zh":
                subject = _chinese_subject(sentence, quantity, clause_start)
                slug = _slug(indicator.replace("_", " ")) or "target"
            else:
                subject = _english_subject(sentence, quantity, indicator, sentence)
                slug = _slug(subject) or _slug(indicator.replace("_", " ")) or "target"
            if kind == "threshold":
                target_type = "threshold"
            elif quantity.unit == "count" and _STRUCTURE_WORDS.search(
                clause + sentence[:clause_start]
            ):
                target_type = "structure"
            else:
                target_type = "goal"
            row = {
                "target_id": ids.new(f"{plan_id}-{slug}"),
                "plan_id": plan_id,
                "target_type": target_type,
                "indicator": indicator,
                "subject": subject,
                "value": number_text(quantity.value),
                "value_max": "" if quantity.value_max is None else number_text(quantity.value_max),
                "qualifier": quantity.qualifier,
                "strive": "true" if quantity.strive else "false",
                "unit": quantity.unit,
                "target_year": str(year.year) if year else "",
                "target_year_basis": year.basis if year else "",
                "reported_usd": number_text(usd.value) if usd else "",
                "source_id": source_id,
                "quote": " ".join(quote.split()),
            }
            draft.targets.append(
                TargetCandidate(
                    row, kind, sentence_start + quantity.start, sentence_start + quantity.end
                )
            )
    return draft


class _Ids:
    """Ids in use; :meth:`new` gives ``wanted``, or it with -2, -3 ... when already in use."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)
        self.suffix: dict[str, int] = {}  # the next number to try for a wanted id

    def new(self, wanted: str) -> str:
        candidate, number = wanted, self.suffix.get(wanted, 2)
        while candidate in self.taken:
            candidate = f"{wanted}-{number}"
            number += 1
        self.suffix[wanted] = number
        self.taken.add(candidate)
        return candidate


# ---------------------------------------------------------------------------------------------
# Clusters: named parks, bases, zones, clusters and chains

_ZONE = r"(?:development|economic|high-tech|technological\s+development|pilot\s+free\s+trade)"
_CLUSTER_KINDS: tuple[tuple[str, str, str], ...] = (  # a kind, its English and Chinese words
    ("industrial_chain", r"(?:industrial|industry)\s+chains?", "产业链"),
    ("innovation_hub", r"innovation\s+hubs?", "创新(?:中心|高地|策源地)"),
    ("zone", _ZONE + r"\s+zones?|zones?", "(?:开发区|高新区|经济区|示范区|自贸区)"),
    ("park", r"(?:industrial\s+)?parks?", "(?:产业园|工业园)"),
    ("base", r"bases?", "基地"),
    ("cluster", r"(?:industrial\s+)?clusters?", "集群"),
)
_CN_NAME_START = re.compile(
    r"^(?:[（(][一二三四五六七八九十0-9]+[)）])?(?:[0-9一二三四五六七八九十]+[至到-]?)*"
    r"[个条家座批]?(?:依托|建设|打造|培育|推进|推动|支持|在|以|和|与|及|形成|发展)*"
)


def draft_clusters(
    text: str,
    *,
    plan_id: str,
    source_id: str,
    language: str | None = None,
    taken_ids: Iterable[str] = (),
) -> list[dict[str, str]]:
    """Candidate ``clusters`` rows: each named park, base, zone, cluster or chain, once.

    English names are capitalized words before the kind ("Yangqu Industrial Park"); Chinese
    names are the characters before it back to punctuation ("太忻经济区"). The quote is the
    clause that names it.

    >>> rows = draft_clusters("Relying on Yangqu Industrial Park, we will build it.",
    ...     plan_id="p", source_id="s")
    >>> [(r["name"], r["kind"], r["cluster_id"]) for r in rows]
    [('Yangqu Industrial Park', 'park', 'p-park-yangqu-industrial-park')]
    """
    language = language or detect_language(text)
    ids = _Ids(taken_ids)
    seen: set[str] = set()
    rows: list[dict[str, str]] = []
    for sentence_start, sentence_end in sentences(text):
        sentence = text[sentence_start:sentence_end]
        for kind, name, start, _end in _names(sentence, language):
            if name.lower() in seen:
                continue
            seen.add(name.lower())
            clause = next(sentence[a:b] for a, b in _clauses(sentence) if a <= start < b)
            quote = clause if name in clause else sentence
            slug = _slug(name) or str(len(rows) + 1)
            rows.append(
                {
                    "cluster_id": ids.new(f"{plan_id}-{kind.replace('_', '-')}-{slug}"),
                    "plan_id": plan_id,
                    "name": name,
                    "kind": kind,
                    "focus": "",
                    "source_id": source_id,
                    "quote": " ".join(quote.strip().rstrip(",;:，；：").split()),
                    "notes": "",
                }
            )
    return rows


def _names(sentence: str, language: str) -> Iterator[tuple[str, str, int, int]]:
    """(kind, name, start, end) of the named places and chains in a sentence."""
    if language == "zh":
        for kind, _, words in _CLUSTER_KINDS:
            for match in re.finditer(rf"[\u3400-\u9fff（）()]{{2,16}}?{words}", sentence):
                name = _CN_NAME_START.sub("", match.group(0))
                head = re.sub(words + "$", "", name)
                if len(head) >= 2 and head not in ("产业", "工业", "特色"):
                    yield kind, name, match.start(), match.end()
        return
    kinds = "|".join(f"(?P<{kind}>{words})" for kind, words, _ in _CLUSTER_KINDS)
    plain = "|".join(words for _, words, _ in _CLUSTER_KINDS)
    word = rf"(?!(?i:{plain})\b)[A-Z][\w’'-]*"
    pattern = rf"\b{word}(?:\s+(?:(?:of|the|de|and)\s+)?{word})*\s+(?i:{kinds})\b"
    for match in re.finditer(pattern, sentence):
        kind = next(k for k, _, _ in _CLUSTER_KINDS if match.group(k))
        name = re.sub(r"^(?:(?:The|A|An|In|On|At|For|Relying|By|With)\s+)+", "", match.group(0))
        head = name[: len(name) - len(match.group(kind))].strip()
        if head and not head.isupper():
            yield kind, name, match.end() - len(name), match.end()


# ---------------------------------------------------------------------------------------------
# Measures: numbered headings

_HEADING = re.compile(
    r"^[ \t]*(?:(?P<roman>[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+)\s*[.、．]|(?P<cn>[一二三四五六七八九十]{1,3})\s*、"
    r"|(?P<digit>[0-9]{1,2})\s*[.、．](?![0-9])|[(（](?P<bracket>[0-9]{1,2}|[一二三四五六七八九十]{1,3})[)）])"
    r"[ \t]*(?P<title>\S[^\n]{1,300})$",
    re.MULTILINE,
)
# Heading levels by language: section, measure, sub-measure.
_LEVELS = {"en": ("roman", "digit", "bracket"), "zh": ("cn", "bracket", "digit")}
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")}


def _ordinal(text: str) -> int:
    """A heading number as an integer ("3" -> 3, "十二" -> 12).

    >>> _ordinal("3"), _ordinal("十"), _ordinal("十二"), _ordinal("二十"), _ordinal("二十三")
    (3, 10, 12, 20, 23)
    """
    if text.isdigit():
        return int(text)
    digits = [_CN_DIGITS[c] for c in text]
    if len(digits) == 1:
        return digits[0]
    if digits[0] == 10:
        return 10 + digits[1]
    return digits[0] * 10 + (digits[2] if len(digits) == 3 else 0)


def draft_measures(
    text: str,
    *,
    plan_id: str,
    source_id: str,
    language: str | None = None,
    taken_ids: Iterable[str] = (),
) -> list[dict[str, str]]:
    """Candidate ``measures`` rows: one per numbered heading.

    In English texts a roman-numbered heading ("Ⅱ. Directions") is a section, "1." a measure
    and "(1)" a sub-measure; in Chinese texts "一、" is a section, "（一）" a measure and "1." a
    sub-measure. Measures are numbered by ``ordinal``; a sub-measure names its parent. The
    summary and the quote are the heading's first sentence; the category is left to the person.

    >>> rows = draft_measures("Ⅱ. Directions\\n\\n1. Strengthen growth.\\n\\n(1) Speed up.",
    ...     plan_id="p", source_id="s")
    >>> [(r["measure_id"], r["ordinal"], r["parent_measure_id"]) for r in rows]
    [('p-01-strengthen-growth', '1', ''), ('p-01-1-speed-up', '', 'p-01-strengthen-growth')]
    >>> rows[1]["section"]
    'Ⅱ. Directions'
    """
    language = "zh" if (language or detect_language(text)) == "zh" else "en"
    section_level, measure_level, sub_level = _LEVELS[language]
    ids = _Ids(taken_ids)
    rows: list[dict[str, str]] = []
    section, parent_id, parent_number = "", "", ""
    for match in _HEADING.finditer(text):
        level = next(name for name in ("roman", "cn", "digit", "bracket") if match.group(name))
        title = match.group("title")  # up to its first full stop: it may run into its paragraph
        stop = re.search(r"[。！？]|\.(?=\s|$)", title)
        title = (title[: stop.end()] if stop else title).strip()
        heading = text[match.start() : match.start("title") + len(title)].strip()
        if level not in (measure_level, sub_level):
            if level == section_level:
                section, parent_id, parent_number = heading, "", ""
            continue
        number = _ordinal(match.group(level))
        slug = _slug(title) if language == "en" else ""
        if level == measure_level:
            parent_number = f"{number:02d}"
            base = f"{plan_id}-{parent_number}"
            measure_id = parent_id = ids.new(f"{base}-{slug}" if slug else base)
            ordinal, parent = str(number), ""
        elif parent_id:
            base = f"{plan_id}-{parent_number}-{number}"
            measure_id = ids.new(f"{base}-{slug}" if slug else base)
            ordinal, parent = "", parent_id  # the table numbers top-level measures only
        else:
            continue
        rows.append(
            {
                "measure_id": measure_id,
                "plan_id": plan_id,
                "ordinal": ordinal,
                "parent_measure_id": parent,
                "section": section,
                "category": "",
                "summary": title.rstrip("。.;；"),
                "source_id": source_id,
                "quote": " ".join(heading.split()),
                "notes": "",
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# A text of the package: its source row, its plan, the ids already taken


class DraftError(CnplansError):
    """The text or the package cannot be read; the message says what to do."""


@dataclass
class _Context:
    source_id: str
    dateline_year: int | None = None
    language: str | None = None
    plan_ids: list[str] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def _package_context(text_path: Path, descriptor: Path) -> _Context:
    """What the package knows about the text: its source row, its plans, the ids in use."""
    from cnplans.drafting.scaffold import Package, ScaffoldError

    stem = re.sub(r"[^a-z0-9]+", "-", text_path.stem.lower()).strip("-") or "source"
    try:
        package = Package.open(descriptor)
        sources = package.table("sources")
    except ScaffoldError as error:
        return _Context(
            stem, notes=[f"no package read ({error}); source_id {stem} is the file's name"]
        )
    resolved = text_path.resolve()
    for _, record in sources.records:
        cells = dict(zip(sources.header, record, strict=False))
        try:
            if (package.root / cells.get("path", "")).resolve() != resolved:
                continue
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop
            continue
        source_id = cells.get("source_id", stem)
        published = cells.get("published", "")
        year = int(published[:4]) if cells.get("dateline") and published[:4].isdigit() else None
        context = _Context(source_id, year, cells.get("language") or None)
        for name in ("plans", "targets", "clusters", "measures", "projects"):
            try:
                table = package.table(name)
            except ScaffoldError:
                continue
            context.taken.update(table.column(name.removesuffix("s") + "_id"))  # plan_id, ...
            if name == "plans":
                plans = zip(table.column("plan_id"), table.column("source_id"), strict=True)
                context.plan_ids = [plan for plan, source in plans if source == source_id]
        return context
    return _Context(
        stem,
        notes=[
            f"{text_path} is not an archived source of {package.path.name}: archive it with "
            f"`cnplans new-source {text_path} --id {stem}` first (quotes are checked against the "
            "archived text); source_id is the file's name"
        ],
    )


TARGET_EXTRA = "kind"


def draft_files(
    text_path: Path,
    descriptor: Path,
    *,
    plan_id: str | None = None,
    language: str | None = None,
    include_all: bool = False,
    tables: Sequence[str] = ("targets",),
) -> tuple[dict[str, tuple[list[str], list[dict[str, str]]]], list[str]]:
    """The drafted blocks of a text (table -> (header, rows)) and notes for the person.

    The header of each block is the table's own (from its Table Schema); with ``include_all``,
    the targets block has the extra last column ``kind``. Raises :class:`DraftError`.
    """
    from cnplans.datapackage import PackageError
    from cnplans.drafting.scaffold import source_text

    try:
        text = source_text(text_path).removeprefix("\ufeff")
    except PackageError as error:
        raise DraftError(str(error)) from None
    context = _package_context(text_path, descriptor)
    notes = list(context.notes)
    if plan_id is None:
        if len(context.plan_ids) != 1:
            found = ", ".join(context.plan_ids) or "none"
            raise DraftError(
                f"pass --plan PLAN_ID: the package's plans of this source are: {found} (add the "
                "plan first with `cnplans new-plan`)"
            )
        plan_id = context.plan_ids[0]
    language = language or context.language or detect_language(text)
    language = "zh" if language.startswith("zh") else "en"
    blocks: dict[str, tuple[list[str], list[dict[str, str]]]] = {}
    for name in tables:
        header = _header(name, descriptor)
        if name == "targets":
            drafted = draft_targets(
                text,
                plan_id=plan_id,
                source_id=context.source_id,
                dateline_year=context.dateline_year,
                language=language,
                include_all=include_all,
                taken_ids=context.taken,
            )
            rows = [{**c.row, TARGET_EXTRA: c.kind} for c in drafted.targets]
            if include_all:
                header = [*header, TARGET_EXTRA]
            if not rows:
                notes.append("no quantified goal found")
        else:
            draft = draft_clusters if name == "clusters" else draft_measures
            rows = draft(
                text,
                plan_id=plan_id,
                source_id=context.source_id,
                language=language,
                taken_ids=context.taken,
            )
        blocks[name] = (header, rows)
    return blocks, notes


def _header(name: str, descriptor: Path) -> list[str]:
    """The table's field names: the package's schema, else the one bundled with cnplans."""
    from cnplans.datapackage.paths import bundled_root
    from cnplans.datapackage.table_schema import TableSchema
    from cnplans.drafting.scaffold import Package, ScaffoldError

    try:
        return Package.open(descriptor).table(name).header
    except ScaffoldError:
        return TableSchema.from_path(bundled_root() / "schemas" / f"{name}.json").field_names
