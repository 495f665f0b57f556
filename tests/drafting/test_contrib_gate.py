"""The gate's safety and its messages: contributed data is read, bounded, never followed out of
the package, never fetched from the network, never imported or run; and every problem is
reported the same way to people (text, with a summary) and to programs (JSON).

Network behaviour is checked against a server on 127.0.0.1 started by the test, which records
every request; file access outside the package is checked with an audit hook that records every
``open`` of a path in a folder beside the package.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import Csv, Outcome, run_cli, start_lines

TARGETS = "resources/targets.csv"
TEXT_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+|-):(?P<column>[^:]*): (?P<rule>[a-z0-9-]+): "
)

# --- recording opens of files outside the package ------------------------------------------

_WATCHED: list[tuple[Path, list[str]]] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event != "open" or not _WATCHED or not isinstance(args[0], str | bytes | os.PathLike):
        return
    opened = os.fsdecode(args[0])  # type: ignore[arg-type]
    for folder, seen in _WATCHED:
        if opened.startswith(str(folder)):
            seen.append(opened)


sys.addaudithook(_audit)


@contextmanager
def opens_under(folder: Path) -> Iterator[list[str]]:
    """Record every file opened under ``folder`` (by any path) while the block runs."""
    seen: list[str] = []
    _WATCHED.append((folder.resolve(), seen))
    try:
        yield seen
    finally:
        _WATCHED.pop()


@contextmanager
def recording_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 answering every GET with a JSON object; yields (url, paths)."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = b'{"fields": [], "type": "object"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def edit_descriptor(package: Path, edit: Callable[[dict], None]) -> None:
    path = package / "datapackage.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def resource(data: dict, name: str) -> dict:
    return next(r for r in data["resources"] if r["name"] == name)


def a_source_text(package: Path) -> str:
    """The archived text of the copy's last source, as its ``path`` (read from sources.csv)."""
    sources = Csv.read(package / "resources/sources.csv")
    return sources.get(len(sources.rows) - 1, "path")


# --- never the network ------------------------------------------------------------------------


def test_no_url_in_the_descriptor_or_a_schema_is_ever_fetched(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    with recording_server() as (url, requests):

        def point_everything_at_the_server(data: dict) -> None:
            data["profile"] = f"{url}/package-profile.json"
            data["$schema"] = f"{url}/dollar-schema.json"
            data["licenses"][0]["path"] = f"{url}/license"
            data["sources"][0]["path"] = f"{url}/source.txt"
            resource(data, "targets").update(path=f"{url}/targets.csv")
            resource(data, "measures").update(schema=f"{url}/measures.json")
            resource(data, "plans").update(
                profile=f"{url}/resource-profile.json", dialect=f"{url}/dialect.json"
            )
            resource(data, "clusters").update(path=f"//127.0.0.1{url[16:]}/clusters.csv")

        edit_descriptor(package, point_everything_at_the_server)
        schema = package / "schemas/projects.json"
        data = json.loads(schema.read_text(encoding="utf-8"))
        data["$schema"] = f"{url}/table-schema.json"
        data["profile"] = f"{url}/table-profile.json"
        schema.write_text(json.dumps(data), encoding="utf-8")
        outcome = validate(package)
        assert requests == [], "the validator fetched something"
    unsafe = [p["message"] for p in outcome.problems if p["rule"] == "unsafe-path"]
    assert len(unsafe) == 5  # two paths, one schema, two profiles
    assert all(p["line"] for p in outcome.problems if p["rule"] == "unsafe-path")
    assert outcome.code == 1


def test_nothing_outside_the_package_is_opened(
    tmp_path: Path,
    package: Path,
    validate: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("secret.csv", "schema.json", "profile.json", "custom-profile", "dialect.json"):
        (outside / name).write_text('{"fields": []}\n', encoding="utf-8")
    (package / "resources/regions.csv").unlink()
    (package / "resources/regions.csv").symlink_to(outside / "secret.csv")
    text = package / a_source_text(package)
    text.unlink()
    text.symlink_to(outside / "secret.csv")

    def point_outside(data: dict) -> None:
        data["profile"] = "custom-profile"  # frictionless would open it from the current folder
        resource(data, "targets").update(path=str(outside / "secret.csv"))
        resource(data, "measures").update(schema="../outside/schema.json")
        resource(data, "projects").update(profile=str(outside / "profile.json"))
        resource(data, "clusters").update(dialect="../outside/dialect.json")

    edit_descriptor(package, point_outside)
    monkeypatch.chdir(outside)
    with opens_under(outside) as opened:
        outcome = validate(package)
    assert opened == []
    assert outcome.code == 1
    rules = [(p["file"], p["rule"]) for p in outcome.problems]
    assert rules.count(("datapackage.json", "unsafe-path")) == 5
    assert ("resources/sources.csv", "unsafe-path") in rules


def test_a_descriptor_that_is_a_device_or_too_large_is_refused(
    package: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    descriptor = package / "datapackage.json"
    code, out, err = run_cli(
        ["validate", str(descriptor), "--max-file-size-mb", "0.001", "--format", "github"], capsys
    )
    assert code == 2 and "more than the limit" in err and out.startswith("::error::")
    descriptor.unlink()
    descriptor.symlink_to("/dev/zero")
    code, _, err = run_cli(["validate", str(descriptor)], capsys)
    assert code == 2 and "not a regular file" in err


def test_every_file_read_is_bounded(package: Path, validate: Callable[..., Outcome]) -> None:
    schema = package / "schemas/projects.json"
    schema.write_text(schema.read_text(encoding="utf-8") + " " * 300_000, encoding="utf-8")
    text = a_source_text(package)
    source = package / text
    source.write_bytes(source.read_bytes() + b" " * 300_000)
    outcome = validate(package, "--max-file-size-mb", "0.25")
    too_large = sorted(p["file"] for p in outcome.problems if p["rule"] == "file-too-large")
    assert too_large == sorted(["schemas/projects.json", text])


# --- never imported or run --------------------------------------------------------------------

TRAP = "import pathlib; pathlib.Path({marker!r}).write_text('ran'); raise SystemExit(99)\n"


def _lay_traps(package: Path, marker: Path) -> None:
    """Python files a contribution could carry, each leaving ``marker`` behind if run."""
    trap = TRAP.format(marker=str(marker))
    for name in ("pandas.py", "frictionless.py", "numpy.py", "sitecustomize.py", "conftest.py"):
        (package / name).write_text(trap, encoding="utf-8")
    (package / "cnplans").mkdir()
    (package / "cnplans/__init__.py").write_text(trap, encoding="utf-8")
    (package / "cnplans/__main__.py").write_text(trap, encoding="utf-8")
    (package / "resources/setup.py").write_text(trap, encoding="utf-8")
    targets = Csv.read(package / TARGETS)
    targets.set(0, "notes", "__import__('os').system('touch pwned') ; exec(open('x').read())")
    targets.write()


def test_contributed_files_are_never_imported_or_run(tmp_path: Path, package: Path) -> None:
    marker = tmp_path / "ran"
    _lay_traps(package, marker)
    console_script = Path(sys.executable).with_name("cnplans")
    commands = [[sys.executable, "-I", "-m", "cnplans", "validate", "--format", "json"]]
    if console_script.exists():  # how `nox -s validate` runs it
        commands.append([str(console_script), "validate", "--format", "json"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    for command in commands:
        result = subprocess.run(
            command, cwd=package, capture_output=True, text=True, check=False, env=env
        )
        assert not marker.exists(), f"{command[0]} ran contributed code"
        assert result.returncode == 0, result.stdout + result.stderr
        assert json.loads(result.stdout)["valid"] is True
    assert not (package / "pwned").exists()


# --- formula injection ------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_every_formula_start_is_rejected(
    package: Path, validate: Callable[..., Outcome], start: str
) -> None:
    targets = Csv.read(package / TARGETS)
    targets.set(1, "subject", f"{start}SUM(A1:A9)")
    targets.write()
    outcome = validate(package)
    assert outcome.of("formula-injection") == [(TARGETS, start_lines(targets.path)[1], "subject")]


# --- messages for people and for programs -----------------------------------------------------


def _misdated_plan(package: Path) -> int:
    """A plan whose unreadable issue date changes no conversion: one with no issue date yet
    (its dollars are converted by the source's date, and stay so), or else no money targets."""
    plans, targets = Csv.read(package / "resources/plans.csv"), Csv.read(package / TARGETS)
    money = {
        targets.get(i, "plan_id")
        for i in range(len(targets.rows))
        if targets.get(i, "unit") in ("CNY", "USD")
    }
    candidates = range(len(plans.rows))
    undated = [i for i in candidates if not plans.get(i, "issued")]
    return (undated or [i for i in candidates if plans.get(i, "plan_id") not in money])[0]


def _break_three_files(package: Path) -> None:
    targets = Csv.read(package / TARGETS)
    targets.set(0, "unit", "pieces")
    targets.set(1, "value", "twenty")
    targets.write()
    plans = Csv.read(package / "resources/plans.csv")
    index = _misdated_plan(package)
    plans.set(index, "issued", "2024/11/12")
    plans.set(index, "issued_basis", "quote")  # the year is unreadable, so it is not checked
    plans.write()
    measures = package / "resources/measures.csv"
    measures.write_bytes(b"\xef\xbb\xbf" + measures.read_bytes())


def test_text_and_json_say_the_same_with_a_summary_by_file_and_rule(
    package: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break_three_files(package)
    descriptor = str(package / "datapackage.json")
    code, text, _ = run_cli(["validate", descriptor], capsys)
    assert code == 1
    code, out, _ = run_cli(["validate", descriptor, "--format", "json"], capsys)
    assert code == 1
    document = json.loads(out)
    lines = text.splitlines()
    problem_lines = lines[: lines.index("")]
    expected_lines = [
        f"{p['file']}:{p['line'] if p['line'] is not None else '-'}:{p['column'] or '-'}: "
        f"{p['rule']}: {p['message']}"
        for p in document["problems"]
    ]
    assert problem_lines == expected_lines
    assert all(TEXT_LINE.match(line) for line in problem_lines)

    summary = document["summary"]
    assert summary["by_file"] == {
        "resources/measures.csv": 1,
        "resources/plans.csv": 1,
        TARGETS: 2,
    }
    assert summary["by_rule"] == {"bom": 1, "enum": 1, "pattern": 1, "type": 1}
    assert "datapackage.json is not valid (9 tables, " in lines[len(problem_lines) + 1]
    assert lines[len(problem_lines) + 1].endswith("4 problems in 3 files.")
    assert f"  {TARGETS}: 2 (enum 1, type 1)" in lines
    assert lines[-1] == "By rule: bom 1, enum 1, pattern 1, type 1"


def test_each_message_says_what_was_expected_and_what_was_found(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    _break_three_files(package)
    outcome = validate(package)
    by_rule = {p["rule"]: p for p in outcome.problems}
    assert by_rule["enum"]["message"] == (
        "expected one of: CNY, USD, percent, count; found 'pieces'"
    )
    assert by_rule["type"]["message"].startswith("expected a number")
    assert by_rule["type"]["message"].endswith("found 'twenty'")
    assert "found '2024/11/12'" in by_rule["pattern"]["message"]
    assert "expected UTF-8 without a BOM" in by_rule["bom"]["message"]
    located = [p for p in outcome.problems if p["rule"] != "bom"]
    assert all(p["line"] and p["column"] for p in located)
