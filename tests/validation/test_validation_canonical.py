"""The ``non-canonical-csv`` rule: every table byte for byte in the package's CSV form.

The form (:mod:`cnplans.datapackage.csv_form`): text cells (``string`` fields) in double quotes,
every other cell as the csv module's ``QUOTE_MINIMAL`` writes it. Each fixture breaks the form of
one file of a copy of the real package, checks the one problem reported (file, line, column,
message), then that ``cnplans fmt`` writes the file back in the form and the package validates
clean. Expected lines come from the standard library's ``csv`` (``start_lines``), not from the
validator.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, Csv, Outcome, run_cli, start_lines, text_columns_of

from cnplans.datapackage.csv_form import render_rows
from cnplans.datapackage.table_schema import TableSchema
from cnplans.validation import canonical
from cnplans.validation.canonical import first_difference
from cnplans.validation.reading import _read_in_form, parse_csv_bytes

TARGETS = "resources/targets.csv"
MEASURES = "resources/measures.csv"
RULE = "non-canonical-csv"
FIX = "run `cnplans fmt` to write the file in the package's CSV form (text cells in double quotes)"


def problems_of(
    outcome: Outcome, rule: str = RULE
) -> list[tuple[str, int | None, str | None, str]]:
    return [
        (p["file"], p["line"], p["column"], p["message"])
        for p in outcome.problems
        if p["rule"] == rule
    ]


def fmt_fixes(
    package: Path, capsys: pytest.CaptureFixture[str], validate: Callable[..., Outcome]
) -> None:
    """Run ``cnplans fmt``; the package then validates clean and every table is canonical."""
    code, _, err = run_cli(["fmt", "--package", str(package)], capsys)
    assert code == 0, err
    outcome = validate(package)
    assert outcome.problems == [], outcome.problems
    for path in sorted((package / "resources").glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        assert text == in_form(path, text), path.name


def in_form(path: Path, text: str) -> str:
    """``text`` (the file ``path``'s) as the package's form renders its rows."""
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    return render_rows([header], ()) + render_rows(rows, text_columns_of(path, header))


def test_every_real_table_is_canonical() -> None:
    for path in sorted((REPO / "resources").glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        assert text == in_form(path, text), path.name
        header = next(csv.reader(io.StringIO(text, newline="")))
        assert first_difference(text, text_columns_of(path, header)) is None, path.name


def test_the_real_package_is_canonical(
    package: Path, validate: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert validate(package).problems == []


def test_a_quoted_number_is_reported_at_its_cell_and_fmt_removes_it(
    package: Path,
    capsys: pytest.CaptureFixture[str],
    validate: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = package / TARGETS
    original = path.read_bytes()
    targets = Csv.read(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    row = next(
        i
        for i, value in enumerate(targets.column("value"))
        if value and lines[start_lines(path)[i] - 1].count(f",{value},") == 1
    )
    value = targets.get(row, "value")
    line = start_lines(path)[row]
    lines[line - 1] = lines[line - 1].replace(f",{value},", f',"{value}",')
    path.write_text("\n".join(lines), encoding="utf-8")

    outcome = validate(package)
    assert outcome.code == 1
    assert [(p["file"], p["line"], p["column"], p["rule"]) for p in outcome.problems] == [
        (TARGETS, line, "value", RULE)
    ]
    assert problems_of(outcome)[0][3] == (
        f"""a cell is quoted that needs no quotes (found '"{value}"', expected '{value}'); {FIX}"""
    )
    code, out, _ = run_cli(["fmt", "--check", "--package", str(package)], capsys)
    assert code == 1 and TARGETS in out
    fmt_fixes(package, capsys, validate)
    assert path.read_bytes() == original


def test_an_unquoted_text_cell_is_reported_on_its_own_line(
    package: Path,
    capsys: pytest.CaptureFixture[str],
    validate: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A text cell without its quotes (what LibreOffice splits on ";") is reported on its
    physical line, after a cell that spans two lines."""
    path = package / MEASURES
    measures = Csv.read(path)
    measures.set(0, "summary", measures.get(0, "summary") + "\nsecond line")
    measures.write()
    assert validate(package).of(RULE) == []
    row = measures.find("summary", lambda v: " " in v and not set(v) & set(',"\n'))
    assert row > 0  # after the row whose summary spans two lines
    summary = measures.get(row, "summary")
    text = path.read_text(encoding="utf-8")
    assert text.count(f',"{summary}",') == 1
    path.write_text(text.replace(f',"{summary}",', f",{summary};x,"), encoding="utf-8")
    outcome = validate(package)
    line = start_lines(path)[row]
    assert outcome.of(RULE) == [(MEASURES, line, "summary")]
    cut = f"{summary};x"
    shown = cut if len(cut) <= 40 else cut[:37] + "..."  # long cells are cut
    assert problems_of(outcome)[0][3] == (
        f"a text cell is not in double quotes (found {shown!r}); every non-empty cell of a "
        f"string field is quoted; {FIX}"
    )
    path.write_text(text.replace(f',"{summary}",', f",{summary},"), encoding="utf-8")
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
    lines[-1] = ",".join([cells[0], *lines[-1].split(",")[1:]])
    path.write_text("\n".join(lines), encoding="utf-8")
    outcome = validate(package)
    assert outcome.of(RULE) == [(MEASURES, len(lines), "measure_id")]
    assert "a text cell is not in double quotes" in problems_of(outcome)[0][3]


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
        (lambda data: data.replace(b',"CNY",', b',"CNY"x,', 1), "csv-syntax"),
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
    header, *rows = csv.reader(io.StringIO(original.decode("utf-8"), newline=""))
    quoted = [",".join(f'"{cell}"' for cell in row) for row in reversed(rows)]
    path.write_text("\n".join([",".join(header), *quoted]), encoding="utf-8")
    outcome = validate(package)
    texts = text_columns_of(path, header)
    first_number = next(name for index, name in enumerate(header) if index not in texts)
    assert outcome.of(RULE) == [("resources/exchange_rates.csv", 2, first_number)]
    assert "sort-order" in outcome.rules()
    code, out, err = run_cli(["fmt", "--package", str(package)], capsys)
    assert code == 0, err
    assert out == "reordered resources/exchange_rates.csv\n"
    assert path.read_bytes() == original
    fmt_fixes(package, capsys, validate)


# --- the cheap test agrees with rendering ----------------------------------------------------


def _random_table(rng: random.Random) -> tuple[bytes, list[int], bool]:
    """A random CSV file that the reading stage accepts, its text columns, and whether it is
    canonical. A cell loses the quotes only its column gives it, or gets quotes it needs not,
    in either direction in one row too (so that a row's size alone cannot tell)."""
    pieces = ["", "a", "b c", "数据", "x,y", 'say "hi"', "two\nlines", " ", "é,", '"', ",", "\n"]
    pieces += ["1", "2.5", "a;b"]
    width = rng.randint(2, 5)
    texts = [i for i in range(width) if rng.random() < 0.5]
    rows = [[f"c{i}" for i in range(width)]]
    rows += [
        ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 3))) for _ in range(width)]
        for _ in range(rng.randint(0, 6))
    ]
    out = [render_rows(rows[:1], ())]
    canonical_form = True
    for row in rows[1:]:
        cells = []
        for index, cell in enumerate(row):
            rendered = render_rows([[cell, "z"]], [0] if index in texts else ())[:-3]
            minimal = render_rows([[cell, "z"]], ())[:-3]
            if not rendered.startswith('"') and rng.random() < 0.1:
                rendered, canonical_form = f'"{rendered}"', False
            elif rendered != minimal and rng.random() < 0.1:
                rendered, canonical_form = minimal, False
            cells.append(rendered)
        out.append(",".join(cells) + "\n")
    text = "".join(out)
    if rng.random() < 0.2:
        text, canonical_form = text.removesuffix("\n"), False
    return text.encode("utf-8"), texts, canonical_form


def _schema(header: list[str], texts: list[int]) -> TableSchema:
    return TableSchema.from_descriptor(
        {
            "fields": [
                {"name": name, "type": "string" if index in texts else "number"}
                for index, name in enumerate(header)
            ]
        }
    )


def test_the_quotes_at_the_cells_starts_tell_a_canonical_file_and_its_first_difference(
    tmp_path: Path,
) -> None:
    """The check of a file says what rendering its rows says (random files, both kinds), and
    pyarrow's reading takes exactly the files in the form, with the csv module's cells."""
    rng = random.Random(5)
    seen = set()
    for number in range(600):
        data, texts, expected = _random_table(rng)
        parsed, problems = parse_csv_bytes(data, "t.csv")
        assert not problems and parsed is not None, data
        text = data.decode("utf-8")
        header = next(csv.reader(io.StringIO(text, newline="")))
        slow = first_difference(text, texts)
        assert (slow is None) == expected, data
        file = tmp_path / f"{number}.csv"
        file.write_bytes(data)
        problem = canonical.file_problem(file, "t.csv", _schema(header, texts))
        fast = _read_in_form(file, _schema(header, texts))  # pyarrow's reading agrees
        assert (fast is not None) == expected, data
        if fast is not None:
            pd.testing.assert_frame_equal(fast.rows, parsed.rows)
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


def test_a_missing_and_a_needless_pair_of_quotes_in_one_row_are_not_missed(
    tmp_path: Path,
) -> None:
    """The row has the size of its canonical form: the first misquoted cell is still found."""
    schema = _schema(["name", "count", "note"], [0, 2])
    file = tmp_path / "t.csv"
    file.write_text('name,count,note\n"a",1,"x"\nb,"2","y"\n', encoding="utf-8")
    parsed, _ = parse_csv_bytes(file.read_bytes(), "t.csv")
    assert parsed is not None
    problem = canonical.file_problem(file, "t.csv", schema)
    assert problem is not None
    assert (problem.line, problem.column) == (3, "name")
    assert problem.message.startswith("a text cell is not in double quotes (found 'b')")
    file.write_text('name,count,note\n"a","1","x"\n"b",2,y\n', encoding="utf-8")
    parsed, _ = parse_csv_bytes(file.read_bytes(), "t.csv")
    assert parsed is not None
    problem = canonical.file_problem(file, "t.csv", schema)
    assert problem is not None
    assert (problem.line, problem.column) == (2, "count")
    assert problem.message.startswith("""a cell is quoted that needs no quotes (found '"1"'""")


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
