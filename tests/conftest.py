"""Fixtures for the validation tests: a copy of the real package in a temporary folder.

Tests break one thing in the copy and check what ``cnplans validate`` reports. Expected line
numbers are computed here with the standard library's ``csv`` module (its ``line_num``), not
with the validator's own reader, so the two are checked against each other.

Tests read what they check from their copy (the first range target, the plan of a source...),
never a live id or row count, so a new valid plan breaks none of them. To prove it, the
fixture plan of ``tests/fixtures/extra_plan/`` (an invented Jinzhong plan: its source text and
one row or a few in each table) can be added to every copy: set the environment variable
``CNPLANS_TEST_EXTRA_PLAN=1`` and run the suite as usual::

    CNPLANS_TEST_EXTRA_PLAN=1 nox -s tests
    CNPLANS_TEST_EXTRA_PLAN=1 PYTHONPATH=src python -m pytest tests

:func:`copy_package` then calls :func:`add_extra_plan` on each copy. Tests that read the
repository's own files (not a copy) do not see the plan.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from resource import RLIMIT_AS, setrlimit
from typing import Any

import pytest

from cnplans.datapackage.csv_form import render_rows

REPO = Path(__file__).resolve().parents[1]
PACKAGE_PARTS = ("datapackage.json", "schemas", "resources", "sources")
# Bounds of a cnplans command run in a child process by a test: a hang, not a speed test (a
# loaded CI machine takes over 10 s to start cnplans), and the address space it may use.
HANG_SECONDS = 60
MEMORY_BYTES = 1 << 30


def limit_memory() -> None:
    """Limit the calling process to :data:`MEMORY_BYTES` of address space (a ``preexec_fn``)."""
    setrlimit(RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def child_env(**extra: str) -> dict[str, str]:
    """This environment for a child ``python -m cnplans``: this import path, and ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return {**env, **extra}


def run_cnplans(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m cnplans ARGS`` in a child, within :data:`HANG_SECONDS` and :data:`MEMORY_BYTES`.

    ``env`` defaults to :func:`child_env`.
    """
    return subprocess.run(
        [sys.executable, "-m", "cnplans", *args],
        cwd=cwd,
        env=child_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        preexec_fn=limit_memory,
        check=False,
    )


EXTRA_PLAN = Path(__file__).resolve().parent / "fixtures" / "extra_plan"
EXTRA_PLAN_VARIABLE = "CNPLANS_TEST_EXTRA_PLAN"


def extra_plan_wanted() -> bool:
    """Whether ``CNPLANS_TEST_EXTRA_PLAN`` asks for the fixture plan in every copy."""
    return os.environ.get(EXTRA_PLAN_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def copy_package(
    destination: Path, resources: list[str] | None = None, extra_plan: bool | None = None
) -> Path:
    """Copy the real package (descriptor, schemas, resources, sources) into ``destination``.

    With ``resources``, keep only those resources in the descriptor and their files. Files are
    made writable so tests can break them. ``extra_plan`` adds the fixture plan
    (:func:`add_extra_plan`); by default it is added when ``CNPLANS_TEST_EXTRA_PLAN`` is set.
    Returns the copied ``datapackage.json``.
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
    if extra_plan_wanted() if extra_plan is None else extra_plan:
        add_extra_plan(destination)
    if resources is not None:
        data = json.loads(descriptor.read_text(encoding="utf-8"))
        kept = [r for r in data["resources"] if r["name"] in resources]
        for r in data["resources"]:
            if r["name"] not in resources:
                (destination / r["path"]).unlink()
        data["resources"] = kept
        descriptor.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return descriptor


def _resource_paths(package: Path) -> dict[str, tuple[Path, list[str]]]:
    """Each resource of the package's descriptor: its file and its primary key."""
    data = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    found = {}
    for resource in data["resources"]:
        schema = json.loads((package / resource["schema"]).read_text(encoding="utf-8"))
        key = schema.get("primaryKey", [])
        keys = [key] if isinstance(key, str) else list(key)
        found[resource["name"]] = (package / resource["path"], keys)
    return found


def _insert_rows(path: Path, key: list[str], rows: list[dict[str, str]]) -> None:
    """Insert ``rows`` (cells by column name) into the CSV file at their place in key order.

    The file's other lines keep their bytes: each new row is one line (written with ``csv``)
    put before the first row whose key is greater. A column the file lacks is an error.
    """
    text = path.read_text(encoding="utf-8")
    records = list(csv.reader(io.StringIO(text, newline="")))
    header, data = records[0], records[1:]
    unknown = {column for row in rows for column, cell in row.items() if cell} - set(header)
    if unknown:
        raise ValueError(f"{path.name} has no column {sorted(unknown)} of the extra plan's rows")
    positions = [header.index(column) for column in key]
    keys = [tuple(record[i] for i in positions) for record in data]
    starts = start_lines(path)
    lines = text.split("\n")  # physical lines; the last is "" after a final line end
    end = len(lines) - 1 if text.endswith("\n") else len(lines)
    placed = []
    for row in sorted(rows, key=lambda r: tuple(r.get(column, "") for column in key)):
        cells = [row.get(column, "") for column in header]
        new_key = tuple(cells[i] for i in positions)
        if new_key in keys:
            raise ValueError(f"{path.name} already has a row with the key {new_key}")
        index = bisect.bisect_left(keys, new_key)
        line = starts[index] - 1 if index < len(starts) else end
        placed.append((line, render_rows([cells], text_columns_of(path, header))[:-1]))
    for line, new_line in reversed(sorted(placed, key=lambda item: item[0])):
        lines.insert(line, new_line)  # from the end: equal lines keep the rows' key order
    path.write_bytes("\n".join(lines).encode("utf-8"))


def extra_plan_rows() -> dict[str, list[dict[str, str]]]:
    """The fixture plan's rows by table (``tests/fixtures/extra_plan/resources/<table>.csv``)."""
    tables = {}
    for path in sorted((EXTRA_PLAN / "resources").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            tables[path.stem] = list(csv.DictReader(handle))
    return tables


def add_extra_plan(package: Path) -> dict[str, list[dict[str, str]]]:
    """Add the fixture plan of ``tests/fixtures/extra_plan/`` to the package in ``package``.

    What a contributor adds for a new plan: the archived text in ``sources/``, its rows in each
    table at their place in key order (other lines keep their bytes), the derived dollar
    columns as ``cnplans convert`` computes them, and the descriptor's ``sources`` list. Tables
    the package does not have are skipped. Adding it twice changes nothing. Returns the rows
    added (cells by column), by table.
    """
    from cnplans.conversion.convert import derive
    from cnplans.conversion.fx import read_rates

    rows = extra_plan_rows()
    resources = _resource_paths(package)
    sources_path = resources.get("sources", (package / "resources/sources.csv", []))[0]
    if sources_path.exists():
        with sources_path.open(encoding="utf-8", newline="") as handle:
            present = {row["source_id"] for row in csv.DictReader(handle)}
        if present >= {row["source_id"] for row in rows["sources"]}:
            return rows  # already added
    for text in sorted((EXTRA_PLAN / "sources").glob("*.txt")):
        shutil.copy2(text, package / "sources" / text.name)
        (package / "sources" / text.name).chmod(0o644)
    for source in rows["sources"]:
        digest = hashlib.sha256((package / source["path"]).read_bytes()).hexdigest()
        assert source["sha256"] == digest, f"{source['path']}: the fixture's sha256 is stale"
    if "exchange_rates" in resources:
        rates = read_rates(resources["exchange_rates"][0])
        issued = {plan["plan_id"]: plan["issued"] for plan in rows["plans"]}
        published = {source["source_id"]: source["published"] for source in rows["sources"]}
        for target in rows["targets"]:
            target.update(
                derive(
                    target["unit"],
                    target["value"],
                    issued.get(target["plan_id"]) or None,
                    published.get(target["source_id"]) or None,
                    rates,
                ).cells()
            )
    for table, new_rows in rows.items():
        if table in resources:
            path, key = resources[table]
            _insert_rows(path, key, new_rows)
    descriptor = package / "datapackage.json"
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    if "sources" in data and "sources" in resources:
        with resources["sources"][0].open(encoding="utf-8", newline="") as handle:
            data["sources"] = [
                {"title": row["title"], "path": row["path"]}
                for row in csv.DictReader(handle)
                if row["title"]
            ]
        descriptor.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return rows


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
        """Write the file in the package's CSV form (its text cells quoted)."""
        texts = text_columns_of(self.path, self.header)
        text = render_rows([self.header], ()) + render_rows(self.rows, texts)
        self.path.write_bytes(text.encode("utf-8"))

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

    def column(self, name: str) -> list[str]:
        """Every row's cell of column ``name``, in order."""
        i = self.col(name)
        return [row[i] for row in self.rows]


def text_columns_of(path: Path, header: list[str]) -> list[int]:
    """Positions in ``header`` of the text fields of the table file ``path``, by the schema the
    descriptor of its package (``path.parents[1]``) gives it; none when it lists no such file."""
    from cnplans.datapackage.csv_form import text_columns
    from cnplans.datapackage.table_schema import TableSchema

    root = path.resolve().parents[1]
    descriptor = root / "datapackage.json"
    if not descriptor.is_file():
        return []
    for resource in json.loads(descriptor.read_text(encoding="utf-8")).get("resources", []):
        if isinstance(resource, dict) and (root / str(resource.get("path"))).resolve() == (
            path.resolve()
        ):
            schema = resource.get("schema")
            if isinstance(schema, str) and (root / schema).is_file():
                return text_columns(header, TableSchema.from_path(root / schema))
    return []


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
    from cnplans.__main__ import main

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
