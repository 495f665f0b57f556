"""Provenance rules: archived source files are where ``sources`` says, unchanged, and quoted.

Each source file is read once (bounded by the size limit) and hashed; its text, with every run of
whitespace collapsed to one space, is searched for the quotes of all rows citing it. Rows are
grouped by source, and each distinct quote is looked up once, so the cost grows with the
number of distinct quotes, not with tables times sources.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cnplans.validation.context import PackageContext, Table
from cnplans.validation.package import resolve_inside
from cnplans.validation.problems import Problem
from cnplans.validation.reading import BOM
from cnplans.validation.registry import register_check

# Literal characters (not escapes) so Python's re and pyarrow's RE2 agree on what whitespace is.
WHITESPACE = "[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
CACHE_KEY = "provenance:sources"
MAX_SUGGESTIONS = 200  # closest-passage searches per run; later failures get a shorter message
EXCERPT_CHARS = 240


def normalize_whitespace(text: str) -> str:
    """``text`` with every run of whitespace collapsed to one space."""
    return re.sub(WHITESPACE, " ", text)


@dataclass
class SourceFile:
    """One archived source as found on disk."""

    source_id: str
    path: str
    line: int  # line of its row in sources.csv
    text: str | None  # whitespace-normalized text, None when unreadable
    sha256: str | None  # digest of the file's bytes, None when unreadable


def _read_sources(
    context: PackageContext, sources: Table
) -> tuple[dict[str, SourceFile], list[Problem]]:
    """Read each listed source file once; problems for files that are missing or unusable."""
    problems: list[Problem] = []
    files: dict[str, SourceFile] = {}
    for line, source_id, path in sources.raw[["source_id", "path"]].itertuples(name=None):
        entry = SourceFile(str(source_id), str(path), int(line), None, None)
        files.setdefault(entry.source_id, entry)
        if not path:
            continue
        file, reason = resolve_inside(context.root, str(path))
        if file is None:
            problems.append(
                Problem(sources.path, int(line), "path", "unsafe-path", f"{path!r}: {reason}")
            )
            continue
        if not file.is_file():
            problems.append(
                Problem(
                    sources.path,
                    int(line),
                    "path",
                    "missing-file",
                    f"the source file {path} does not exist; expected the archived text there",
                )
            )
            continue
        size = file.stat().st_size
        if size > context.max_file_bytes:
            problems.append(
                Problem(
                    str(path),
                    None,
                    None,
                    "file-too-large",
                    f"the file has {size:,} bytes, more than the limit of "
                    f"{context.max_file_bytes:,} bytes; raise it with --max-file-size-mb",
                )
            )
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
            problems.append(
                Problem(
                    str(path),
                    bad_line,
                    None,
                    "encoding",
                    f"the source text is not valid UTF-8 (line {bad_line}); expected UTF-8 text",
                )
            )
            continue
        if data.startswith(BOM):
            text = text[1:]
        entry.text = normalize_whitespace(text)
    return files, problems


def source_files(context: PackageContext) -> tuple[dict[str, SourceFile], list[Problem]]:
    """The package's source files by source_id, read once per validation run."""
    if CACHE_KEY not in context.cache:
        sources = context.table("sources")
        if sources is None or not all(c in sources.raw.columns for c in ("source_id", "path")):
            context.cache[CACHE_KEY] = ({}, [])
        else:
            context.cache[CACHE_KEY] = _read_sources(context, sources)
    files, problems = context.cache[CACHE_KEY]
    return files, problems


@register_check
def source_paths(context: PackageContext) -> Iterator[Problem]:
    """``sources.path`` is ``sources/<source_id>.txt``."""
    sources = context.table("sources")
    if sources is None or not all(c in sources.raw.columns for c in ("source_id", "path")):
        return
    expected = "sources/" + sources.raw["source_id"] + ".txt"
    wrong = sources.raw["path"] != expected
    for line, path in sources.cells(wrong, "path"):
        yield Problem(
            sources.path,
            line,
            "path",
            "source-path",
            f"expected {expected.loc[line]!r}; found {path!r}",
        )


@register_check
def source_hashes(context: PackageContext) -> Iterator[Problem]:
    """Each source file is readable, and ``sources.sha256`` matches its bytes."""
    files, problems = source_files(context)
    yield from problems
    sources = context.table("sources")
    if sources is None or "sha256" not in sources.raw.columns:
        return
    actual = sources.raw["source_id"].map({k: v.sha256 for k, v in files.items()})
    listed = sources.raw["sha256"]
    differs = actual.notna() & (listed != actual)
    for line, path in sources.cells(differs, "path"):
        yield Problem(
            sources.path,
            line,
            "sha256",
            "source-hash",
            f"the bytes of {path} have SHA-256 {actual.loc[line]}; "
            f"expected the listed {listed.loc[line]!r}. The file changed since it was "
            "archived, or the digest is wrong",
        )


def closest_passage(text: str, quote: str) -> str:
    """The passage of ``text`` most like ``quote`` (same length, aligned on the longest match)."""
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
    passage = text[best : best + len(quote)]
    if len(passage) > EXCERPT_CHARS:
        passage = passage[: EXCERPT_CHARS - 3] + "..."
    return passage.strip()


def _missing_quotes(table: Table, files: dict[str, SourceFile]) -> pd.Series:
    """Quotes of ``table`` that are not in their source's text, indexed by line.

    Each distinct (source, quote) pair is searched once, first as it is (most quotes already
    have single spaces) and only if absent with its whitespace collapsed; the pairs come from
    factorizing the two columns, so no row is visited in Python.
    """
    raw = table.raw
    quote_codes, quotes = pd.factorize(raw["quote"])
    source_codes, source_ids = pd.factorize(raw["source_id"])
    pairs = source_codes.astype(np.int64) * max(len(quotes), 1) + quote_codes
    distinct = np.unique(pairs)
    quote_list = [str(q) for q in quotes]
    texts = [files[str(s)].text if str(s) in files else None for s in source_ids]
    absent = []
    for pair in distinct.tolist():
        source_code, quote_code = divmod(pair, max(len(quotes), 1))
        text = texts[source_code]
        quote = quote_list[quote_code]
        if text is None or not quote or not str(source_ids[source_code]):
            continue  # an unknown source is a foreign-key problem, an empty cell a required one
        if quote.strip() not in text and normalize_quote(quote) not in text:
            absent.append(pair)
    if not absent:
        return pd.Series([], dtype="string")
    missing = np.isin(pairs, np.asarray(absent, dtype=np.int64))
    return raw["quote"][missing]


def normalize_quote(quote: str) -> str:
    """A quote as it is searched for: whitespace runs collapsed, ends trimmed."""
    return normalize_whitespace(quote).strip()


@register_check
def quotes_in_sources(context: PackageContext) -> Iterator[Problem]:
    """Every quote occurs in its source's text, whitespace runs collapsed on both sides."""
    files, _ = source_files(context)
    suggestions = 0
    for table in context.tables.values():
        if not all(c in table.raw.columns for c in ("source_id", "quote")):
            continue
        missing = _missing_quotes(table, files)
        for line, quote in zip(missing.index.tolist(), missing.tolist(), strict=True):
            source = files[table.text(line, "source_id")]
            message = (
                f"expected this quote verbatim in {source.path} (whitespace may differ), "
                "but it is not there"
            )
            if suggestions < MAX_SUGGESTIONS and source.text is not None:
                suggestions += 1
                passage = closest_passage(source.text, normalize_quote(str(quote)))
                message += f"; the closest passage in the source is: “{passage}”"
            yield Problem(table.path, line, "quote", "quote-not-in-source", message)
