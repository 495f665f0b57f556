"""Provenance rules: archived source files are where ``sources`` says, unchanged, and quoted.

Each source file is read once (bounded by the size limit) and hashed; its text, with every run of
whitespace collapsed to one space, is searched with ``in`` for each distinct quote citing it.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cnplans.datapackage import file_kind, resolve_inside
from cnplans.validation.context import PackageContext, TextTable, has, row_slices
from cnplans.validation.problems import Problem, cut
from cnplans.validation.reading import file_too_large

# Literal characters (not escapes) so Python's re and pyarrow's RE2 agree on what whitespace is.
WHITESPACE = "[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
MAX_SUGGESTIONS = 200  # closest-passage searches per run; later failures get a shorter message
# The closest-passage search (difflib) grows with the quote's length times the text's: it is
# skipped, saying so, for a quote longer than SUGGESTED_QUOTE_CHARS or a larger product (about
# a second at the limit), and stops for the run after SUGGESTION_SECONDS in all.
SUGGESTED_QUOTE_CHARS = 1_000
SUGGESTED_WORK = 50_000_000  # quote characters times text characters
SUGGESTION_SECONDS = 10.0
EXCERPT_CHARS = 240
WORD_CHARS = 20  # how far a closest passage may be widened to reach whole words
MARK_CONTEXT_WORDS = 4  # shared words shown either side of a marked difference
MARK_CONTEXT_CHARS = 8  # the same, in characters, for text written without spaces
MARKS = "words in [- -] are the source's, in {+ +} the quote's"
Opcode = tuple[str, int, int, int, int]  # difflib.SequenceMatcher.get_opcodes()


def normalize_whitespace(text: str) -> str:
    """``text`` with every run of whitespace collapsed to one space."""
    # str.split() splits on exactly the characters of WHITESPACE, and is several times faster.
    words = text.split()
    joined = " ".join(words)
    if words and text[0].isspace():
        joined = " " + joined
    if text[-1:].isspace():
        joined += " "
    return joined


@dataclass
class SourceFile:
    """One archived source as found on disk."""

    source_id: str
    path: str
    line: int  # line of its row in sources.csv
    text: str | None  # whitespace-normalized text, None when unreadable
    sha256: str | None  # digest of the file's bytes, None when unreadable


def _read_sources(
    context: PackageContext, sources: TextTable
) -> tuple[dict[str, SourceFile], list[Problem]]:
    """Read each listed source file once; problems for files that are missing or unusable."""
    problems: list[Problem] = []
    files: dict[str, SourceFile] = {}
    real_dirs: dict[str, str] = {}  # folders resolved once for all the files
    for line, source_id, path in sources.raw[["source_id", "path"]].itertuples(name=None):
        entry = SourceFile(str(source_id), str(path), int(line), None, None)
        files.setdefault(entry.source_id, entry)
        if not path:
            continue
        file, reason = resolve_inside(context.root, str(path), real_dirs)
        try:
            status = None if file is None else os.stat(file)
        except OSError:
            status = None
        kind = None if status is None else file_kind(status.st_mode)
        if file is None:
            rule, message = "unsafe-path", f"{path!r}: {reason}"
        elif status is None:
            rule = "missing-file"
            message = f"the source file {path} does not exist; expected the archived text there"
        elif kind is not None:
            rule = "unreadable-file"
            message = f"the source file {path} is {kind}; expected the archived text, a file"
        if file is None or status is None or kind is not None:
            problems.append(Problem(sources.path, int(line), "path", rule, message))
            continue
        if status.st_size > context.max_file_bytes:
            problems.append(file_too_large(str(path), status.st_size, context.max_file_bytes))
            continue
        try:
            data = file.read_bytes()
        except OSError as error:
            problems.append(
                Problem(str(path), None, None, "unreadable-file", f"cannot be read: {error}")
            )
            continue
        entry.sha256 = hashlib.sha256(data).hexdigest()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            bad_line = data.count(b"\n", 0, error.start) + 1
            message = f"the source text is not valid UTF-8 (line {bad_line}); expected UTF-8 text"
            problems.append(Problem(str(path), bad_line, None, "encoding", message))
            continue
        problems.extend(_control_characters(str(path), text))
        entry.text = normalize_whitespace(text.removeprefix("\ufeff"))
    return files, problems


def _control_characters(path: str, text: str) -> list[Problem]:
    """The first control character of a source text (NUL, ESC, ...: not tab or line ends)."""
    from cnplans.validation.sanity import CONTROL

    found = CONTROL.search(text)
    if found is None:
        return []
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    character = found.group()
    message = (
        f"the source text holds the control character {character!r} "
        f"(U+{ord(character):04X}) at character {column} of the line; expected plain text "
        "(archive the article's words only)"
    )
    return [Problem(path, line, None, "control-character", message)]


def source_files(context: PackageContext) -> tuple[dict[str, SourceFile], list[Problem]]:
    """The package's source files by source_id, read once per validation run.

    Listed by the text of ``sources`` (read early, whether or not its schema turns out usable:
    the checks skip the files when the table is not loaded).
    """
    if context.source_files is None:
        sources = context.texts.get("sources")
        if sources is None or not all(c in sources.raw.columns for c in ("source_id", "path")):
            context.source_files = ({}, [])
        else:
            context.source_files = _read_sources(context, sources)
    return context.source_files


def source_paths(context: PackageContext) -> Iterator[Problem]:
    """``sources.path`` is ``sources/<source_id>.txt``."""
    sources = context.table("sources")
    if not has(sources, "source_id", "path"):
        return
    expected = "sources/" + sources.raw["source_id"] + ".txt"
    wrong = sources.raw["path"] != expected
    for line, path in sources.cells(wrong, "path"):
        yield sources.problem(
            line, "path", "source-path", f"expected {expected.loc[line]!r}; found {path!r}"
        )


def source_hashes(context: PackageContext) -> Iterator[Problem]:
    """Each source file is readable, and ``sources.sha256`` matches its bytes."""
    sources = context.table("sources")
    if sources is None:
        return  # the table's own problems are reported; its files are not checked
    files, problems = source_files(context)
    yield from problems
    if not has(sources, "source_id", "sha256", "path"):
        return
    actual = sources.raw["source_id"].map({k: v.sha256 for k, v in files.items()})
    listed = sources.raw["sha256"]
    differs = actual.notna() & (listed != actual)
    for line, path in sources.cells(differs, "path"):
        yield sources.problem(
            line,
            "sha256",
            "source-hash",
            f"the bytes of {path} have SHA-256 {actual.loc[line]}; "
            f"expected the listed {listed.loc[line]!r}. The file changed since it was "
            "archived, or the digest is wrong",
        )


def closest_passage(text: str, quote: str) -> str:
    """The passage of ``text`` most like ``quote`` (same length, aligned on the longest match),
    cut to :data:`EXCERPT_CHARS` characters ("..." at the end)."""
    start, end = _closest_bounds(text, quote)
    return cut(text[start:end], EXCERPT_CHARS).strip()


def _closest_bounds(text: str, quote: str) -> tuple[int, int]:
    """Where the passage :func:`closest_passage` shows starts and ends in ``text``."""
    matcher = difflib.SequenceMatcher(None, text, quote, autojunk=False)
    match = matcher.find_longest_match(0, len(text), 0, len(quote))
    start = max(0, match.a - match.b)
    best, best_ratio = start, -1.0
    step = max(1, len(quote) // 8)
    for candidate in range(max(0, start - len(quote) // 2), start + len(quote) // 2 + 1, step):
        window = text[candidate : candidate + len(quote)]
        ratio = difflib.SequenceMatcher(None, window, quote, autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    start, end = best, min(len(text), best + len(quote))
    # Widen to whole words (a little), so the passage does not end in the middle of one.
    while start > 0 and not text[start - 1].isspace() and best - start < WORD_CHARS:
        start -= 1
    while end < len(text) and not text[end].isspace() and end - best - len(quote) < WORD_CHARS:
        end += 1
    return start, end


def _elided(tokens: list[str], first: bool, last: bool, joiner: str) -> str:
    """A run of tokens both texts share, cut to its ends next to a difference ("..." between)."""
    if first and last:
        return joiner.join(tokens)  # nothing differs
    keep = MARK_CONTEXT_WORDS if joiner else MARK_CONTEXT_CHARS
    head = [] if first else tokens[:keep]
    tail = [] if last else tokens[-keep:]
    if len(tokens) <= len(head) + len(tail) + 1:
        return joiner.join(tokens)
    return joiner.join([*head, "...", *tail])


def marked_difference(passage: str, quote: str, limit: int = EXCERPT_CHARS) -> str:
    """Where ``quote`` differs from ``passage``, word by word: ``[-passage's-] {+quote's+}``.

    Words are split on whitespace; text mostly in Chinese characters (written without spaces)
    is compared character by character instead. The passage's words beyond the quote's ends
    are left out; what both share is cut to a few words either side of each difference ("..."
    stands for the rest), and the whole to about ``limit`` characters. The notation is that of
    ``git diff --word-diff=plain``.
    """
    letters = [c for c in passage + quote if not c.isspace()]
    wide = sum(unicodedata.east_asian_width(c) in ("W", "F") for c in letters)
    by_character = wide * 4 >= len(letters) > 0  # mostly Chinese (Japanese): without spaces
    joiner = "" if by_character else " "
    passage = _quote_extent(passage, quote, by_character)
    old = list(passage) if by_character else passage.split()
    new = list(quote) if by_character else quote.split()
    opcodes = _inner(difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes())
    pieces: list[str] = []
    for number, (tag, a, b, c, d) in enumerate(opcodes):
        if tag == "equal":
            pieces.append(_elided(old[a:b], number == 0, number == len(opcodes) - 1, joiner))
            continue
        if b > a:  # in marks, the text inside cut to a third of the limit
            pieces.append("[-" + cut(joiner.join(old[a:b]), limit // 3) + "-]")
        if d > c:
            pieces.append("{+" + cut(joiner.join(new[c:d]), limit // 3) + "+}")
    kept: list[str] = []  # as many whole pieces as fit in about ``limit`` characters
    size = 0
    for piece in pieces:
        if kept and size + len(piece) > limit:
            kept.append("...")
            break
        kept.append(piece)
        size += len(piece) + len(joiner)
    return joiner.join(kept)


def _quote_extent(passage: str, quote: str, by_character: bool) -> str:
    """The part of ``passage`` the quote spans, so that its words beyond are not marked.

    Where the quote's first word (last word; or character, for text without spaces) is the
    passage's, the passage is cut right there: a quote may start or end inside a word, before
    a full stop. Where it differs, at the start (end) of the passage's word: it is marked whole.
    """
    words = quote.split()
    if not words:
        return passage
    blocks = difflib.SequenceMatcher(None, passage, quote, autojunk=False).get_matching_blocks()
    blocks = [block for block in blocks if block.size]
    if not blocks:
        return passage
    first, last = blocks[0], blocks[-1]
    start = max(0, first.a - first.b)
    if first.b or first.size < (1 if by_character else len(words[0])):
        while start > 0 and not passage[start - 1].isspace():
            start -= 1
    rest = len(quote) - last.b - last.size
    end = min(len(passage), last.a + last.size + rest)
    if rest or last.size < (1 if by_character else len(words[-1])):
        while end < len(passage) and not passage[end].isspace():
            end += 1
    return passage[start:end].strip()


def _inner(opcodes: Sequence[Opcode]) -> list[Opcode]:
    """The opcodes without the passage's words before the quote's first and after its last.

    A quote may begin and end anywhere in its source: words the passage has beyond the quote's
    ends are not differences to fix. When the quote's first (last) words differ, as many of the
    passage's words as the quote has there are marked, the nearest to what they share.
    """
    inner = list(opcodes)
    if not inner:
        return inner  # two empty texts
    while len(inner) > 1 and inner[0][0] == "delete":
        inner.pop(0)
    while len(inner) > 1 and inner[-1][0] == "delete":
        inner.pop()
    tag, a, b, c, d = inner[0]
    if tag == "replace" and b - a > d - c:
        inner[0] = (tag, b - (d - c), b, c, d)
    tag, a, b, c, d = inner[-1]
    if tag == "replace" and b - a > d - c:
        inner[-1] = (tag, a, a + (d - c), c, d)
    return inner


def passage_and_marks(text: str, quote: str) -> tuple[str, str]:
    """The closest passage of ``text`` to ``quote`` (as :func:`closest_passage` shows it), and
    where the quote differs from it (:func:`marked_difference`).

    The differences are looked for in the whole passage and a few words around it (it is
    aligned in steps of an eighth of the quote, so it may stop a word short of the quote's).
    """
    start, end = _closest_bounds(text, quote)
    margin = len(quote) // 8 + WORD_CHARS
    wider = text[max(0, start - margin) : end + margin]
    passage = cut(text[start:end], EXCERPT_CHARS).strip()
    return passage, marked_difference(wider.strip(), quote)


def quote_suggestion(text: str, quote: str) -> str:
    """The end of the message about ``quote``, not in ``text``: the closest passage, marked.

    Not looked for (saying so) when the quote or the text is too long for a search of about a
    second (:data:`SUGGESTED_QUOTE_CHARS`, :data:`SUGGESTED_WORK`).
    """
    if len(quote) > SUGGESTED_QUOTE_CHARS:
        return (
            f"; the quote has {len(quote):,} characters, more than the "
            f"{SUGGESTED_QUOTE_CHARS:,} a closest passage is looked for: quote the passage "
            "that states the row"
        )
    if len(quote) * len(text) > SUGGESTED_WORK:
        return "; the source is too long to look for the closest passage of a quote this long"
    passage, marks = passage_and_marks(text, quote)
    return (
        f"; the closest passage in the source is: “{passage}”; the quote differs from it here "
        f"({MARKS}): {marks}"
    )


def absent_quotes(
    texts: Mapping[str, str | None], source_ids: pd.Series, quotes: pd.Series
) -> np.ndarray:
    """Which rows' quotes are not in their source's whitespace-normalized text (False for an
    empty quote or source id, or a source without text), each distinct (source, quote) pair of
    a slice of rows (:func:`~cnplans.validation.context.row_slices`) searched once."""
    absent = np.zeros(len(quotes), dtype=bool)
    for rows in row_slices(len(quotes)):
        found: dict[tuple[str, str], bool] = {}
        pairs = zip(source_ids.iloc[rows].tolist(), quotes.iloc[rows].tolist(), strict=True)
        for row, (source_id, quote) in enumerate(pairs, rows.start):
            text = texts.get(source_id) if source_id and isinstance(source_id, str) else None
            if text is None or not isinstance(quote, str) or not quote:
                continue
            key = (source_id, quote)
            if key not in found:
                found[key] = normalize_quote(quote) in text
            absent[row] = not found[key]
    return absent


def normalize_quote(quote: str) -> str:
    """A quote as it is searched for: whitespace runs collapsed, ends trimmed."""
    return normalize_whitespace(quote).strip()


def quotes_in_sources(context: PackageContext) -> Iterator[Problem]:
    """Every quote occurs in its source's text, whitespace runs collapsed on both sides."""
    if context.table("sources") is None:
        return  # the table's own problems are reported; no quote can be checked
    files, _ = source_files(context)
    texts = {source_id: file.text for source_id, file in files.items()}
    suggestions = 0
    deadline = time.monotonic() + SUGGESTION_SECONDS
    for table in context.tables.values():
        if not all(c in table.raw.columns for c in ("source_id", "quote")):
            continue
        missing = table.raw["quote"][
            absent_quotes(texts, table.raw["source_id"], table.raw["quote"])
        ]
        for line, quote in zip(missing.index.tolist(), missing.tolist(), strict=True):
            source = files[table.text(line, "source_id")]
            message = (
                f"expected this quote verbatim in {source.path} (whitespace may differ), "
                "but it is not there"
            )
            if source.text is None or suggestions >= MAX_SUGGESTIONS:
                pass
            elif time.monotonic() > deadline:
                message += f"; no closest passage is shown after {SUGGESTION_SECONDS:g} s of them"
            else:
                suggestions += 1
                message += quote_suggestion(source.text, normalize_quote(str(quote)))
            yield table.problem(line, "quote", "quote-not-in-source", message)
