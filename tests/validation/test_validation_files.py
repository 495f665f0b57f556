"""File-level problems: encoding, BOM, line ends, quoting, header, ragged rows, size, order."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Csv, Outcome, start_lines

from cnplans.validation.reading import parse_csv_bytes

TARGETS = "resources/targets.csv"


def test_bom_is_reported_on_line_1_and_the_rows_are_still_checked(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    path = package / "resources/plans.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("bom") == [("resources/plans.csv", 1, None)]
    # The header was read without the BOM: no header problem, no cascade into other tables.
    assert outcome.in_file("resources/plans.csv") == [
        p for p in outcome.problems if p["rule"] == "bom"
    ]
    assert "foreign-key" not in outcome.rules()


def test_gbk_file_is_one_clear_encoding_problem(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    path = package / "resources/regions.csv"
    text = path.read_text(encoding="utf-8")
    first_chinese_line = next(
        number
        for number, line in enumerate(text.split("\n"), start=1)
        if any(ord(ch) > 127 for ch in line)
    )
    path.write_bytes(text.encode("gbk"))
    outcome = validate(package)
    assert outcome.code == 1
    problems = outcome.in_file("resources/regions.csv")
    assert [(p["rule"], p["line"], p["column"]) for p in problems] == [
        ("encoding", first_chinese_line, None)
    ]
    assert "GBK" in problems[0]["message"] and "UTF-8" in problems[0]["message"]
    # Tables pointing at regions are not flooded with foreign-key problems.
    assert "foreign-key" not in outcome.rules()


def test_crlf_line_ends_are_reported_once_at_the_first_line(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    path = package / "resources/measures.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("line-ending") == [("resources/measures.csv", 1, None)]
    assert [p["rule"] for p in outcome.in_file("resources/measures.csv")] == ["line-ending"]


def test_empty_file(package: Path, validate: Callable[..., Outcome]) -> None:
    (package / "resources/projects.csv").write_bytes(b"")
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("empty-file") == [("resources/projects.csv", None, None)]
    assert "foreign-key" not in outcome.rules()  # targets.project_id is not checked against it


def test_missing_unknown_and_misordered_columns(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    measures = Csv.read(package / "resources/measures.csv")
    drop = measures.col("notes")
    measures.header.pop(drop)
    for row in measures.rows:
        row.pop(drop)
    measures.write()

    clusters = Csv.read(package / "resources/clusters.csv")
    clusters.header.append("extra")
    for row in clusters.rows:
        row.append("x")
    clusters.write()

    regions = Csv.read(package / "resources/regions.csv")
    a, b = regions.col("name_en"), regions.col("name_zh")
    for row in [regions.header, *regions.rows]:
        row[a], row[b] = row[b], row[a]
    regions.write()

    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("missing-column") == [("resources/measures.csv", 1, "notes")]
    assert outcome.of("unknown-column") == [("resources/clusters.csv", 1, "extra")]
    assert outcome.of("header") == [("resources/regions.csv", 1, None)]
    message = next(p["message"] for p in outcome.problems if p["rule"] == "header")
    assert "name_en, name_zh" in message and "name_zh, name_en" in message
    # The columns are found by name, so the reordered table is otherwise valid.
    assert [p["rule"] for p in outcome.in_file("resources/regions.csv")] == ["header"]


def test_ragged_rows_are_reported_at_their_physical_lines(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    targets = Csv.read(package / "resources/targets.csv")
    # A quoted cell spanning three lines early on shifts every later physical line.
    first = 0
    targets.set(first, "quote", targets.get(first, "quote").replace(" ", "\n", 2))
    targets.write()
    lines = start_lines(package / TARGETS)
    assert lines[1] == lines[0] + 3  # the multi-line cell took effect

    text = (package / TARGETS).read_text(encoding="utf-8").split("\n")
    # Two later rows on one line each whose last two commas end cells, so cutting there cuts
    # two cells.
    width = len(targets.header)
    plain = [
        line
        for line, after in itertools.pairwise(lines[2:])
        if after == line + 1
        and len(next(csv.reader([text[line - 1].rsplit(",", 2)[0]]))) == width - 2
    ]
    too_many, too_few = plain[0], plain[1]
    text[too_many - 1] += ",surplus"
    text[too_few - 1] = text[too_few - 1].rsplit(",", 2)[0]
    (package / TARGETS).write_text("\n".join(text), encoding="utf-8")

    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("ragged-row") == [(TARGETS, too_many, None), (TARGETS, too_few, None)]
    messages = [p["message"] for p in outcome.problems if p["rule"] == "ragged-row"]
    assert f"has {width + 1} cells but the header has {width}" in messages[0]
    assert f"has {width - 2} cells but the header has {width}" in messages[1]
    # The remaining rows are still checked, with their lines intact.
    assert "quote-not-in-source" not in outcome.rules()


def test_blank_line_is_a_ragged_row(package: Path, validate: Callable[..., Outcome]) -> None:
    lines = start_lines(package / TARGETS)
    text = (package / TARGETS).read_text(encoding="utf-8").split("\n")
    text.insert(lines[2] - 1, "")
    (package / TARGETS).write_text("\n".join(text), encoding="utf-8")
    outcome = validate(package)
    assert outcome.of("ragged-row") == [(TARGETS, lines[2], None)]


def test_stray_quote_is_a_csv_syntax_problem(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    lines = start_lines(package / "resources/clusters.csv")
    text = (package / "resources/clusters.csv").read_text(encoding="utf-8").split("\n")
    text[lines[3] - 1] = 'ab"c' + text[lines[3] - 1]
    (package / "resources/clusters.csv").write_text("\n".join(text), encoding="utf-8")
    outcome = validate(package)
    assert outcome.code == 1
    assert [(p["rule"], p["line"]) for p in outcome.in_file("resources/clusters.csv")] == [
        ("csv-syntax", lines[3])
    ]


def test_unclosed_quote_names_the_line_it_opens_on() -> None:
    text, problems = parse_csv_bytes(b'a,b\n1,2\n3,"open\n4,5\n', "t.csv")
    assert text is None
    assert [(p.rule, p.line) for p in problems] == [("csv-syntax", 3)]
    assert "never closed" in problems[0].message


def test_text_after_a_closing_quote_is_a_csv_syntax_problem() -> None:
    _, problems = parse_csv_bytes(b'a,b\n1,2\n"x"y,2\n', "t.csv")
    assert [(p.rule, p.line) for p in problems] == [("csv-syntax", 3)]


def test_doubled_quotes_and_quoted_newlines_parse_with_start_lines() -> None:
    data = b'a,b\n"say ""hi""",1\n"two\nlines",2\n"",3\nlast,4'
    text, problems = parse_csv_bytes(data, "t.csv")
    assert problems == []
    assert text is not None
    assert text.header == ["a", "b"]
    assert list(text.rows.index) == [2, 3, 5, 6]
    assert list(text.rows["a"]) == ['say "hi"', "two\nlines", "", "last"]
    assert list(text.rows["b"]) == ["1", "2", "3", "4"]


def test_lone_carriage_return_is_a_line_ending_problem_not_a_row_break() -> None:
    text, problems = parse_csv_bytes(b"a,b\nx\ry,1\nz,2\n", "t.csv")
    assert [(p.rule, p.line) for p in problems] == [("line-ending", 2)]
    assert text is not None
    assert list(text.rows["a"]) == ["x\ry", "z"]
    assert list(text.rows.index) == [2, 3]


def test_header_only_file_has_no_rows_and_no_problem() -> None:
    text, problems = parse_csv_bytes(b"a,b\n", "t.csv")
    assert problems == []
    assert text is not None and text.rows.empty and text.header == ["a", "b"]


def test_rows_out_of_primary_key_order_report_the_first_one(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    targets = Csv.read(package / "resources/targets.csv")
    targets.rows[5], targets.rows[6] = targets.rows[6], targets.rows[5]
    targets.write()
    lines = start_lines(package / TARGETS)
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("sort-order") == [(TARGETS, lines[6], "target_id")]
    message = next(p["message"] for p in outcome.problems if p["rule"] == "sort-order")
    assert targets.get(6, "target_id") in message and targets.get(5, "target_id") in message


def test_composite_primary_key_order(package: Path, validate: Callable[..., Outcome]) -> None:
    table = Csv.read(package / "resources/cluster_regions.csv")
    # Find two rows of one cluster in different regions and swap them.
    cluster = table.col("cluster_id")
    index = next(
        i
        for i in range(len(table.rows) - 1)
        if table.rows[i][cluster] == table.rows[i + 1][cluster]
    )
    table.rows[index], table.rows[index + 1] = table.rows[index + 1], table.rows[index]
    table.write()
    lines = start_lines(table.path)
    outcome = validate(package)
    assert outcome.of("sort-order") == [
        ("resources/cluster_regions.csv", lines[index + 1], "cluster_id")
    ]


def test_file_over_the_size_limit_is_one_problem(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    size = (package / TARGETS).stat().st_size
    limit_mb = (size - 1) / (1024 * 1024)
    outcome = validate(package, "--max-file-size-mb", f"{limit_mb:.8f}")
    assert outcome.code == 1
    assert [(p["rule"], p["line"]) for p in outcome.in_file(TARGETS)] == [("file-too-large", None)]
    assert f"{size:,} bytes" in outcome.in_file(TARGETS)[0]["message"]


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_size_limit_must_be_positive(
    package: Path, validate: Callable[..., Outcome], limit: str
) -> None:
    outcome = validate(package, "--max-file-size-mb", limit)
    assert outcome.code == 2
    assert "must be a positive number" in outcome.stderr
