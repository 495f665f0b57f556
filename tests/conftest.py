"""Fixtures for the validation tests: a copy of the real package in a temporary folder.

Tests break one thing in the copy and check what ``cnplans validate`` reports. Expected line
numbers are computed here with the standard library's ``csv`` module (its ``line_num``), not
with the validator's own reader, so the two are checked against each other.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE_PARTS = ("datapackage.json", "schemas", "resources", "sources")


def copy_package(destination: Path, resources: list[str] | None = None) -> Path:
    """Copy the real package (descriptor, schemas, resources, sources) into ``destination``.

    With ``resources``, keep only those resources in the descriptor and their files. Files are
    made writable so tests can break them. Returns the copied ``datapackage.json``.
    """
    destination.mkdir(parents=True, exist_ok=True)
    for part in PACKAGE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copy2(source, destination / part)
    for path in destination.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    descriptor = destination / "datapackage.json"
    if resources is not None:
        data = json.loads(descriptor.read_text(encoding="utf-8"))
        kept = [r for r in data["resources"] if r["name"] in resources]
        for r in data["resources"]:
            if r["name"] not in resources:
                (destination / r["path"]).unlink()
        data["resources"] = kept
        descriptor.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return descriptor


@dataclass
class Csv:
    """A CSV file of the copied package, read with the standard library."""

    path: Path
    header: list[str]
    rows: list[list[str]]

    @classmethod
    def read(cls, path: Path) -> Csv:
        with path.open(encoding="utf-8", newline="") as handle:
            records = list(csv.reader(handle))
        return cls(path, records[0], records[1:])

    def write(self) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        self.path.write_bytes(buffer.getvalue().encode("utf-8"))

    def col(self, name: str) -> int:
        return self.header.index(name)

    def find(self, column: str, predicate: Callable[[str], bool]) -> int:
        """Index (in ``rows``) of the first row whose ``column`` satisfies ``predicate``."""
        i = self.col(column)
        for index, row in enumerate(self.rows):
            if predicate(row[i]):
                return index
        raise LookupError(f"no row of {self.path.name} has a matching {column}")

    def set(self, index: int, column: str, value: str) -> None:
        self.rows[index][self.col(column)] = value

    def get(self, index: int, column: str) -> str:
        return self.rows[index][self.col(column)]


def start_lines(path: Path) -> list[int]:
    """Physical line on which each data row of ``path`` starts (header is line 1)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        lines, previous_end = [], reader.line_num
        for _ in reader:
            lines.append(previous_end + 1)
            previous_end = reader.line_num
    return lines


@dataclass
class Outcome:
    """What ``cnplans validate --format json`` printed and returned."""

    code: int
    document: dict[str, Any]
    stderr: str

    @property
    def problems(self) -> list[dict[str, Any]]:
        return list(self.document.get("problems", []))

    def of(self, rule: str) -> list[tuple[str, int | None, str | None]]:
        """(file, line, column) of every problem with this rule."""
        return [(p["file"], p["line"], p["column"]) for p in self.problems if p["rule"] == rule]

    def rules(self) -> set[str]:
        return {p["rule"] for p in self.problems}

    def in_file(self, file: str) -> list[dict[str, Any]]:
        return [p for p in self.problems if p["file"] == file]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``cnplans`` in-process; return (exit code, stdout, stderr)."""
    from cnplans.cli import main

    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refusing the arguments
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A writable copy of the real package; returns its folder."""
    copy_package(tmp_path / "pkg")
    return tmp_path / "pkg"


@pytest.fixture
def validate(capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """Run ``cnplans validate PATH --format json [extra args]`` and parse its output."""

    def run(folder: Path, *extra: str) -> Outcome:
        code, out, err = run_cli(
            ["validate", str(folder / "datapackage.json"), "--format", "json", *extra], capsys
        )
        return Outcome(code, json.loads(out) if out.strip() else {}, err)

    return run
