"""``cnplans validate`` as a command: exit codes, the three formats, no writes, extension."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import REPO, Csv, Outcome, run_cli, start_lines

from cnplans.validation import checks
from cnplans.validation.checks import Check
from cnplans.validation.context import PackageContext
from cnplans.validation.problems import Problem
from cnplans.validation.runner import validate_package

TARGETS = "resources/targets.csv"
TEXT_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+|-):(?P<column>[^:]*): (?P<rule>[a-z0-9-]+): .+$"
)


def _break_two_cells(package: Path) -> tuple[int, int]:
    """Break targets.unit on one row and targets.notes on another; return their lines."""
    targets = Csv.read(package / TARGETS)
    targets.set(1, "unit", "RMB")
    targets.set(3, "notes", "=1+1")
    targets.write()
    lines = start_lines(targets.path)
    return lines[1], lines[3]


def test_the_real_package_is_valid_with_exit_code_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["validate", str(REPO / "datapackage.json")], capsys)
    assert code == 0, out + err
    assert "is valid" in out and "no problems" in out


def test_python_dash_m_with_the_default_path(package: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cnplans", "validate"],
        cwd=package,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "datapackage.json is valid" in result.stdout


POOL_OF_A_RUN = (  # (pyarrow is imported by the run, then asked which pool it used)
    "import sys\n"
    "from cnplans.__main__ import main\n"
    "code = main(['validate', sys.argv[1]])\n"
    "import pyarrow\n"
    "print(code, pyarrow.default_memory_pool().backend_name)\n"
)


DEFAULT_POOL = "jemalloc" if sys.platform == "linux" else "system"


@pytest.mark.parametrize(("variable", "expected"), [(None, DEFAULT_POOL), ("mimalloc", "mimalloc")])
def test_arrow_memory_pool_is_the_chosen_one_unless_the_variable_says(
    package: Path, variable: str | None, expected: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if variable is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = variable
    result = subprocess.run(
        [sys.executable, "-c", POOL_OF_A_RUN, str(package)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.stdout.split()[-2:] == ["0", expected], result.stdout + result.stderr


def test_folder_as_path(package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["validate", str(package)], capsys)
    assert code == 0 and "is valid" in out


def test_text_format_lines_and_summary(package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unit_line, notes_line = _break_two_cells(package)
    code, out, err = run_cli(["validate", str(package / "datapackage.json")], capsys)
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert (
        f"{TARGETS}:{unit_line}:unit: enum: expected one of: CNY, USD, percent, count; found 'RMB'"
        in lines
    )
    assert any(
        line.startswith(f"{TARGETS}:{notes_line}:notes: formula-injection: ") for line in lines
    )
    problem_lines = lines[: lines.index("")]
    assert all(TEXT_LINE.match(line) for line in problem_lines)
    summary = "\n".join(lines[lines.index("") + 1 :])
    assert "not valid" in summary
    assert f"  {TARGETS}:" in summary and "enum 1" in summary and "formula-injection 1" in summary


def test_json_format(package: Path, validate: Callable[..., Outcome]) -> None:
    unit_line, notes_line = _break_two_cells(package)
    outcome = validate(package)
    assert outcome.code == 1
    document = outcome.document
    assert document["valid"] is False
    for record in document["problems"]:
        assert set(record) == {"file", "line", "column", "rule", "message"}
    records = [(p["file"], p["line"], p["column"], p["rule"]) for p in document["problems"]]
    assert (TARGETS, unit_line, "unit", "enum") in records
    assert (TARGETS, notes_line, "notes", "formula-injection") in records
    summary = document["summary"]
    assert summary["total"] == len(document["problems"])
    assert summary["by_rule"]["enum"] == 1
    assert summary["by_file"][TARGETS] == len(document["problems"])
    assert summary["by_file_and_rule"][TARGETS]["formula-injection"] == 1


def test_json_format_of_a_valid_package(package: Path, validate: Callable[..., Outcome]) -> None:
    outcome = validate(package)
    assert outcome.code == 0
    assert outcome.document["valid"] is True and outcome.document["problems"] == []
    assert outcome.document["summary"]["total"] == 0


def test_github_format_uses_the_column_position(
    package: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    unit_line, _ = _break_two_cells(package)
    header = Csv.read(package / TARGETS).header
    monkeypatch.chdir(package.parent)  # annotations are relative to the working directory
    code, out, _ = run_cli(["validate", "pkg/datapackage.json", "--format", "github"], capsys)
    assert code == 1
    expected = (
        f"::error file=pkg/{TARGETS},line={unit_line},col={header.index('unit') + 1},"
        "title=cnplans enum::enum: expected one of"
    )
    assert any(line.startswith(expected) for line in out.splitlines()), out


def test_github_format_escapes_newlines_and_omits_unknown_positions() -> None:
    from cnplans.validation.problems import format_github

    out = format_github([Problem("datapackage.json", None, None, "descriptor", "a\nb, 100%")])
    assert out.splitlines()[0] == (
        "::error file=datapackage.json,title=cnplans descriptor::descriptor: a%0Ab, 100%25"
    )


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (None, "does not exist"),
        (b"{not json", "is not valid JSON"),
        (b"[1, 2]", "not a data package descriptor"),
        (b"\xff\xfe{}", "is not UTF-8"),
    ],
)
def test_unusable_descriptor_exits_2_with_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, sentence: str
) -> None:
    descriptor = tmp_path / "datapackage.json"
    if content is not None:
        descriptor.write_bytes(content)
    for fmt in ("text", "json", "github"):
        code, out, err = run_cli(["validate", str(descriptor), "--format", fmt], capsys)
        assert code == 2
        assert sentence in err and "Traceback" not in err + out
        assert err.count("\n") == 1  # one sentence


def test_folder_without_descriptor_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["validate", str(tmp_path)], capsys)
    assert code == 2 and "does not exist" in err


@pytest.mark.parametrize(
    "descriptor",
    [
        {},
        {"resources": "nope"},
        {"resources": [1, None, "x"]},
        {"resources": [{"name": "t"}]},
        {"resources": [{"name": "t", "path": ["a.csv", "b.csv"], "schema": 5}]},
        {"resources": [{"name": "t", "path": "t.csv", "schema": "missing.json"}]},
        {"resources": [{"name": "t", "path": "t.csv", "schema": {"fields": "x"}}]},
    ],
)
def test_strange_descriptors_are_problems_not_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], descriptor: object
) -> None:
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    code, out, err = run_cli(["validate", str(tmp_path), "--format", "json"], capsys)
    assert code == 1, out + err
    assert "Traceback" not in out + err and "internal error" not in err
    assert json.loads(out)["problems"]


def _snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_mode, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    } | {str(p.relative_to(root)) + "/": (0, 0, b"") for p in root.rglob("*") if p.is_dir()}


def test_validation_writes_nothing(package: Path) -> None:
    _break_two_cells(package)
    before = _snapshot(package.parent)
    for fmt in ("text", "json", "github"):
        result = subprocess.run(
            [sys.executable, "-m", "cnplans", "validate", "--format", fmt],
            cwd=package,
            capture_output=True,
            check=False,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        assert result.returncode == 1
    assert _snapshot(package.parent) == before


# --- extending: adding another check -----------------------------------------------------


def test_a_check_passed_in_runs_and_gets_column_positions(package: Path) -> None:
    def every_unit_is_suspicious(context: PackageContext) -> Iterator[Problem]:
        targets = context.table("targets")
        assert targets is not None
        first = int(targets.raw.index[0])
        yield Problem(targets.path, first, "unit", "suspicious-unit", "expected x, found y")

    report = validate_package(
        package / "datapackage.json", checks=[Check(("suspicious-unit",), every_unit_is_suspicious)]
    )
    header = Csv.read(package / TARGETS).header
    assert [(p.file, p.line, p.column, p.rule, p.column_number) for p in report.problems] == [
        (
            TARGETS,
            start_lines(package / TARGETS)[0],
            "unit",
            "suspicious-unit",
            header.index("unit") + 1,
        )
    ]


def test_a_check_added_to_the_list_is_run_by_the_command(
    package: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def plans_are_few(context: PackageContext) -> Iterator[Problem]:
        plans = context.table("plans")
        if plans is not None and len(plans.raw) < 1000:
            yield Problem(plans.path, None, None, "few-plans", "expected many plans")

    monkeypatch.setattr(checks, "CHECKS", (*checks.CHECKS, Check(("few-plans",), plans_are_few)))
    code, out, _ = run_cli(["validate", str(package)], capsys)
    assert code == 1
    assert "resources/plans.csv:-:-: few-plans: expected many plans" in out


def test_a_crashing_check_exits_2_without_a_traceback(
    package: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(context: PackageContext) -> list[Problem]:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(checks, "CHECKS", (*checks.CHECKS, Check(("broken",), broken)))
    code, out, err = run_cli(["validate", str(package)], capsys)
    assert code == 2
    assert "crashed" in err and "ZeroDivisionError" in err and "Traceback" not in err
    assert "could not be fully validated" in out and "1 check failed" in out
    code, out, err = run_cli(["validate", str(package), "--format", "json"], capsys)
    assert code == 2
    document = json.loads(out)
    assert (
        document["valid"] is False and "broken: ZeroDivisionError" in document["crashed_checks"][0]
    )


def test_validating_the_repository_leaves_it_unchanged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parts = [REPO / "datapackage.json", REPO / "schemas", REPO / "resources", REPO / "sources"]

    def listing() -> dict[str, tuple[int, int]]:
        files = [p for part in parts for p in ([part] if part.is_file() else part.rglob("*"))]
        return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in files}

    before = listing()
    run_cli(["validate", str(REPO / "datapackage.json"), "--format", "json"], capsys)
    assert listing() == before
