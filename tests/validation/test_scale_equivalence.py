"""The vectorized paths give exactly what the plain ones give, on inputs chosen to be awkward.

Each fast path (built for millions of rows) is compared with a row-by-row reference on random
and edge-case inputs: the quote search with ``in``, the blockwise line scan with the ``csv``
module, the byte-level number parsing with the regular expressions it replaces, and the column
helpers with pandas. (The stale-derived-value check is compared row by row in
``tests/test_convert.py``.)
"""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cnplans.datapackage.table_schema import Field
from cnplans.validation import context, reading
from cnplans.validation.conversion import INTEGER, NUMBER, YEAR, convert_column
from cnplans.validation.package import resolve_inside
from cnplans.validation.provenance import (
    WHITESPACE,
    absent_quotes,
    normalize_quote,
    normalize_whitespace,
)
from cnplans.validation.rows import proven_unique
from cnplans.validation.vectorized import full_match, is_in, length_within, match_at_start

# --- quotes in their sources ------------------------------------------------------------------


@pytest.mark.parametrize("rows_at_a_time", [7, 1 << 14])
def test_quote_search_matches_in_for_awkward_quotes(
    rows_at_a_time: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context, "ROWS_AT_A_TIME", rows_at_a_time)  # slices of 7: many edges
    rng = random.Random(5)
    words = ["alpha", "beta", "gamma", "delta", "épsilon", "数据", "ζ", "x", "aaaa", "aaaa"]
    texts: dict[str, str | None] = {}
    for i in range(40):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 400)))
        texts[f"s{i}"] = normalize_whitespace(text + rng.choice(["", "\n", "  \t"]))
    texts["repetitive"] = normalize_whitespace("aaaa " * 3000 + "end of the aaaa text")
    texts["none"] = None
    texts[""] = "an empty id is never checked"
    sources, quotes = [], []
    for _ in range(6000):
        source = rng.choice([*texts, "unknown"])
        text = texts.get(source) or "some words to cut from"
        start = rng.randint(0, max(0, len(text) - 1))
        quote = text[start : start + rng.randint(0, 120)]
        shape = rng.random()
        if shape < 0.1:
            quote = quote[:-1] + "#"
        elif shape < 0.2:
            quote = "  " + quote.replace(" ", "\n\t ", 2) + " \u3000"
        elif shape < 0.25:
            quote = quote.replace(" ", "\u00a0")
        elif shape < 0.3:
            quote = rng.choice(["", " ", "\t", "ab", "aaaa aaaa aaaa aaaa aaaa aaaa"])
        sources.append(source)
        quotes.append(quote)
    mask = absent_quotes(texts, pd.Series(sources, dtype="str"), pd.Series(quotes, dtype="str"))
    expected = [
        bool(texts.get(s)) and bool(q) and bool(s)
        and q.strip() not in str(texts[s]) and normalize_quote(q) not in str(texts[s])
        for s, q in zip(sources, quotes, strict=True)
    ]  # fmt: skip
    assert mask.tolist() == expected
    assert 0 < sum(expected) < len(expected)


def test_whitespace_normalized_as_the_whitespace_pattern_says() -> None:
    spaces = "\t\n\v\f\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2005\u200a"
    spaces += "\u2028\u2029\u202f\u205f\u3000"
    others = "ab数据é\u2010\u2030\u200b\u3001\u1681\xa1\x84\ufeff"  # near misses of the spaces
    rng = random.Random(11)
    texts = [
        "".join(rng.choice(spaces + others) for _ in range(rng.randint(0, 12))) for _ in range(3000)
    ]
    for text in texts:
        assert normalize_whitespace(text) == re.sub(WHITESPACE, " ", text), repr(text)


def test_quote_search_splits_its_answer_by_table() -> None:
    texts: dict[str, str | None] = {"a": "the quick brown fox jumps over the lazy dog", "b": None}
    first = (pd.Series(["a", "a"], dtype="string"), pd.Series(["quick brown fox jumps", "cat"]))
    second = (pd.Series(["b", "a"], dtype="string"), pd.Series(["anything", "lazy dog"]))
    masks = [absent_quotes(texts, *pair) for pair in (first, second)]
    assert [m.tolist() for m in masks] == [[False, True], [False, False]]


# --- the line-by-line reading ----------------------------------------------------------------


def _csv_lines(data: bytes) -> list[int]:
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    next(reader)
    lines, previous = [], reader.line_num
    for _ in reader:
        lines.append(previous + 1)
        previous = reader.line_num
    return lines


@pytest.mark.parametrize("block", [7, 64, 1 << 23])
def test_record_lines_across_scan_blocks(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "_BATCH_ROWS", block)  # rows gathered a few at a time
    rng = random.Random(block)
    cells = ["plain", "", '"quoted, with comma"', '"two\nlines"', '"a ""doubled"" quote"']
    cells += ['"\n"', '"many\n\n\nlines"', "ü"]
    body = "\n".join(",".join(rng.choice(cells) for _ in range(3)) for _ in range(300))
    data = ("a,b,c\n" + body + "\n").encode("utf-8")
    text, problems = reading.parse_csv_bytes(data, "t.csv")
    assert problems == [] and text is not None
    assert text.rows.index.tolist() == _csv_lines(data)


@pytest.mark.parametrize("block", [5, 1 << 23])
@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b'a,b\n1,2\n3,"x\ny"z\n5,6\n', 4, "followed by other characters"),
        (b'a,b\n1,2\n3,4\n5,x"y\n', 4, "inside a cell that does not start"),
        (b'a,b\n1,2\n3,4\n5,"open\n6,7\n', 4, "never closed"),
    ],
)
def test_quoting_errors_across_scan_blocks(
    block: int, data: bytes, line: int, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "_BATCH_ROWS", block)  # rows gathered a few at a time
    text, problems = reading.parse_csv_bytes(data, "t.csv")
    assert text is None
    assert [(p.rule, p.line) for p in problems] == [("csv-syntax", line)]
    assert words in problems[0].message


# --- numbers read from their bytes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "pattern"), [("integer", INTEGER), ("year", YEAR), ("number", NUMBER)]
)
def test_number_parsing_matches_the_regular_expressions(kind: str, pattern: str) -> None:
    rng = random.Random(kind)
    alphabet = "0123456789.+-eE x١"
    cells = ["", "0", "2025", "12345678901234567890", "+5", "-5", "1.", ".5", ".", "1.2.3", "1e5"]
    cells += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    text = pd.Series(cells, dtype="str")
    converted = convert_column(text, Field("f", kind), [""])
    valid = [bool(c) and re.fullmatch(pattern, c) is not None for c in cells]
    assert converted.failed.tolist() == [
        bool(c) and not v for c, v in zip(cells, valid, strict=True)
    ]
    for cell, ok, value in zip(cells, valid, converted.values.tolist(), strict=True):
        if ok:
            assert value == (float(cell) if kind == "number" else int(cell))
        else:
            assert pd.isna(value)


# --- column helpers ---------------------------------------------------------------------------


def test_column_helpers_agree_with_pandas() -> None:
    rng = random.Random(3)
    pool = ["=1", "+a", "-", "@x", "\tq", "\rr", "", "a", "é", "ab-cd", "AB", "x\n", "9"]
    values = pd.Series([rng.choice([*pool, None]) for _ in range(30_000)], dtype="string")
    for pattern in (r"[=+\-@\t\r]", r"[^a-z]", r"\s", "=", r"[a-z]+"):
        at_start = values.str.match(pattern).fillna(False).to_numpy(dtype=bool)
        assert (match_at_start(values, pattern) == at_start).all(), pattern
    distinct = pd.Series([f"id-{i}" if i % 7 else f"ID {i}" for i in range(30_000)], dtype="string")
    for column in (values, distinct):  # repeated values, then (nearly) all different ones
        for pattern in (r"^[a-z0-9]+(-[a-z0-9]+)*$", r"[A-Z]{2}", "a|é", r"(?=a)a"):
            # Python's re decides; RE2 runs unless it cannot compile the pattern (a look-ahead)
            expected = [v is not pd.NA and re.fullmatch(pattern, v) is not None for v in column]
            assert full_match(column, pattern).tolist() == expected, pattern
        for low, high in ((3, None), (None, 1), (1, 2), (0, 0)):
            lengths = column.str.len()
            expected = [
                n is pd.NA or ((low is None or n >= low) and (high is None or n <= high))
                for n in lengths
            ]
            assert length_within(column, low, high).tolist() == expected, (low, high)
    allowed = pd.Series(["a", "9", None, "AB"], dtype="string")
    assert is_in(values, allowed).tolist() == values.isin(allowed.dropna()).fillna(False).tolist()


def test_proven_unique_only_when_sorted_and_distinct() -> None:
    def frame(*columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame({f"c{i}": pd.array(c, dtype="string") for i, c in enumerate(columns)})

    assert proven_unique(frame(["a", "b", "c"]), ["c0"])
    assert not proven_unique(frame(["a", "b", "b"]), ["c0"])  # a duplicate
    assert not proven_unique(frame(["b", "a", "c"]), ["c0"])  # not sorted: not proven
    assert proven_unique(frame(["a", "a", "b"], ["1", "2", "1"]), ["c0", "c1"])
    assert not proven_unique(frame(["a", "a", "b"], ["1", "1", "1"]), ["c0", "c1"])
    assert not proven_unique(frame(["a", "a"], ["2", "1"]), ["c0", "c1"])
    nulls = pd.DataFrame({"c0": pd.array(["a", None], dtype="string")})
    assert not proven_unique(nulls, ["c0"])
    assert not proven_unique(pd.DataFrame({"c0": [1, 2]}), ["c0"])  # not text: not proven


def test_resolve_inside_remembering_folders_gives_the_same_answers(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "sources").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.txt").write_text("x", encoding="utf-8")
    (root / "sources" / "a.txt").write_text("a", encoding="utf-8")
    (root / "sources" / "link.txt").symlink_to(tmp_path / "outside" / "x.txt")
    (root / "linked").symlink_to(tmp_path / "outside")
    (root / "sources" / "inner.txt").symlink_to(root / "sources" / "a.txt")
    paths = ["sources/a.txt", "sources/link.txt", "linked/x.txt", "sources/missing.txt"]
    paths += ["sources/./a.txt", "sources/inner.txt", "../x.txt", "/etc/passwd", "sources/."]
    paths += ["sources/..", "linked", "sources//a.txt", "./sources/a.txt"]
    remembered: dict[str, str] = {}
    for path in paths:
        assert resolve_inside(root, path, remembered) == resolve_inside(root, path), path
    assert np.array([resolve_inside(root, p)[0] is None for p in paths]).sum() == 6


@pytest.mark.parametrize("block", [3, 16, 1 << 23])
def test_streaming_read_gives_what_the_in_memory_read_gives(
    block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "_BATCH_ROWS", block)  # rows gathered a few at a time
    rng = random.Random(block)
    cells = ["plain", "", '"quoted, comma"', '"two\nlines"', '"a ""doubled"" one"', '"\n"', "ü"]
    files = []
    for _ in range(12):
        body = "\n".join(",".join(rng.choice(cells) for _ in range(3)) for _ in range(40))
        files.append(("a,b,c\n" + body + rng.choice(["\n", ""])).encode("utf-8"))
    files += [
        b'a,b\n1,"2"\n"3",4\n',  # quotes at block edges for small blocks
        b"a,b\n1,2\r\n3,4\n",  # a carriage return: the in-memory read reports it
        b"\xef\xbb\xbfa,b\n1,2\n",  # a byte order mark
        b"a,b\n1,2\n\n3,4\n",  # a blank line
        b'a,b\n1,x"y\n',  # a misplaced quote
        b"a,b\n1,2,3\n4,5\n",  # a long row
        b"a,b",  # a header without a line end
        b"\n\n",  # blank
        b"a,b\n1,\xff\n",  # not UTF-8
    ]
    for number, data in enumerate(files):
        path = tmp_path / f"f{number}.csv"
        path.write_bytes(data)
        streamed, streamed_problems = reading.read_csv_text(path, "t.csv", 1 << 30)
        in_memory, problems = reading.parse_csv_bytes(data, "t.csv")
        assert streamed_problems == problems, data
        assert (streamed is None) == (in_memory is None), data
        if streamed is not None and in_memory is not None:
            assert streamed.header == in_memory.header
            pd.testing.assert_frame_equal(streamed.rows, in_memory.rows)
        # The clean files (the first 12, and the one with quotes at the edges) are read a line
        # at a time: their bytes are never read whole.
        if number <= 12:
            with monkeypatch.context() as patched:
                patched.setattr(Path, "read_bytes", _never_whole)
                again, _ = reading.read_csv_text(path, "t.csv", 1 << 30)
            assert again is not None and streamed is not None
            pd.testing.assert_frame_equal(again.rows, streamed.rows)


def _never_whole(path: Path) -> bytes:
    raise AssertionError(f"{path} was read whole")


def test_stale_check_by_blocks_of_rows_reports_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cnplans.validation import stale_derived
    from cnplans.validation.checks import Check
    from cnplans.validation.runner import validate_package
    from scripts.synth import synthesize

    package = synthesize(300, tmp_path / "pkg", "stale-usd@5:usd,stale-usd@250:usd", seed=6)
    checks = [Check(("stale-derived-value",), stale_derived.stale_derived_values)]
    whole = validate_package(package, checks=checks).problems
    monkeypatch.setattr(context, "ROWS_AT_A_TIME", 7)
    assert validate_package(package, checks=checks).problems == whole
    assert [(p.line, p.rule) for p in whole] == [
        (6, "stale-derived-value"),
        (251, "stale-derived-value"),
    ]
