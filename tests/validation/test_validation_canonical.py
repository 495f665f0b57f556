"""The ``non-canonical-csv`` rule: every table byte for byte as the csv module writes its rows.

Each fixture breaks the form of one file of a copy of the real package, checks the one problem
reported (file, line, column, message), then that ``cnplans fmt`` writes the file back in the
csv module's form and the package validates clean. Expected lines come from the standard
library's ``csv`` (``start_lines``), not from the validator.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, Csv, Outcome, run_cli, start_lines

from cnplans.validation import canonical
from cnplans.validation.canonical import canonical_row_sizes, first_difference, render_rows
from cnplans.validation.reading import parse_csv_bytes

TARGETS = "resources/targets.csv"
MEASURES = "resources/measures.csv"
RULE = "non-canonical-csv"
FIX = "run `cnplans fmt` to write the file in canonical CSV form, as the csv module writes it"


def problems_of(
    outcome: Outcome, rule: str = RULE
) -> list[tuple[str, int | None, str | None, str]]:
    return [
        (p["file"], p["line"], p["column"], p["message"])
        for p in outcome.problems
        if p["rule"] == rule
    ]


def fmt_fixes(package: Path, capsys: pytest.CaptureFixture[str], validate: Callable[..., Outcome]):
    """Run ``cnplans fmt``; the package then validates clean and every table is canonical."""
    code, _, err = run_cli(["fmt", "--package", str(package)], capsys)
    assert code == 0, err
    outcome = validate(package)
    assert outcome.problems == [], outcome.problems
    for path in sorted((package / "resources").glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        assert text == render_rows(csv.reader(io.StringIO(text, newline=""))), path.name


def _never_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make rendering a whole file fail: the sizes of the rows must find the difference."""

    def rendered(text: str) -> None:
        raise AssertionError("the file was rendered whole")

    monkeypatch.setattr(canonical, "first_difference", rendered)


def test_every_real_table_is_canonical() -> None:
    for path in sorted((REPO / "resources").glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        assert text == render_rows(csv.reader(io.StringIO(text, newline=""))), path.name
        assert first_difference(text) is None, path.name


def test_the_real_package_is_checked_without_rendering_a_file(
    package: Path, validate: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A canonical file is recognized from its size (the cheap path), never rendered."""
    _never_rendered(monkeypatch)
    assert validate(package).problems == []


def test_a_needless_quote_is_reported_at_its_cell_and_fmt_removes_it(
    package: Path,
    capsys: pytest.CaptureFixture[str],
    validate: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _never_rendered(monkeypatch)
    path = package / TARGETS
    original = path.read_bytes()
    targets = Csv.read(path)
    row = targets.find("unit", lambda v: v == "CNY")
    lines = path.read_text(encoding="utf-8").split("\n")
    line = start_lines(path)[row]
    assert lines[line - 1].count(",CNY,") == 1
    lines[line - 1] = lines[line - 1].replace(",CNY,", ',"CNY",')
    path.write_text("\n".join(lines), encoding="utf-8")

    outcome = validate(package)
    assert outcome.code == 1
    assert [(p["file"], p["line"], p["column"], p["rule"]) for p in outcome.problems] == [
        (TARGETS, line, "unit", RULE)
    ]
    assert problems_of(outcome)[0][3] == (
        f"""a cell is quoted that needs no quotes (found '"CNY"', expected 'CNY'); {FIX}"""
    )
    code, out, _ = run_cli(["fmt", "--check", "--package", str(package)], capsys)
    assert code == 1 and TARGETS in out
    fmt_fixes(package, capsys, validate)
    assert path.read_bytes() == original


def test_spaces_need_no_quotes_and_the_line_is_the_cells_own(
    package: Path, capsys: pytest.CaptureFixture[str], validate: Callable[..., Outcome]
) -> None:
    """A cell of words in quotes is reported on its physical line, after a cell that spans two
    lines (which needs its quotes: no problem there)."""
    path = package / MEASURES
    measures = Csv.read(path)
    measures.set(0, "summary", measures.get(0, "summary") + "\nsecond line")
    measures.write()  # the csv module quotes the line break: canonical
    assert validate(package).of(RULE) == []
    row = measures.find("summary", lambda v: " " in v and not set(v) & set(',"\n'))
    assert row > 0  # after the row whose summary spans two lines
    summary = measures.get(row, "summary")
    text = path.read_text(encoding="utf-8")
    assert text.count(f",{summary},") == 1
    path.write_text(text.replace(f",{summary},", f',"{summary}",'), encoding="utf-8")
    outcome = validate(package)
    line = start_lines(path)[row]
    assert outcome.of(RULE) == [(MEASURES, line, "summary")]
    shown = summary if len(summary) <= 40 else summary[:37] + "..."  # long cells are cut
    assert f"expected {shown!r}" in problems_of(outcome)[0][3]
    code, _, err = run_cli(["fmt", "--package", str(package)], capsys)
    assert code == 0, err
    assert path.read_text(encoding="utf-8") == text
    assert validate(package).of(RULE) == []


def test_no_final_newline_is_reported_at_the_last_line(
    package: Path,
    capsys: pytest.CaptureFixture[str],
    validate: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _never_rendered(monkeypatch)
    path = package / MEASURES
    original = path.read_bytes()
    path.write_bytes(original.removesuffix(b"\n"))
    last_line = original.count(b"\n")
    outcome = validate(package)
    assert outcome.code == 1
    assert [(p["file"], p["line"], p["column"], p["rule"]) for p in outcome.problems] == [
        (MEASURES, last_line, None, RULE)
    ]
    assert problems_of(outcome)[0][3] == f"no newline at the end of the file; {FIX}"
    code, out, err = run_cli(["fmt", "--package", str(package)], capsys)
    assert code == 0, err
    assert out.startswith(f"rewrote {MEASURES}")
    assert path.read_bytes() == original
    fmt_fixes(package, capsys, validate)


def test_a_needless_quote_and_no_final_newline_give_the_first_of_them(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    """Sizes that happen to differ by one are not taken for a missing newline alone."""
    path = package / MEASURES
    text = path.read_text(encoding="utf-8").removesuffix("\n")
    lines = text.split("\n")
    cells = next(csv.reader([lines[-1]]))
    lines[-1] = ",".join([f'"{cells[0]}"', *lines[-1].split(",")[1:]])
    path.write_text("\n".join(lines), encoding="utf-8")
    outcome = validate(package)
    assert outcome.of(RULE) == [(MEASURES, len(lines), "measure_id")]
    assert "a cell is quoted that needs no quotes" in problems_of(outcome)[0][3]


def test_a_quoted_header_name_is_reported_on_line_1(
    package: Path, capsys: pytest.CaptureFixture[str], validate: Callable[..., Outcome]
) -> None:
    path = package / TARGETS
    text = path.read_text(encoding="utf-8")
    header = text.split("\n", 1)[0].split(",")
    path.write_text(text.replace(f",{header[2]},", f',"{header[2]}",', 1), encoding="utf-8")
    outcome = validate(package)
    assert outcome.of(RULE) == [(TARGETS, 1, header[2])]
    assert outcome.rules() == {RULE}
    fmt_fixes(package, capsys, validate)


def test_a_blank_line_is_reported_once_as_a_ragged_row(
    package: Path, capsys: pytest.CaptureFixture[str], validate: Callable[..., Outcome]
) -> None:
    """The reading stage reports the blank line; this rule does not report it again."""
    path = package / TARGETS
    original = path.read_bytes()
    line = start_lines(path)[3]
    lines = original.decode("utf-8").split("\n")
    lines.insert(line - 1, "")
    path.write_text("\n".join(lines), encoding="utf-8")
    outcome = validate(package)
    assert outcome.of("ragged-row") == [(TARGETS, line, None)]
    assert outcome.of(RULE) == []
    code, out, err = run_cli(["fmt", "--package", str(package)], capsys)
    assert code == 0 and out.startswith(f"rewrote {TARGETS}"), err
    assert path.read_bytes() == original
    fmt_fixes(package, capsys, validate)


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda data: b"\xef\xbb\xbf" + data, "bom"),
        (lambda data: data.replace(b"\n", b"\r\n"), "line-ending"),
        (lambda data: data.replace(b",CNY,", b',"CNY"x,', 1), "csv-syntax"),
        (lambda data: data.replace(b"\n", b",extra\n", 3), "ragged-row"),
    ],
)
def test_a_file_with_a_reading_problem_is_not_reported_twice(
    package: Path,
    validate: Callable[..., Outcome],
    change: Callable[[bytes], bytes],
    rule: str,
) -> None:
    path = package / TARGETS
    path.write_bytes(change(path.read_bytes()))
    outcome = validate(package)
    assert rule in outcome.rules()
    assert outcome.of(RULE) == []


def test_fmt_reorders_and_re_renders_in_one_go(
    package: Path, capsys: pytest.CaptureFixture[str], validate: Callable[..., Outcome]
) -> None:
    path = package / "resources/exchange_rates.csv"
    original = path.read_bytes()
    header, *rows = original.decode("utf-8").removesuffix("\n").split("\n")
    quoted = [",".join(f'"{cell}"' for cell in row.split(",")) for row in reversed(rows)]
    path.write_text("\n".join([header, *quoted]), encoding="utf-8")
    outcome = validate(package)
    assert outcome.of(RULE) == [("resources/exchange_rates.csv", 2, header.split(",")[0])]
    assert "sort-order" in outcome.rules()
    code, out, err = run_cli(["fmt", "--package", str(package)], capsys)
    assert code == 0, err
    assert out == "reordered resources/exchange_rates.csv\n"
    assert path.read_bytes() == original
    fmt_fixes(package, capsys, validate)


# --- the cheap size test agrees with rendering ------------------------------------------------


def _random_table(rng: random.Random) -> tuple[bytes, bool]:
    """A random CSV file that the reading stage accepts, and whether it is canonical."""
    pieces = ["", "a", "b c", "数据", "x,y", 'say "hi"', "two\nlines", " ", "é,", '"', ",", "\n"]
    width = rng.randint(2, 5)
    rows = [[f"c{i}" for i in range(width)]]
    rows += [
        ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 3))) for _ in range(width)]
        for _ in range(rng.randint(0, 6))
    ]
    out = []
    canonical_form = True
    for row in rows:
        cells = []
        for cell in row:
            rendered = render_rows([[cell, "z"]])[:-3]  # the cell as the csv module writes it
            if not rendered.startswith('"') and rng.random() < 0.05:
                rendered, canonical_form = f'"{rendered}"', False
            cells.append(rendered)
        out.append(",".join(cells) + "\n")
    text = "".join(out)
    if rng.random() < 0.2:
        text, canonical_form = text.removesuffix("\n"), False
    return text.encode("utf-8"), canonical_form


def test_the_sizes_of_the_cells_tell_a_canonical_file_and_its_first_difference(
    tmp_path: Path,
) -> None:
    """The cheap path (sizes counted from the parsed cells) agrees with rendering every row."""
    rng = random.Random(5)
    seen = set()
    for number in range(400):
        data, expected = _random_table(rng)
        parsed, problems = parse_csv_bytes(data, "t.csv")
        assert not problems and parsed is not None, data
        text = data.decode("utf-8")
        header, *rows = list(csv.reader(io.StringIO(text, newline="")))
        sizes = canonical_row_sizes(header, parsed.rows)
        assert sizes.tolist() == [len(render_rows([row]).encode("utf-8")) for row in rows]
        slow = first_difference(text)
        assert (slow is None) == expected, data
        file = tmp_path / f"{number}.csv"
        file.write_bytes(data)
        problem = canonical.file_problem(file, "t.csv", parsed.rows)
        if slow is None:
            assert problem is None, data
        else:
            assert problem is not None, data
            assert (problem.line, problem.column, problem.message) == (
                slow.line,
                slow.column,
                slow.what,
            ), data
        seen.add(expected)
    assert seen == {True, False}


@pytest.mark.parametrize(
    ("text", "line", "column", "start"),
    [
        ('a,b\n1,""\n', 2, "b", "a cell is quoted that needs no quotes (found '\"\"', expected an"),
        ("a,b\n1,2\n\n", 3, None, "a blank line"),
        ("a,b\n\n1,2\n", 2, None, "a blank line"),
        ('a,b\n"x\ny",2\n"3",4', 4, "a", "a cell is quoted that needs no quotes"),
        ("a,b\n1,2", 2, None, "no newline at the end of the file"),
        ("a,b\r\n1,2\r\n", 1, None, "a carriage return (CR) ends the line"),
        ('a\n""\n', None, None, ""),  # a row of one empty cell is written so
        ("a\n\n", 2, None, "a blank line"),
    ],
)
def test_first_difference_says_what_differs(
    text: str, line: int | None, column: str | None, start: str
) -> None:
    found = first_difference(text)
    if line is None:
        assert found is None
        return
    assert found is not None
    assert (found.line, found.column) == (line, column)
    assert found.what.startswith(start) and found.what.endswith(FIX)
