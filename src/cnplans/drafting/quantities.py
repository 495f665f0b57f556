"""Find the quantities a passage states: money, percentages, counts and years (English, Chinese).

A plan's targets are checked against the words of the source text they quote. This module reads
those words the way a person does ("more than 230 billion yuan", "three to four parks",
"(2025-2027)", "力争突破1.2万亿元", "50多家") and returns each figure in base units (yuan,
US dollars, percent points, a count or a year), with how the passage bounds it (about, more than,
at least, up to, a range) and whether it is a figure to strive for. It has one job: find and read
the figures; whether they agree with a table is the caller's business.

Not returned as quantities: list numbering at the start of a line or sentence ("1.", "2、",
"一、") and bare parenthesized numerals ("(1)", "（一）"); ordinals ("第三", "14th",
"third"); numbers glued to letters or identifiers ("3D", "5G", "G.5A", "COVID-19", "PM2.5");
numbers hyphenated into a compound word ("five-year", "3-year", "one-stop"); the month and day of a
date ("November 22", "2022-04-25", "4月25日") and clock times ("10:30"); version numbers
("4.0.1"); fractions ("1/3"); roman numerals; vague numerals ("数十", "十几", "dozens of").

Everything is done with precompiled regular expressions matched at bounded positions, so the time
taken grows linearly with the passage; ``benchmarks/quantities.py`` measures it. Written by hand
because no library reads these forms together (quantulum3 reads no Chinese, drops qualifiers and
turns "3 to 5" into 4).

Known gaps: an English four-digit number 1900-2100 before a plain noun is read as a year ("2000
companies"); a change "from 3 to 5 percent" gives a count and a percent; a minus sign is ignored.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import groupby
from math import prod

__all__ = ["Quantity", "find_quantities", "relative_years"]


@dataclass(frozen=True)
class Quantity:
    """One figure a passage states, in base units, with where its words are."""

    value: float  # yuan, US dollars, percent points, a count, or the year
    value_max: float | None  # upper end of a range, same units; None when not a range
    unit: str  # "CNY", "USD", "percent", "count" or "year"
    qualifier: str  # "exactly", "about", "at_least", "more_than", "up_to" or "range"
    strive: bool  # the figure is to be striven for ("strive", "力争", "争取")
    start: int  # passage[start:end] is the quantity's own words
    end: int
    text: str  # == passage[start:end]

    def describe(self) -> str:
        """Short human words for messages: "more than 230 billion yuan", "$21.43 billion"."""
        if self.unit == "year":
            high = "" if self.value_max is None else f" to {self.value_max:.0f}"
            return f"{self.value:.0f}{high}"
        tiers = self.unit != "percent"
        sign = "$" if self.unit == "USD" else ""
        suffix = {"CNY": " yuan", "percent": " percent"}.get(self.unit, "")
        core = sign + _number_words(self.value, tiers)
        if self.value_max is not None:
            high = _number_words(self.value_max, tiers)
            head, _, tier = core.rpartition(" ")
            if tier in ("trillion", "billion", "million") and high.endswith(" " + tier):
                core = head  # "$2 to $3 billion"
            core += f" to {sign}{high}"
        words = "" if self.qualifier in ("exactly", "range") else self.qualifier + " "
        return words.replace("_", " ") + core + suffix


def _plain(x: float) -> str:
    if abs(x - round(x)) < 1e-9:
        return f"{round(x):,}"
    return f"{x:,.6f}".rstrip("0").rstrip(".")


def _number_words(value: float, tiers: bool) -> str:
    """230000000000.0 -> "230 billion"; 1500.0 -> "1,500"; 84.8 -> "84.8"."""
    if tiers:
        for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
            mantissa = value / size
            if mantissa >= 1 and abs(mantissa * 1000 - round(mantissa * 1000)) < 1e-6:
                return f"{_plain(mantissa)} {word}"
    return _plain(value)


# ---------------------------------------------------------------------------------------------
# Character classes and word tables

_D = "0-9０-９"
_DIGIT_CHARS = frozenset("0123456789０１２３４５６７８９")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")
# 〇 to 九, then their financial forms 零 (also 0) to 玖, and 两 (2)
_CN_DIGITS = {ch: i % 10 for i, ch in enumerate("〇一二三四五六七八九零壹贰叁肆伍陆柒捌玖")}
_CN_DIGITS["两"] = 2
_CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL_UNITS) + "万亿"
_CN_YEAR_DIGITS = "〇零一二三四五六七八九"
_CN_BEFORE_ONE = frozenset("统唯之单同逐划专均归合如始终万进")
_CN_MAX_RUN = 24  # longer runs of numerals are not numbers (and would recurse deeply)
_MAX_DIGITS = 24  # a longer string of digits is an identifier, not a figure

_WORDS = re.compile(r"[a-z]+")
_WORD_VALUES = dict(  # one .. nineteen, twenty .. ninety
    zip(
        _WORDS.findall(
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
            " fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy"
            " eighty ninety"
        ),
        [*range(1, 20), *range(20, 100, 10)],
        strict=True,
    )
)
_SCALE_WORDS = "hundred|thousand|dozen|million|billion|trillion"


def _by_first_letter(words: list[str]) -> str:
    """One alternation grouped by first letter ("t(?:wo|en)"): a failed word costs one test."""
    groups = groupby(sorted(words, key=lambda word: (word[0], -len(word))), key=lambda w: w[0])
    return "|".join(f"{first}(?:{'|'.join(w[1:] for w in group)})" for first, group in groups)


# (each use is followed by \b, so the order of the words does not matter)
_WORD_ALTERNATION = _by_first_letter([*_WORD_VALUES, "hundred", "thousand"])


# Scale words and the characters of Chinese scales, which multiply ("hundred million", "千亿")
_SCALES = _CN_SMALL_UNITS | {"万": 10**4, "亿": 10**8, "hundred": 100, "thousand": 1000}
_SCALES |= {"million": 10**6, "mn": 10**6, "mln": 10**6, "billion": 10**9, "bn": 10**9}
_SCALES |= {"trillion": 10**12, "tn": 10**12}

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_SP = r"[ \t\u00a0]"  # spaces within a line

# ---------------------------------------------------------------------------------------------
# Regular expressions, all matched at a given position (or searched in a short window)

# Where a number may start: a digit, a Chinese numeral ("百分之" too), or an English number word.
_NUMBER_WORD = rf"a{_SP}+(?:{_SCALE_WORDS})\b|(?:{_WORD_ALTERNATION})\b"
_START = re.compile(rf"[{_D}{_CN_CHARS}]|\b(?:{_NUMBER_WORD})", re.IGNORECASE)
# The same places without trying each position: numerals are one class; number words are looked
# for after a non-word character, in the lowercase copy unless _LETTERS_IGNORING_CASE occur.
_NUMERAL = re.compile(f"[{_D}{_CN_CHARS}]")
_NUMBER_WORD_AT = re.compile(_NUMBER_WORD)
_NUMBER_WORD_AFTER = re.compile(rf"\W(?={_NUMBER_WORD})")
_ASCII_NUMBER_WORD_AFTER = re.compile(rf"[^a-z0-9_](?={_NUMBER_WORD})")
_CASELESS_NUMBER_WORD_AT = re.compile(_NUMBER_WORD, re.IGNORECASE)
_CASELESS_NUMBER_WORD_AFTER = re.compile(rf"\W(?={_NUMBER_WORD})", re.IGNORECASE)
# Non-ASCII letters [A-Za-z] matches ignoring the case, whose lower() is not that ASCII letter.
_LETTERS_IGNORING_CASE = "İıſK"
_LETTER = re.compile(f"[A-Za-z{_LETTERS_IGNORING_CASE}]")


def _number_word_starts(text: str) -> list[int]:
    """Every position where _START matches an English number word, in order."""
    if text.isascii():
        low, after, at = text.lower(), _ASCII_NUMBER_WORD_AFTER, _NUMBER_WORD_AT
    elif _LETTER.search(text) is None:
        return []  # Chinese text without a letter: each of its characters would be tried
    elif any(ch in text for ch in _LETTERS_IGNORING_CASE):
        low, after, at = text, _CASELESS_NUMBER_WORD_AFTER, _CASELESS_NUMBER_WORD_AT
    else:
        low, after, at = text.lower(), _NUMBER_WORD_AFTER, _NUMBER_WORD_AT
    starts = [match.end() for match in after.finditer(low)]
    return [0, *starts] if at.match(low) else starts


_DIGITS = re.compile(
    rf"[{_D}]{{1,3}}(?:,[{_D}]{{3}})+(?:[.．][{_D}]+)?(?![{_D}])|[{_D}]+(?:[.．][{_D}]+)?"
)
_CN_RUN = re.compile(f"[{_CN_CHARS}]+")
_WORD_RUN = re.compile(
    rf"(?:(?P<a>a){_SP}+)?(?:{_WORD_ALTERNATION}|dozen)\b"
    rf"(?:(?:{_SP}+and{_SP}+|{_SP}+|-)(?:{_WORD_ALTERNATION})\b){{0,12}}",
    re.IGNORECASE,
)
_WORD_TOKEN = re.compile(r"[A-Za-z]+")
_A_SCALE = re.compile(rf"a(?={_SP}+(?:million|billion|trillion)\b)", re.IGNORECASE | re.ASCII)
_DATE = re.compile(  # 2022-04-25, 2022.4.25 or 2024/11
    rf"(?P<year>[{_D}]{{4}})(?:(?P<sep>[-/.])(?:0?[1-9]|1[0-2])(?P=sep)(?:0?[1-9]|[12][0-9]|3[01])"
    rf"|[-/.](?:0[1-9]|1[0-2]))(?![{_D}])"
)

_ENGLISH_SCALE = re.compile(
    rf"{_SP}*-?{_SP}*(?P<s>hundred{_SP}+million|hundred|thousand|million|billion|trillion"
    r"|bn|mn|mln|tn)(?![A-Za-z])",
    re.IGNORECASE | re.ASCII,  # ASCII letters only: "mıllion" (a dotless ı) is no scale word
)
_CHINESE_SCALE = re.compile(r"[ \t]?(?P<s>万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千(?![瓦克米]))")
_MORE = re.compile(r"多(?![样元彩种方措层])|余(?![额量下])")
_ENGLISH_UNIT = re.compile(
    rf"{_SP}*-?{_SP}*(?:"
    rf"(?P<USD>(?:US|U\.S\.|American){_SP}+dollars?|US\$|USD|dollars?)"
    r"|(?P<CNY>yuan|RMB|CNY|renminbi)"
    rf"|(?P<percent>percentage{_SP}+points?|per{_SP}?cent|pct)"
    r")(?![A-Za-z])"
    rf"|{_SP}*(?P<sign>[%％])",
    re.IGNORECASE,
)
_CHINESE_UNIT = re.compile(
    r"[ \t]?(?:(?P<USD>美元)|(?P<CNY>元|人民币)|(?P<percent>个百分点|百分点)"
    r"|(?P<measure>个月|个|家|项|条(?!龙)|座|所|种|类|名|位|人次|人|次|倍|台|套|件|处|只|户|支|张"
    r"|款|栋|艘|辆|架|部|天|周(?!年)|岁)"
    r"|(?P<nian>年)|(?P<date>月|日|号))"
)
# Words that make a bare Chinese numeral a number without being part of the quantity's text.
_CHINESE_FOLLOW = re.compile(r"大(?!批)|公里|平方|吨|亩|千瓦|兆瓦|吉瓦|瓦|米|克|升|小时|分钟|秒")
_AFTER = re.compile(
    rf"{_SP}+(?:or|and){_SP}+(?:(?P<at_least>more|above|higher|over|greater)"
    r"|(?P<up_to>less|below|fewer|under|lower)|(?P<about>so))(?![A-Za-z])"
    r"|[ \t]?(?:(?P<cn_at_least>及以上|以上)|(?P<cn_up_to>及以下|以下|以内)|(?P<cn_about>左右))",
    re.IGNORECASE,
)
_RANGE_SEP = re.compile(
    rf"{_SP}*(?:(?P<word>to|or|and|through)(?![A-Za-z])|(?P<dash>[-–—－‐‑]{{1,2}}|[~～〜])"
    rf"|(?P<cn>至|到)){_SP}*",
    re.IGNORECASE,
)
_PREFIX_BEFORE = re.compile(
    rf"(?:(?P<USD>(?<![A-Za-z])(?:(?:US|U\.S\.){_SP}?)?\$|(?<![A-Za-z])USD)"
    rf"|(?P<CNY>[¥￥]|(?<![A-Za-z])(?:RMB|CNY|Rmb))){_SP}*$"
)
_PREFIX_AFTER = re.compile(
    rf"(?:(?P<USD>(?:(?:US|U\.S\.){_SP}?)?\$|USD)|(?P<CNY>[¥￥]|RMB|CNY|Rmb)){_SP}*"
)
_BETWEEN = re.compile(rf"(?<![A-Za-z])between{_SP}+$", re.IGNORECASE)
_FROM = re.compile(rf"(?:(?<![A-Za-z])from{_SP}+|[从由][ \t]?)$", re.IGNORECASE)
_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?:"
    r"(?P<at_least>at\s+least|no[t]?\s+(?:less|fewer)\s+than|(?:a\s+)?minimum\s+of"
    r"|reach(?:es|ed|ing)?\s+or\s+(?:exceed(?:s|ed|ing)?|surpass(?:es|ed|ing)?|top"
    r"|break(?:s|ing)?\s+through))"
    r"|(?P<up_to>up\s+to|no[t]?\s+more\s+than|at\s+most|(?:a\s+)?maximum\s+of"
    r"|not\s+(?:to\s+)?exceed(?:ing)?|no[t]?\s+(?:higher|greater)\s+than|less\s+than"
    r"|fewer\s+than|below|under|within)"
    r"|(?P<more_than>more\s+than|greater\s+than|higher\s+than|over|top(?:s|ping|ped)?"
    r"|exceed(?:s|ed|ing)?|above|beyond|break(?:s|ing)?\s+through|broke\s+through"
    r"|surpass(?:es|ed|ing)?|in\s+excess\s+of|upwards\s+of)"
    r"|(?P<about>about|around|approximately|approx\.?|roughly|nearly|almost|some|close\s+to"
    r"|circa|an\s+estimated))"
    r"|(?P<cn_at_least>不少于|不低于|不小于|至少|达到或超过|达到或突破|达到或超出)"
    r"|(?P<cn_up_to>不超过|不高于|不多于|不大于|最多|低于|少于|小于)"
    r"|(?P<cn_more_than>超过|超出|突破|超|逾|多于|高于|大于)"
    r"|(?P<cn_about>大约|约|将近|接近|(?<!最)近)"
    r")\s*$",
    re.IGNORECASE,
)
# Last words of _BEFORE's English qualifiers; see _qualifier_before.
_BEFORE_LAST_WORDS = frozenset(
    _WORDS.findall(
        "least than of exceed exceeds exceeded exceeding surpass surpasses surpassed surpassing top"
        " tops topping topped through to most below under within over above beyond about around"
        " approximately approx roughly nearly almost some circa estimated"
    )
)
_BEFORE_LAST_CN = frozenset("于过破出多少超逾约近")
_BEFORE_FIRST_CN = frozenset("不至达最低少小超突逾多高大约将接近")
# A qualifier's last word and up to three before it, read backwards.
_WORDS_BACKWARDS = re.compile(
    rf"([A-Za-z{_LETTERS_IGNORING_CASE}]+)(?:\s+[A-Za-z{_LETTERS_IGNORING_CASE}]+){{0,3}}"
)
_SPACES = re.compile(r"\s+")
_FOLD_LETTERS = str.maketrans(_LETTERS_IGNORING_CASE, "iisk")
_NOT_TOP = re.compile(r"(?<![A-Za-z])(?:the|among|into|in|of|a|list|rank(?:s|ed|ing)?)\s+$", re.I)
# "centered around three bases": a preposition after a verb, not an approximation.
_NOT_ABOUT = re.compile(
    r"(?<![A-Za-z])(?:cent(?:er|r)ed|revolv(?:es|ed|ing)|built|organi[sz]ed|based|talk(?:ed)?"
    r"|bring(?:s)?|brought|come|came|set|spread|scattered|located|clustered)\s+$",
    re.I,
)
_ONE_PRONOUN_AFTER = re.compile(rf"{_SP}+(?:of|another|by{_SP}+one)\b", re.IGNORECASE)
_ONE_PRONOUN_BEFORE = re.compile(
    rf"(?<![A-Za-z])(?:no|the|any|every|each|this|that|which|such|one){_SP}+$", re.IGNORECASE
)
_MONTH_BEFORE = re.compile(rf"(?<![A-Za-z]){_MONTHS}\.?{_SP}+$")
_MONTH_AFTER = re.compile(rf"(?:st|nd|rd|th)?{_SP}+(?:of{_SP}+)?{_MONTHS}(?![A-Za-z])")
_LINE_START = re.compile(r"(?:^|[\n。.!?！？;；:：])[ \t\u00a0\u3000]*$")
_CN_IDIOM = re.compile(r"千家万户|一条龙|千方百计|万无一失")

_CLAUSE_END = re.compile(r"[,，;；。!！?？\n.](?:(?<=,)(?![0-9])|(?<=\.)(?=\s|$)|(?<=[^,.]))")
_SENTENCE_END = re.compile(r"[;；。!！?？\n.](?:(?<=\.)(?=\s|$)|(?<=[^.]))")
_STRIVE = re.compile(r"(?<![A-Za-z])striv(?:e|es|ed|en|ing)(?![A-Za-z])|力争|争取", re.IGNORECASE)
_CN_STRIVE = re.compile("力(?=争)|争(?=取)")  # where each 力争 and 争取 starts ("力争取": both)
# "力争到2025年，…": the striving governs the rest of the sentence, across the comma.
_STRIVE_LEAD_IN = re.compile(
    rf"(?:力争|争取)[^，,。；;\n]{{0,8}}?(?:[{_D}]{{4}}|[{_CN_YEAR_DIGITS}]{{4}})年"
    r"[^，,。；;\n]{0,4}?[，,]"
    rf"|(?<![A-Za-z])striv(?:e|es|ing){_SP}*,?{_SP}*(?:by|in|until|before){_SP}+"
    rf"(?:the{_SP}+end{_SP}+of{_SP}+)?[0-9]{{4}}{_SP}*,",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------
# Numerals


def _cn_section(s: str) -> int | None:
    """A Chinese numeral below ten thousand ("一千零五", "十五", "两千五"); None if malformed."""
    total = 0
    digit: int | None = None
    last_unit = 10**5
    after_zero = False
    for ch in s:
        if ch in _CN_DIGITS:
            value = _CN_DIGITS[ch]
            if digit is not None:
                return None
            if value == 0:
                after_zero = True
                continue
            digit = value
        else:
            unit = _CN_SMALL_UNITS.get(ch)  # None: a 万 or 亿 where none can stand (一万万)
            if unit is None or unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit, after_zero = None, unit, False
    if digit is not None:
        # "两千五" is 2500: a digit right after 百/千 counts in the next lower unit
        total += digit * (last_unit // 10) if 10 < last_unit < 10**5 and not after_zero else digit
    return total


def _cn_below_yi(s: str) -> int | None:
    head, sep, tail = s.rpartition("万")
    if not sep:
        return _cn_section(s)
    if not head:
        return None
    high = _cn_section(head)
    low = _CN_DIGITS[tail] * 1000 if tail in _CN_DIGITS else _cn_section(tail)  # 一万五
    return None if high is None or low is None else high * 10**4 + low


def _cn_int(s: str) -> int | None:
    head, sep, tail = s.rpartition("亿")
    if not sep:
        return _cn_below_yi(s)
    if not head:
        return None
    high = 10**4 if head == "万" else _cn_int(head)
    low = _CN_DIGITS[tail] * 10**7 if tail in _CN_DIGITS else _cn_below_yi(tail)  # 一亿五
    return None if high is None or low is None else high * 10**8 + low


def _cn_numeral(run: str) -> tuple[int, int | None, bool] | None:
    """(value, upper end of "三四" style ranges, written digit by digit) or None."""
    if all(ch in _CN_DIGITS for ch in run):
        if len(run) == 1:
            return _CN_DIGITS[run], None, False
        if len(run) == 4 and all(ch in _CN_YEAR_DIGITS for ch in run):
            return int("".join(str(_CN_DIGITS[ch]) for ch in run)), None, True
        low, high = _CN_DIGITS[run[0]], _CN_DIGITS[run[-1]]
        if len(run) == 2 and run[0] != "两" and low > 0 and high == low + 1:
            return low, high, False  # 三四个: three or four
        return None
    value = _cn_int(run)
    return None if value is None else (value, None, False)


def _words_value(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Value and end of the longest well-formed English number at text[start:end]."""
    value = group = 0
    last: str | None = None
    best: tuple[int, int] | None = None
    tokens = list(_WORD_TOKEN.finditer(text, start, end))  # at most 14: the run is bounded
    leading_a = tokens[0].group().lower() == "a"
    for token in tokens[leading_a:]:
        word = token.group().lower()
        if word == "and":
            if last not in ("hundred", "thousand"):
                break
            continue
        if leading_a and last is None and word not in ("hundred", "thousand", "dozen"):
            break
        if word in _WORD_VALUES:
            number = _WORD_VALUES[word]
            kind = "unit" if number < 10 else "teen" if number < 20 else "tens"
            allowed = last in (None, "hundred", "thousand") or (kind == "unit" and last == "tens")
            if not allowed:
                break
            group += number
            last = kind
        elif word == "hundred":
            if last not in (None, "unit", "teen", "tens") or group >= 100:
                break
            group = (group or 1) * 100
            last = "hundred"
        elif word == "thousand":
            if value:  # a second thousand
                break
            value += (group or 1) * 1000
            group, last = 0, "thousand"
        elif word == "dozen":
            if not (leading_a and last is None):
                break
            group, last = 12, "dozen"
        else:
            break
        best = (value + group, token.end())
    return best


# ---------------------------------------------------------------------------------------------
# The scanner


@dataclass(slots=True)
class _Num:
    lead: int  # where the number's words start (a currency sign before the numeral included)
    atom_start: int
    atom_end: int
    end: int
    value: Decimal | int  # (an int if short: 15 digits times a scale up to 10**12 are exact)
    kind: str  # "digits", "cn" or "words"
    value_max: Decimal | None = None
    unit: str | None = None  # "CNY", "USD", "percent", "measure" or None (a plain count)
    scale: int | None = None
    plain4: bool = False  # could be a year: four digits 1900..2100, nothing attached
    year: bool = False  # read as a year
    more: bool = False  # 多 / 余
    after: str | None = None  # qualifier from words after the number
    level: bool = False  # 百亿级
    validated: bool = True  # False: a Chinese numeral with nothing after it that makes it one
    iso_date: bool = False  # 2022-04-25: the year of a date


_SKIP = int  # a position to resume scanning from: no quantity here


def _char_before(text: str, p: int) -> str:
    """The last character before p that is not a space (looking back up to four characters)."""
    i = p - 1
    while i >= 0 and p - i <= 4 and text[i] in _SP_CHARS:
        i -= 1
    return text[i] if i >= 0 else ""


# The last characters of _BEFORE's qualifiers and of prefixes: most numbers skip those searches.
_QUALIFIER_LAST = frozenset("于过破超逾近约少低多高大出.adefghnoprstwxyADEFGHNOPRSTWXY")
_PREFIX_LAST = frozenset("$¥￥BYDb")
_NOTHING_ATTACHES = frozenset(["", *'，。,;；、：:)）\n!?！？"”’'])
_SP_CHARS = frozenset(" \t\u00a0")
# What can start a scale, 多, 级, a unit or a qualifier after a number, besides letters and CJK.
_MAY_ATTACH = frozenset(" \t\u00a0-‐‑%")
_NUMBER_JOINS = frozenset(".．:：/")
_ASCII_DIGITS = frozenset("0123456789")
_MONTH_AFTER_FIRST = frozenset("snrt \t\u00a0")
# The characters each pattern after a number can start with (spaces and dashes included).
_ENGLISH_SCALE_FIRST = frozenset(" \t\u00a0-hHtTmMbB")
_ENGLISH_UNIT_FIRST = frozenset(" \t\u00a0-uUaAdDyYrRcCpP%％")
_CHINESE_UNIT_FIRST = frozenset(
    " \t\u00a0-个人件位倍元只台号名周处天套家岁年座张户所支日月条架栋次款百种类美艘辆部项"
)
_AFTER_FIRST = frozenset(" \t\u00a0以及左")
# First two letters of the words of _RANGE_SEP, _ENGLISH_SCALE, _ENGLISH_UNIT and _AFTER.
_TAIL_WORD_STARTS = {
    *("to", "or", "an", "th", "hu", "mi", "bi", "tr", "bn", "mn", "ml", "tn"),  # to, ..., tn
    *("us", "u.", "am", "do", "yu", "rm", "cn", "re", "pe", "pc"),  # US$, yuan, ..., pct
}


def _plain_word_after(text: str, end: int) -> bool:
    """Spaces and then an English word follow end, and no word of _TAIL_WORD_STARTS."""
    word_at = end
    while text[word_at : word_at + 1] in _SP_CHARS:
        word_at += 1
    head = text[word_at : word_at + 2]  # non-ASCII letters can match ASCII ones ("ſ" is "s")
    return head.isascii() and head[:1].isalpha() and head.lower() not in _TAIL_WORD_STARTS


def _qualifier_before(text: str, lo: int, hi: int) -> re.Match[str] | None:
    """_BEFORE.search(text, lo, hi), matched only where a qualifier can start: up to three
    words before one of _BEFORE_LAST_WORDS, or in five characters before one of _BEFORE_LAST_CN."""
    end = lo + len(text[lo:hi].rstrip())
    if end == lo:
        return None
    last = text[end - 1]
    if last in _BEFORE_LAST_CN:
        starts = [p for p in range(max(lo, end - 5), end) if text[p] in _BEFORE_FIRST_CN]
    else:
        word_end = end - 1 if last == "." else end  # only "approx." ends in a full stop
        piece = text[lo:word_end].rpartition(" ")[2]  # (cheaper tests first: an ASCII last word)
        if piece.isascii() and not piece[-1:].isalpha():
            return None  # no letter before word_end
        if piece.isascii() and piece.isalpha() and piece.lower() not in _BEFORE_LAST_WORDS:
            return None
        backwards = text[lo:word_end][::-1]
        words = _WORDS_BACKWARDS.match(backwards)
        if words is None:
            return None
        word = backwards[: words.end(1)][::-1]  # (translate is slow even when nothing changes)
        word = (word if word.isascii() else word.translate(_FOLD_LETTERS)).lower()
        if word not in _BEFORE_LAST_WORDS or (last == "." and word != "approx"):
            return None
        first = word_end - words.end()
        starts = [first, *(space.end() for space in _SPACES.finditer(text, first, word_end))]
    return next(filter(None, (_BEFORE.match(text, p, hi) for p in starts)), None)


class _Scanner:
    """One pass over a passage: finds where numbers start and reads each into a Quantity."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.strive_known = False  # where the strive words and lead-ins are: see find_strive
        self.strive_at: list[int] = []
        self.lead_ins: list[tuple[int, int]] = []
        self.firsts: dict[tuple[re.Pattern[str], int], int] = {}  # see first_match

    def find_strive(self) -> None:
        """Where _STRIVE and _STRIVE_LEAD_IN match (as finditer finds them)."""
        self.strive_known = True
        text = self.text
        if "striv" in text.lower() or (
            not text.isascii() and any(ch in text for ch in _LETTERS_IGNORING_CASE)
        ):
            self.strive_at = [m.start() for m in _STRIVE.finditer(text)]
            self.lead_ins = [(m.start(), m.end()) for m in _STRIVE_LEAD_IN.finditer(text)]
        elif not text.isascii():
            # only Chinese strive words: finditer's matches, without trying every position
            for at in (match.start() for match in _CN_STRIVE.finditer(text)):
                if not self.strive_at or at >= self.strive_at[-1] + 2:
                    self.strive_at.append(at)
                if not self.lead_ins or at >= self.lead_ins[-1][1]:
                    lead_in = _STRIVE_LEAD_IN.match(text, at)
                    if lead_in is not None:
                        self.lead_ins.append(lead_in.span())

    def run(self) -> list[Quantity]:
        """Reads a quantity at each place _START matches, resuming after what each one read."""
        found: list[Quantity] = []
        pos = previous_end = 0
        text = self.text
        size = len(text)
        words = _number_word_starts(text)[::-1]  # (reversed, to pop the next one)
        numeral = _NUMERAL.search(text)
        while True:
            if numeral is not None and numeral.start() < pos:  # (else it is still the next one)
                numeral = _NUMERAL.search(text, pos)
            start = size if numeral is None else numeral.start()
            while words and words[-1] < pos:
                words.pop()
            if words and words[-1] < start:
                start = words[-1]
            if start == size:
                return found
            result = self.quantity_at(start, previous_end)
            if isinstance(result, Quantity):
                found.append(result)
                pos = previous_end = result.end
            else:
                pos = max(result, start + 1)

    # -- helpers ------------------------------------------------------------------------------

    def strive(self, at: int) -> bool:
        """A strive word earlier in the clause of at, or a lead-in ("力争到2025年，") that ends
        before at in its sentence."""
        if not self.strive_known:
            self.find_strive()
            if not (self.strive_at or self.lead_ins):
                return False
        k = bisect_left(self.strive_at, at) - 1  # the last strive word before at
        if k >= 0 and self.first_match(_CLAUSE_END, self.strive_at[k]) >= at:
            return True
        j = bisect_right([end for _, end in self.lead_ins], at) - 1  # the last that ends by at
        return j >= 0 and self.first_match(_SENTENCE_END, self.lead_ins[j][0]) >= at

    def first_match(self, pattern: re.Pattern[str], start: int) -> int:
        """Where pattern first matches at or after start (len(text) if nowhere); searched once, so
        the numbers of a long clause do not each search the rest of the passage."""
        found = self.firsts.get((pattern, start))
        if found is None:
            match = pattern.search(self.text, start)
            found = self.firsts[pattern, start] = len(self.text) if match is None else match.start()
        return found

    def glued_left(self, p: int) -> bool:
        """The numeral at p continues a word or identifier: "G5", "G.5A", "COVID-19"."""
        if p == 0:
            return False
        text = self.text
        before = text[p - 1]
        if before.isascii() and (before.isalnum() or before == "_"):
            return True
        if before in "-‐‑./" and p >= 2:
            two = text[p - 2]
            return (two.isascii() and (two.isalnum() or two == "_")) or two in _DIGIT_CHARS
        return False

    def list_marker(self, atom_start: int, atom_end: int) -> bool:
        """ "1." or "一、" opening a line or sentence, or a bare "(1)" / "（一）"."""
        text = self.text
        after = text[atom_end : atom_end + 1]
        before = text[atom_start - 1 : atom_start] if atom_start else ""
        if before in ("(", "（") and after in (")", "）"):
            return True
        if after in ("、", ")", "）") or (
            after in (".", "．") and text[atom_end + 1 : atom_end + 2] not in _DIGIT_CHARS
        ):
            return _LINE_START.search(text, max(0, atom_start - 8), atom_start) is not None
        return False

    # -- reading one number -------------------------------------------------------------------

    def read(self, p: int, lead: int, prefix: str | None, after_sep: bool) -> _Num | _SKIP:
        """The number whose numeral starts at p; an int (where to resume) when there is none."""
        text = self.text
        ch = text[p]
        if ch in _DIGIT_CHARS:
            num = self.read_digits(p, lead, prefix, after_sep)
        elif ch in _CN_CHARS:
            num = self.read_chinese(p, lead, after_sep)
        else:
            num = self.read_words(p, lead, after_sep)
        if isinstance(num, int):
            return num
        return self.read_tail(num, prefix)

    def read_digits(self, p: int, lead: int, prefix: str | None, after_sep: bool) -> _Num | _SKIP:
        text = self.text
        if (  # 2022-04-25, 2024/11: four digits, a separator, a month
            not after_sep
            and text[p + 4 : p + 5] in ("-", "/", ".")
            and text[p + 5 : p + 6] in _ASCII_DIGITS
        ):
            date = _DATE.match(text, p)
            if date is not None and not self.glued_left(p):
                year = int(date.group("year").translate(_FULLWIDTH))
                if 1900 <= year <= 2100:
                    end = date.end()
                    return _Num(lead, p, end, end, year, "digits", year=True, iso_date=True)
        match = _DIGITS.match(text, p)
        assert match is not None
        end = match.end()
        raw = match.group()
        if not raw.isascii():
            raw = raw.translate(_FULLWIDTH)
        if len(raw) > _MAX_DIGITS:
            return end
        before = text[p - 1 : p]
        if prefix is None and not after_sep and before not in _SP_CHARS and self.glued_left(p):
            return end
        if before == "第":
            return end  # an ordinal
        if text[end : end + 1] in _NUMBER_JOINS and text[end + 1 : end + 2] in _DIGIT_CHARS:
            return _DIGITS.match(text, end + 1).end()  # type: ignore[union-attr]  # 4.0.1, 10:30, 1/3
        if not after_sep and len(raw) <= 2:  # (so without "," or ".": "1,000" and "1.5" are longer)
            if self.list_marker(p, end):
                return end
            month_before = (
                before in _SP_CHARS
                and _char_before(text, p).isalpha()
                and _MONTH_BEFORE.search(text, max(0, p - 12), p) is not None
            )
            if month_before or (
                text[end : end + 1] in _MONTH_AFTER_FIRST and _MONTH_AFTER.match(text, end)
            ):
                return end  # the day of a date
        digits = raw.replace(",", "")
        value = int(digits) if len(digits) <= 15 and digits.isdigit() else Decimal(digits)
        num = _Num(lead, p, end, end, value, "digits")
        # (four ASCII digits compare as their numbers do)
        num.plain4 = prefix is None and len(raw) == 4 and raw.isdigit() and "1900" <= raw <= "2100"
        return num

    def read_chinese(self, p: int, lead: int, after_sep: bool) -> _Num | _SKIP:
        text = self.text
        match = _CN_RUN.match(text, p)
        assert match is not None
        end = match.end()
        if _CN_IDIOM.match(text, p):
            return end
        if p and text[p - 1] in "第数几若":
            return end  # ordinal or vague ("第三", "数十")
        if match.group() == "一" and p and text[p - 1] in _CN_BEFORE_ONE:
            return end  # a word ending in 一: 统一, 唯一, 之一
        run = match.group()
        parsed = _cn_numeral(run) if len(run) <= _CN_MAX_RUN else None
        if parsed is None or parsed[0] == 0:
            return end
        value, high, by_digit = parsed
        if not after_sep and len(run) <= 2 and self.list_marker(p, end):
            return end
        if by_digit and not 1900 <= value <= 2100:
            return end
        tail = run[len(run.rstrip("十百千万亿拾佰仟")) :]
        scale = prod(_SCALES[ch] for ch in tail) if "万" in tail or "亿" in tail else None
        num = _Num(lead, p, end, end, Decimal(value), "cn", scale=scale, plain4=by_digit)
        num.value_max = None if high is None else Decimal(high)
        num.validated = scale is not None and (any(ch in _CN_DIGITS for ch in run) or len(run) > 1)
        return num

    def read_words(self, p: int, lead: int, after_sep: bool) -> _Num | _SKIP:
        text = self.text
        match = _WORD_RUN.match(text, p)
        parsed = None if match is None else _words_value(text, p, match.end())
        if parsed is None:
            single = _A_SCALE.match(text, p)
            if single is None:
                return p + 1 if match is None else match.end()
            parsed = (1, single.end())
        value, end = parsed
        if (
            text[p:end].lower() == "one"
            and not after_sep
            and (
                _ONE_PRONOUN_AFTER.match(text, end)
                or _ONE_PRONOUN_BEFORE.search(text, max(0, p - 12), p)
            )
        ):
            return end  # a pronoun: "one of", "no one"
        return _Num(lead, p, end, end, value, "words")

    def read_tail(self, num: _Num, prefix: str | None) -> _Num | _SKIP:
        """Scale, 多, unit and qualifier words after the numeral; checks on what follows it."""
        text = self.text
        kind, end = num.kind, num.atom_end
        near = text[end : end + 1]
        if num.iso_date or near in _NOTHING_ATTACHES:
            return num  # the year of a date; punctuation or the end of the text after the numeral
        if kind != "cn" and (
            (near < "\u4e00" and not near.isalpha() and near not in _MAY_ATTACH)
            or (near in _SP_CHARS and _plain_word_after(text, end))
        ):
            num.unit = prefix
            return num  # a mark, or a space and a word, that nothing below matches
        matched_after_atom = False
        more = _MORE.match(text, end) if kind != "words" and near in "多余" else None
        if more:
            num.more, end = True, more.end()
        scale_match = None
        near = text[end : end + 1]  # the first character decides which expressions can match
        if kind == "digits" or (kind == "cn" and num.more and num.scale is None):
            scale_match = _CHINESE_SCALE.match(text, end) if near in "万亿千十百 \t" else None
        if scale_match is None and kind != "cn" and near in _ENGLISH_SCALE_FIRST:
            scale_match = _ENGLISH_SCALE.match(text, end)
        if scale_match is not None:
            word = scale_match.group("s").lower()
            num.scale = prod(_SCALES[w] for w in (word.split() if word[0].isascii() else word))
            num.value *= num.scale
            end, matched_after_atom = scale_match.end(), True
        if not num.more and kind != "words" and text[end : end + 1] in ("多", "余"):
            more = _MORE.match(text, end)
            if more:
                num.more, end = True, more.end()
        if text.startswith("级", end):
            if num.scale is None and num.value < 1000:
                return end + 1  # "三级": a grade, not a quantity
            num.level, end = True, end + 1
        num.unit = prefix
        near = text[end : end + 1]
        unit_match = None
        if kind != "cn" and near in _ENGLISH_UNIT_FIRST:
            unit_match = _ENGLISH_UNIT.match(text, end)
        if unit_match is None and kind != "words" and near in _CHINESE_UNIT_FIRST:
            unit_match = _CHINESE_UNIT.match(text, end)
        if unit_match is not None:
            group = unit_match.lastgroup
            if group == "sign":
                group = "percent"
            if group == "date":
                small = num.scale is None and not num.more and num.value == int(num.value)
                highest = 12 if unit_match.group().strip() == "月" else 31
                if small and 1 <= num.value <= highest:
                    return unit_match.end()  # a month or a day
                group = "measure"
            if group == "nian":
                if num.plain4 and not num.more:
                    num.year = True
                group = None if num.year else "measure"
            if group in ("CNY", "USD") and prefix not in (None, group):
                group = None
            if group is not None or num.year:
                num.unit = group or num.unit
                end, matched_after_atom = unit_match.end(), True
        glued = text[num.atom_end : num.atom_end + 1]
        if kind == "digits" and not matched_after_atom and glued.isascii() and glued.isalpha():
            return num.atom_end  # 3D, 5G, 14th
        hyphen = text[end : end + 2]
        if len(hyphen) == 2 and hyphen[0] in "-‐‑" and hyphen[1].isascii() and hyphen[1].isalpha():
            return end + 1  # a compound word: five-year, 3-year, one-stop
        if num.unit is not None or num.scale is not None or num.more or num.level:
            num.plain4 = False
        if num.plain4 and not num.year:
            nxt = text[end : end + 1]
            if "\u4e00" <= nxt <= "\u9fff" and nxt not in "至到":
                num.plain4 = False  # 2000吨: a count
        if not num.level and num.scale is not None and text.startswith("级", end):
            num.level, end = True, end + 1  # 百亿元级
        after = _AFTER.match(text, end) if text[end : end + 1] in _AFTER_FIRST else None
        if after is not None and not num.year and after.lastgroup is not None:
            num.after = after.lastgroup.removeprefix("cn_")
            end = after.end()
        if kind == "cn" and not num.validated:
            attached = num.unit is not None or num.year or bool(num.after) or num.more or num.level
            num.validated = attached or _CHINESE_FOLLOW.match(text, end) is not None
        num.end = end
        return num

    # -- a whole quantity ---------------------------------------------------------------------

    def quantity_at(self, p: int, previous_end: int) -> Quantity | _SKIP:
        text = self.text
        prefix: str | None = None
        lead = p
        percent_of = text.startswith("百分之", p)
        if percent_of:
            p += 3
            if p == len(text):
                return p  # "百分之" ends the passage: no number follows it
        elif text[p] in _DIGIT_CHARS and _char_before(text, p) in _PREFIX_LAST:
            prefix_match = _PREFIX_BEFORE.search(text, max(previous_end, p - 8), p)
            if prefix_match is not None:
                prefix, lead = prefix_match.lastgroup, prefix_match.start()
        num = self.read(p, lead, prefix, after_sep=percent_of)
        if isinstance(num, int):
            return num
        if percent_of:
            if num.unit is not None:
                return num.end
            num.unit, num.validated, num.plain4 = "percent", True, False
        high = None
        if num.value_max is not None:
            if not num.validated:
                return num.end
            high = replace(num, value=num.value_max, value_max=None)
        elif not (num.more or num.after or num.level or num.iso_date):
            high = self.range_end(num)
        if high is None and not num.validated:
            return num.end
        return self.build(num, high, previous_end)

    def range_end(self, low: _Num) -> _Num | None:
        """The upper end when a range separator and a second, compatible number follow."""
        text = self.text
        sep = _RANGE_SEP.match(text, low.end)
        if sep is None or sep.end() >= len(text):
            return None
        word = (sep.group("word") or "").lower()
        start = sep.end()
        prefix_match = _PREFIX_AFTER.match(text, start)
        prefix = prefix_match.lastgroup if prefix_match else None
        atom = prefix_match.end() if prefix_match else start
        if atom >= len(text) or not _START.match(text, atom):
            return None
        if text.startswith("百分之", atom):
            return None
        high = self.read(atom, start, prefix, after_sep=True)
        if isinstance(high, int) or high.more or high.value_max is not None:
            return None
        if not ((low.validated and high.validated) or low.kind == high.kind == "cn"):
            return None
        if word == "and" and not (
            _char_before(text, low.lead) == "n"
            and _BETWEEN.search(text, max(0, low.lead - 10), low.lead)
        ):
            return None
        low_year = low.plain4 or low.year
        high_year = (high.plain4 or high.year) and high.unit is None
        if low_year and high_year:
            if word == "or" or high.value <= low.value:
                return None
            high.year = True
            return high
        if low_year and sep.group("dash") and high.kind == "digits" and high.unit is None:
            digits = text[high.atom_start : high.atom_end]
            century = low.value // 100 * 100
            if len(digits) == 2 and digits.isdigit() and century + high.value > low.value:
                high.value, high.year = century + high.value, True
                return high
        if high_year or low.year:
            return None
        if (word in ("to", "through") or sep.group("cn")) and _FROM.search(
            text, max(0, low.lead - 8), low.lead
        ):
            return None  # "from 3 to 5": a change, not a range
        if low.unit is not None and high.unit is not None and low.unit != high.unit:
            return None
        value = low.value
        if low.scale is None and high.scale is not None:
            value *= high.scale
        if value >= high.value:
            return None
        low.value, low.plain4 = value, False
        low.unit = low.unit or high.unit
        return high

    def build(self, low: _Num, high: _Num | None, previous_end: int) -> Quantity:
        text = self.text
        start = low.lead
        end = (high or low).end
        if high is not None and _char_before(text, low.lead) == "n":
            between = _BETWEEN.search(text, max(previous_end, low.lead - 10), low.lead)
            if between is not None:
                start = between.start()
        unit = "year" if low.year or (low.plain4 and (high is None or high.year)) else low.unit
        if unit is None or unit == "measure":
            unit = "count"
        qualifier = "exactly"
        if high is not None:
            qualifier = "range"
        elif unit != "year" and _char_before(text, start) in _QUALIFIER_LAST:
            before = _qualifier_before(text, max(previous_end, start - 40), start)
            if before is not None and before.lastgroup is not None:
                word = before.group().lower()
                top = word.startswith("top")
                about = word.startswith(("around", "about"))
                window = max(0, before.start() - 14)
                if not (top and _NOT_TOP.search(text, window, before.start())) and not (
                    about and _NOT_ABOUT.search(text, window, before.start())
                ):
                    qualifier = before.lastgroup.removeprefix("cn_")
                    start = before.start()
        if qualifier == "exactly" and unit != "year":
            if low.more:
                qualifier = "more_than"
            elif low.after:
                qualifier = low.after
            elif low.level:
                qualifier = "at_least"
        # (not Quantity(...): the frozen __init__'s object.__setattr__ calls are slow)
        quantity = object.__new__(Quantity)
        quantity.__dict__.update(
            value=float(low.value),
            value_max=None if high is None else float(high.value),
            unit=unit,
            qualifier=qualifier,
            strive=bool(self.strive_at or self.lead_ins or not self.strive_known)
            and self.strive(low.lead),
            start=start,
            end=end,
            text=text[start:end],
        )
        return quantity


def find_quantities(passage: str) -> list[Quantity]:
    """Every quantity the passage states, in order of position.

    >>> [q.describe() for q in find_quantities("到2027年，产业规模力争突破1.2万亿元。")]
    ['2027', 'more than 1.2 trillion yuan']
    >>> q = find_quantities("The plan aims for more than 230 billion yuan by 2025.")[0]
    >>> q.value, q.unit, q.qualifier, q.strive, q.text
    (230000000000.0, 'CNY', 'more_than', False, 'more than 230 billion yuan')
    >>> [(q.value, q.value_max, q.unit) for q in find_quantities("three to four parks (2025-2027)")]
    [(3.0, 4.0, 'count'), (2025.0, 2027.0, 'year')]
    """
    return _Scanner(passage).run()


# ---------------------------------------------------------------------------------------------
# Years named only relative to the text's date

# The characters those words can start with, tested first, so that most positions of a passage
# fail at once (36 µs instead of 102 on each distinct quote of 100,000 synthetic targets).
_RELATIVE_YEAR_FIRST = f"tTcCwWnNlLJFMASOND{_D}一二三四五六七八九十今本当去明上年"
_RELATIVE_YEAR = re.compile(
    rf"(?=[{_RELATIVE_YEAR_FIRST}])(?:"
    r"(?i:(?<![A-Za-z])(?:this\s+year|the\s+current\s+year|current\s+year|within\s+the\s+year"
    r"|next\s+year|last\s+year)(?![A-Za-z]))"
    r"|(?<!如)今年内?|(?<![基成资日根样版文账脚剧])本年度?(?!均)|(?<![相应适担充])当年"
    r"|(?<![过失除])去年|(?<![文说证表发光透聪简鲜])明年|(?<!以)上年度?"
    rf"|(?<![{_D}{_CN_CHARS}多余数几本当今明去上])年内"
    # a month and a day, English (month names capitalized), with no year after them
    rf"|(?<![A-Za-z]){_MONTHS}\.?{_SP}+(?:[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?(?![0-9A-Za-z])"
    rf"(?!{_SP}*,?{_SP}*(?:19|20)[0-9]{{2}}(?![0-9]))"
    rf"|(?<![0-9A-Za-z.])(?:[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?{_SP}+(?:of{_SP}+)?{_MONTHS}"
    rf"(?![A-Za-z])(?!\.?{_SP}*,?{_SP}*(?:19|20)[0-9]{{2}}(?![0-9]))"
    # and Chinese, with no year before them (今年3月11日 is relative, 2022年3月11日 is not)
    rf"|(?<![{_D}{_CN_YEAR_DIGITS}]年)(?<![{_D}{_CN_CHARS}])(?:[{_D}]{{1,2}}|[一二三四五六七八九十]{{1,3}})月"
    rf"(?:[{_D}]{{1,2}}|[一二三四五六七八九十]{{1,3}})[日号]"
    r")"
)


def relative_years(passage: str) -> list[tuple[int, int]]:
    """Spans of words that name a year only relative to the text's date.

    "this year", "the current year", "within the year", "next year", "last year", "今年",
    "本年", "当年", "年内", "明年", "去年", "上年"; also a month and day written with no year
    ("Nov 12", "12 March", "3月11日"). Spans are (start, end) offsets, in order.

    >>> text = "今年3月11日发布，by Nov 12 this year"
    >>> [text[a:b] for a, b in relative_years(text)]
    ['今年', '3月11日', 'Nov 12', 'this year']
    """
    return [match.span() for match in _RELATIVE_YEAR.finditer(passage)]
