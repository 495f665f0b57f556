"""Files in the package's CSV form are read by pyarrow; the rest by the ``csv`` module.

``read_csv_text`` with a schema first tries pyarrow's streaming reader, and keeps its cells only
when the file is byte for byte the package's form of them. These tests hold both readers to the
same rows and start lines, and check that every file the form does not allow goes to the
``csv`` module (which words its problems).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from cnplans.datapackage.csv_form import render_rows
from cnplans.datapackage.table_schema import TableSchema
from cnplans.validation import reading
from cnplans.validation.reading import (
    MAX_ROW_BYTES,
    _arrow_records,
    _read_in_form,
    parse_csv_bytes,
    read_csv_text,
)

SCHEMA = TableSchema.from_descriptor(
    {
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "n", "type": "number"},
            {"name": "note", "type": "string"},
        ]
    }
)
CELLS = [
    ["a", "1", ""],
    ['say "hi"', "", "two\nlines"],
    ["逗号，和,comma", "1,5", 'ends with "'],
    ["", 'x"y', "\n"],
    ["three\nline\ncell", "2.5", "z"],
    ["last", "7", "plain"],
]
TRICKY = ["", "a", " lead", "trail ", "a,b", 'q"q', '""', "l\nf", "中文", "=1+1", ",", '"']


def _canonical(cells: list[list[str]], header: tuple[str, ...] = ("id", "n", "note")) -> str:
    return render_rows([list(header)], ()) + render_rows(cells, [0, 2])


def _write(tmp_path: Path, text: str | bytes) -> Path:
    file = tmp_path / "t.csv"
    file.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return file


def test_a_file_in_the_form_reads_as_the_csv_module_reads_it(tmp_path: Path) -> None:
    file = _write(tmp_path, _canonical(CELLS))
    fast = _read_in_form(file, SCHEMA)
    slow, problems = parse_csv_bytes(file.read_bytes(), "t.csv")
    assert fast is not None and slow is not None and not problems
    assert fast.in_form and not slow.in_form
    assert fast.header == slow.header == ["id", "n", "note"]
    pd.testing.assert_frame_equal(fast.rows, slow.rows)
    assert fast.rows.index.tolist() == [2, 3, 5, 6, 8, 11]  # start lines after cells of 1, 2 LFs


def test_read_csv_text_uses_the_fast_reader_only_with_a_schema_and_from_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = _write(tmp_path, _canonical(CELLS))
    small, _ = read_csv_text(file, "t.csv", 1 << 20, SCHEMA)
    assert small is not None and not small.in_form  # under IN_FORM_READ_MIN_BYTES
    monkeypatch.setattr(reading, "IN_FORM_READ_MIN_BYTES", file.stat().st_size)
    with_schema, problems = read_csv_text(file, "t.csv", 1 << 20, SCHEMA)
    without, _ = read_csv_text(file, "t.csv", 1 << 20)
    assert with_schema is not None and with_schema.in_form and not problems
    assert without is not None and not without.in_form
    pd.testing.assert_frame_equal(with_schema.rows, small.rows)


@pytest.fixture
def always_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is tried with pyarrow's reader, however small."""
    monkeypatch.setattr(reading, "IN_FORM_READ_MIN_BYTES", 0)


def test_a_header_only_file_in_the_form_has_no_rows(tmp_path: Path) -> None:
    read = _read_in_form(_write(tmp_path, _canonical([])), SCHEMA)
    assert read is not None and read.rows.empty and read.header == ["id", "n", "note"]


@pytest.mark.parametrize("cell", TRICKY)
@pytest.mark.parametrize("position", [0, 1])
def test_arrow_records_are_render_rows(cell: str, position: int) -> None:
    rows = [[cell, "x"], ["y", cell]]
    columns = [pa.array([row[i] for row in rows], pa.large_string()) for i in range(2)]
    rendered = _arrow_records(columns, {position})
    assert "".join(rendered.to_pylist()) == render_rows(rows, [position])


NOT_IN_FORM = {
    "unquoted text cell": 'id,n,note\na,1,"b"\n',
    "quoted number": 'id,n,note\n"a","1","b"\n',
    "quote inside an unquoted cell": 'id,n,note\n"a",1"2,"b"\n',
    "blank line": 'id,n,note\n"a",1,"b"\n\n"c",2,"d"\n',
    "ragged row": 'id,n,note\n"a",1\n',
    "crlf": 'id,n,note\r\n"a",1,"b"\r\n',
    "lone cr in a cell": 'id,n,note\n"a",1,"b\rc"\n',
    "no final newline": 'id,n,note\n"a",1,"b"',
    "header quoted": '"id",n,note\n"a",1,"b"\n',
    "duplicate names": 'id,n,n\n"a",1,2\n',
    "one column": 'id\n"a"\n',
    "bom": '\ufeffid,n,note\n"a",1,"b"\n',
    "unclosed quote": 'id,n,note\n"a,1,"b"\n',
    "text after a closing quote": 'id,n,note\n"a"x,1,"b"\n',
}


@pytest.mark.parametrize("text", NOT_IN_FORM.values(), ids=NOT_IN_FORM.keys())
@pytest.mark.usefixtures("always_fast")
def test_a_file_not_in_the_form_goes_to_the_csv_module(tmp_path: Path, text: str) -> None:
    file = _write(tmp_path, text)
    assert _read_in_form(file, SCHEMA) is None
    read, problems = read_csv_text(file, "t.csv", 1 << 20, SCHEMA)
    expected, expected_problems = parse_csv_bytes(file.read_bytes(), "t.csv")
    assert problems == expected_problems
    if read is None or expected is None:
        assert read is expected is None
    else:
        assert not read.in_form and read.header == expected.header
        pd.testing.assert_frame_equal(read.rows, expected.rows)


@pytest.mark.usefixtures("always_fast")
def test_bytes_that_are_not_utf8_go_to_the_csv_module(tmp_path: Path) -> None:
    file = _write(tmp_path, b'id,n,note\n"a",1,"' + "中".encode("gbk") + b'"\n')
    assert _read_in_form(file, SCHEMA) is None
    _, problems = read_csv_text(file, "t.csv", 1 << 20, SCHEMA)
    assert [p.rule for p in problems] == ["encoding"]


@pytest.mark.usefixtures("always_fast")
def test_a_row_over_the_limit_goes_to_the_csv_module(tmp_path: Path) -> None:
    file = _write(tmp_path, _canonical([["a", "1", "x" * (MAX_ROW_BYTES + 1)]]))
    assert _read_in_form(file, SCHEMA) is None
    _, problems = read_csv_text(file, "t.csv", 1 << 30, SCHEMA)
    assert [(p.rule, p.line) for p in problems] == [("row-too-large", 2)]
