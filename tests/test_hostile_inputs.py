"""Hostile inputs: each a copy of the package made wrong in one way, run through the commands
that read a package, in a subprocess bounded in time and memory.

Every command must answer with a located problem (exit 1) or one sentence (exit 2), never a
traceback, within the bounds of ``conftest.run_cnplans`` (enforced with ``resource`` limits and
a subprocess timeout, not measured), and must change no file: the package tree is hashed
before and after. The rows are those of the December 2026 review of hostile inputs (ids D1-D25;
the loader's L1-L6 are in tests/loader/test_release_hostile.py, the workflows' W1-W2 in
tests/drafting/test_contrib_workflows.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_package, run_cnplans, text_columns_of

TRACEBACK = "Traceback (most recent call last)"


def cnplans(package: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cnplans(*args, cwd=package)


def tree_digest(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: a file's sha256, a link's target, a special file's kind."""
    digest = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            digest[name] = "link:" + os.readlink(path)
        elif path.is_fifo():
            digest[name] = "fifo"
        elif path.is_file():
            digest[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def rows(package: Path, table: str) -> list[list[str]]:
    with (package / "resources" / f"{table}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def write_rows(package: Path, table: str, records: list[list[str]]) -> None:
    """Write a table in the package's CSV form (so the one problem is the case's own)."""
    from cnplans.datapackage.csv_form import render_rows

    path = package / "resources" / f"{table}.csv"
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(records[0])
    body = render_rows(records[1:], text_columns_of(path, records[0]))
    path.write_text(header.getvalue() + body, encoding="utf-8")


def set_cell(package: Path, table: str, column: str, value: str) -> None:
    records = rows(package, table)
    records[1][records[0].index(column)] = value
    write_rows(package, table, records)


def edit_descriptor(package: Path, edit: Callable[[dict], None]) -> None:
    path = package / "datapackage.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def resource_named(data: dict, name: str) -> dict:
    return next(r for r in data["resources"] if r["name"] == name)


def symlink_loop_resource(package: Path) -> None:
    os.symlink("loop.csv", package / "resources" / "loop.csv")
    edit_descriptor(
        package, lambda d: resource_named(d, "projects").update(path="resources/loop.csv")
    )


def symlink_loop_source(package: Path) -> None:
    text = sorted((package / "sources").glob("*.txt"))[0]
    text.unlink()
    os.symlink(text.name, text)


def deep_json(package: Path) -> None:
    path = package / "datapackage.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["x"] = "DEEP"
    path.write_text(json.dumps(data).replace('"DEEP"', "[" * 3000 + "]" * 3000), "utf-8")


def duplicate_schema_key(package: Path) -> None:
    path = package / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    inline = '"schema": {"fields": [{"name": "target_id", "type": "string"}]}'
    path.write_text(
        text.replace(
            '"schema": "schemas/targets.json"', f'"schema": "schemas/targets.json", {inline}', 1
        ),
        "utf-8",
    )


def drop_key_column(package: Path) -> None:
    records = rows(package, "cluster_regions")
    drop = records[0].index("region_id")
    write_rows(package, "cluster_regions", [r[:drop] + r[drop + 1 :] for r in records])


def two_resources_one_file(package: Path) -> None:
    edit_descriptor(
        package, lambda d: resource_named(d, "projects").update(path="resources/plans.csv")
    )


def retyped(table: str, name: str) -> Callable[[Path], None]:
    """A case: the schema of ``table`` types field ``name`` as a string (its cells unchanged)."""

    def edit(package: Path) -> None:
        path = package / "schemas" / f"{table}.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        for field in schema["fields"]:
            if field["name"] == name:
                field["type"] = "string"
                field.pop("constraints", None)
        path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")

    return edit


def fifo_resource(package: Path) -> None:
    (package / "resources" / "projects.csv").unlink()
    os.mkfifo(package / "resources" / "projects.csv")


def fifo_source(package: Path) -> None:
    text = sorted((package / "sources").glob("*.txt"))[0]
    text.unlink()
    os.mkfifo(text)


def fifo_targets(package: Path) -> None:
    (package / "resources" / "targets.csv").unlink()
    os.mkfifo(package / "resources" / "targets.csv")


def targets_outside(package: Path, absolute: bool) -> None:
    outside = package.parent / "targets.csv"
    outside.write_bytes((package / "resources" / "targets.csv").read_bytes())
    path = str(outside) if absolute else "../targets.csv"
    edit_descriptor(package, lambda d: resource_named(d, "targets").update(path=path))


def wide_header(package: Path) -> None:
    path = package / "resources" / "measures.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[0] += "," + ",".join(f"c{i}" for i in range(100_000))
    path.write_text("\n".join(lines), encoding="utf-8")


def another_number(package: Path) -> None:
    value = rows(package, "targets")[1][rows(package, "targets")[0].index("value")]
    set_cell(package, "targets", "value", str(int(float(value)) * 7 + 3))


def unclosed_quote(package: Path) -> None:
    path = package / "resources" / "targets.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1] += '"unclosed'  # the first data row's last cell opens a quote that never closes
    path.write_text("\n".join(lines), encoding="utf-8")


def header_with_newline(package: Path) -> None:
    records = rows(package, "targets")
    records[0][-1] = "notes\nresources/targets.csv:2:value: fake: \x1b[2J"
    write_rows(package, "targets", records)


CASES: dict[str, Callable[[Path], None]] = {
    "D1 an 8 MiB cell": lambda p: set_cell(p, "targets", "notes", "x" * (8 << 20)),
    "D2 a header of 100k columns": wide_header,
    "D3 value 1e400": lambda p: set_cell(p, "targets", "value", "1e400"),
    "D4 amount 1e30": lambda p: set_cell(p, "targets", "value", "1e30"),
    "D4 rate 1e-30": lambda p: set_cell(p, "exchange_rates", "units_per_usd", "1e-30"),
    "D5 a symlink loop as a resource": symlink_loop_resource,
    "D5 a symlink loop as a source text": symlink_loop_source,
    "D6 JSON nested 3000 deep": deep_json,
    "D7 a composite-key column removed": drop_key_column,
    "D7 two resources naming one file": two_resources_one_file,
    "D8 target_year typed string": retyped("targets", "target_year"),
    "D8 value typed string": retyped("targets", "value"),
    "D8 period_start typed string": retyped("plans", "period_start"),
    "D9 a duplicate schema key": duplicate_schema_key,
    "D10 a header name with a newline and ESC": header_with_newline,
    "D11 issued 2024-02-30": lambda p: set_cell(p, "plans", "issued", "2024-02-30"),
    "D12 issued 0000": lambda p: set_cell(p, "plans", "issued", "0000"),
    "D13 a value no quote states": another_number,
    "D14 a quote of spaces": lambda p: set_cell(p, "targets", "quote", "\u3000 \u00a0"),
    "D15 period inverted": lambda p: set_cell(p, "plans", "period_start", "2099"),
    "D15 a region its own parent": lambda p: set_cell(
        p, "regions", "parent_id", rows(p, "regions")[1][0]
    ),
    "D16 NUL and ESC in a text cell": lambda p: set_cell(p, "targets", "subject", "a\x00b\x1b[31m"),
    "D18 a quote opened and never closed": unclosed_quote,
    "D17 a declared dialect": lambda p: edit_descriptor(
        p, lambda d: d["resources"][0].update(dialect={"delimiter": ";"})
    ),
    "D17 a declared encoding": lambda p: edit_descriptor(
        p, lambda d: d["resources"][0].update(encoding="gbk")
    ),
    "D20 a FIFO as a resource": fifo_resource,
    "D20 a FIFO as a source text": fifo_source,
    "D20 an orphan source text": lambda p: (p / "sources" / "orphan.txt").write_text(
        "x\n", "utf-8"
    ),
    "D23 a table outside the package (..)": lambda p: targets_outside(p, absolute=False),
    "D23 a table outside the package (absolute)": lambda p: targets_outside(p, absolute=True),
    "D24 a FIFO as the targets table": fifo_targets,
    "D21 a rate of zero": lambda p: set_cell(p, "exchange_rates", "units_per_usd", "0"),
    "D22 a 90 KB quote not in the source": lambda p: set_cell(
        p, "targets", "quote", "zq " * 30_000
    ),
}
ANY = (
    object()
)  # a line that depends on the data (the descriptor's, or the first row that has a value)
T, P, D = "resources/targets.csv", "resources/plans.csv", "datapackage.json"
# What `cnplans validate --format json` must report for each case: (rule, file, line, column),
# or the words of the one sentence of an exit 2.
EXPECTED: dict[str, tuple[str, str, object, str | None] | str] = {
    "D1 an 8 MiB cell": ("row-too-large", T, 2, None),
    "D2 a header of 100k columns": ("header", "resources/measures.csv", 1, None),
    "D3 value 1e400": ("number-range", T, 2, "value"),
    "D4 amount 1e30": ("number-range", T, 2, "value"),
    "D4 rate 1e-30": ("number-range", "resources/exchange_rates.csv", 2, "units_per_usd"),
    "D5 a symlink loop as a resource": ("unsafe-path", D, ANY, None),
    "D5 a symlink loop as a source text": ("unsafe-path", "resources/sources.csv", 2, "path"),
    "D6 JSON nested 3000 deep": "nests arrays and objects more than 64 deep",
    "D7 a composite-key column removed": (
        "missing-column", "resources/cluster_regions.csv", 1, "region_id"
    ),
    "D7 two resources naming one file": ("unsafe-path", D, ANY, None),
    "D8 target_year typed string": ("non-canonical-csv", T, ANY, "target_year"),
    "D8 value typed string": ("non-canonical-csv", T, 2, "value"),
    "D8 period_start typed string": ("non-canonical-csv", P, 2, "period_start"),
    "D9 a duplicate schema key": "gives the key 'schema' twice in one object",
    "D10 a header name with a newline and ESC": ("missing-column", T, 1, "notes"),
    "D11 issued 2024-02-30": ("calendar-date", P, 2, "issued"),
    "D12 issued 0000": ("calendar-date", P, 2, "issued"),
    "D13 a value no quote states": ("number-not-stated", T, 2, "value"),
    "D14 a quote of spaces": ("blank-quote", T, 2, "quote"),
    "D18 a quote opened and never closed": ("csv-syntax", T, 3, None),
    "D15 period inverted": ("period-order", P, 2, "period_end"),
    "D15 a region its own parent": ("region-cycle", "resources/regions.csv", 2, "parent_id"),
    "D16 NUL and ESC in a text cell": ("control-character", T, 2, "subject"),
    "D17 a declared dialect": ("dialect", D, ANY, None),
    "D17 a declared encoding": ("dialect", D, ANY, None),
    "D20 a FIFO as a resource": ("unreadable-file", "resources/projects.csv", None, None),
    "D20 a FIFO as a source text": ("unreadable-file", "resources/sources.csv", 2, "path"),
    "D20 an orphan source text": ("unlisted-file", "sources/orphan.txt", None, None),
    "D23 a table outside the package (..)": ("unsafe-path", D, ANY, None),
    "D23 a table outside the package (absolute)": ("unsafe-path", D, ANY, None),
    "D24 a FIFO as the targets table": ("unreadable-file", T, None, None),
    "D21 a rate of zero": ("number-range", "resources/exchange_rates.csv", 2, "units_per_usd"),
    "D22 a 90 KB quote not in the source": ("quote-not-in-source", T, 2, "quote"),
}  # fmt: skip
COMMANDS = {
    "validate": ["validate", "datapackage.json", "--format", "json"],
    "convert --check": ["convert", "--check", "datapackage.json"],
    "fmt --check": ["fmt", "--check", "--package", "datapackage.json"],
    "draft": ["draft", "SOURCE", "--package", "datapackage.json"],
    "add --dry-run": ["add", "targets", "ROWS", "--dry-run", "--package", "datapackage.json"],
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pristine") / "pkg"
    copy_package(folder)
    return folder


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_hostile_package_is_refused_in_words(
    pristine: Path, tmp_path: Path, case: str, command: str
) -> None:
    import shutil

    package = tmp_path / "pkg"
    shutil.copytree(pristine, package, symlinks=True)
    CASES[case](package)
    rows_file = tmp_path / "rows.csv"  # `add` files one row that the gate will judge
    rows_file.write_text("target_id,plan_id\nhostile-row,no-such-plan\n", encoding="utf-8")
    texts = sorted((pristine / "sources").glob("*.txt"))
    words = [
        str(rows_file) if w == "ROWS" else str(texts[0]) if w == "SOURCE" else w
        for w in COMMANDS[command]
    ]
    before = tree_digest(tmp_path)  # the package and what lies beside it
    result = cnplans(package, *words)
    assert TRACEBACK not in result.stderr + result.stdout, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr)
    if command == "validate":
        expected = EXPECTED[case]
        if isinstance(expected, str):
            assert result.returncode == 2 and expected in result.stderr, result.stderr
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        else:
            assert result.returncode == 1, result.stderr + result.stdout[-2000:]
            rule, file, line, column = expected
            found = [
                (p["rule"], p["file"], p["line"], p["column"])
                for p in json.loads(result.stdout)["problems"]
            ]
            assert any(
                f[:2] == (rule, file) and (line is ANY or f[2] == line) and f[3] == column
                for f in found
            ), found
    if result.returncode == 2:
        assert len(result.stderr.strip().splitlines()) >= 1
    for line in result.stdout.splitlines() + result.stderr.splitlines():
        assert "\x1b" not in line and "\x00" not in line
    assert tree_digest(tmp_path) == before, "the command changed a file"


def test_every_case_says_what_validate_must_report() -> None:
    assert set(EXPECTED) == set(CASES)


def _earlier_corpus() -> list[Any]:
    """The 47 bad contributions of tests/drafting/test_contrib_corpus.py (validated there
    in-process, against exactly their problems), to run here through every command."""
    import importlib.util

    path = Path(__file__).parent / "drafting" / "test_contrib_corpus.py"
    spec = importlib.util.spec_from_file_location("earlier_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return list(module.CASES)


EARLIER = _earlier_corpus()


@pytest.mark.parametrize("contribution", EARLIER, ids=[c.name for c in EARLIER])
@pytest.mark.parametrize("command", COMMANDS)
def test_an_earlier_bad_contribution_through_every_command(
    pristine: Path, tmp_path: Path, contribution: Any, command: str
) -> None:
    import shutil

    package = tmp_path / "pkg"
    shutil.copytree(pristine, package, symlinks=True)
    contribution.make(package)
    texts = sorted((pristine / "sources").glob("*.txt"))
    rows_file = tmp_path / "rows.csv"
    rows_file.write_text("target_id,plan_id\nhostile-row,no-such-plan\n", encoding="utf-8")
    words = [
        str(rows_file) if w == "ROWS" else str(texts[0]) if w == "SOURCE" else w
        for w in COMMANDS[command]
    ]
    if command == "validate":
        words += list(contribution.args)
    before = tree_digest(tmp_path)
    result = cnplans(package, *words)
    assert TRACEBACK not in result.stderr + result.stdout, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode in ((1,) if command == "validate" else (0, 1, 2)), result.stderr
    assert tree_digest(tmp_path) == before, "the command changed a file"


@pytest.mark.parametrize("size", ["inf", "nan", "-1", "1e400"])
def test_d19_a_size_limit_that_is_no_size(pristine: Path, size: str) -> None:
    result = cnplans(pristine, "validate", "datapackage.json", "--max-file-size-mb", size)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "--max-file-size-mb must be a positive number" in result.stderr
    assert TRACEBACK not in result.stderr
