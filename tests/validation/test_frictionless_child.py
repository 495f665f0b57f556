"""Frictionless' verdict comes from a child process; whatever the child does, it is the same."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Outcome

from cnplans.validation import frictionless_metadata
from cnplans.validation.frictionless_metadata import Child


def _break_metadata(package: Path) -> None:
    """A descriptor frictionless rejects (licenses not a list) and a schema it rejects."""
    path = package / "datapackage.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["licenses"] = "CC-BY-4.0"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    path = package / "schemas/projects.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["fields"][3]["type"] = "integr"
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")


def _pid_file(tmp_path: Path) -> Path:
    return tmp_path / "child.pid"


CHILDREN = {
    "cannot start": lambda pid: [str(pid.with_name("no-such-python"))],
    "fails": lambda pid: [sys.executable, "-c", "raise SystemExit(1)"],
    "answers nonsense": lambda pid: [sys.executable, "-c", 'print(\'{"schemas": {"99": []}}\')'],
    "answers no JSON": lambda pid: [sys.executable, "-c", "print('not json')"],
    "hangs": lambda pid: [
        sys.executable,
        "-c",
        f"import os, pathlib, time; pathlib.Path({str(pid)!r}).write_text(str(os.getpid())); "
        "time.sleep(120)",
    ],
}


@pytest.mark.parametrize("behaviour", list(CHILDREN))
def test_a_child_that_gives_no_verdict_changes_no_problem(
    behaviour: str,
    package: Path,
    tmp_path: Path,
    validate: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_metadata(package)
    expected = validate(package)
    assert expected.code == 1
    assert sorted(expected.of("descriptor")) == [
        ("datapackage.json", None, None),
        ("schemas/projects.json", None, None),
    ]
    pid = _pid_file(tmp_path)
    monkeypatch.setattr(frictionless_metadata, "CHILD_COMMAND", tuple(CHILDREN[behaviour](pid)))
    monkeypatch.setattr(frictionless_metadata, "DEADLINE_SECONDS", 3.0)
    started = time.monotonic()
    outcome = validate(package)
    assert (outcome.code, outcome.problems) == (expected.code, expected.problems)
    assert time.monotonic() - started < 60  # the deadline, not the child's sleep
    if pid.exists():  # the child that hung was ended, not left behind
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid.read_text()), 0)


def test_the_child_finds_what_frictionless_finds_in_process() -> None:
    request = {
        "schemas": [[0, {"fields": [{"name": "a", "type": "integr"}]}], [1, None]],
        "package": {"name": "Not A Name!", "resources": [{"name": "r", "path": "r.csv"}, {}]},
    }
    child = Child()
    child.send(json.loads(json.dumps(request)))
    verdict = child.verdict()
    assert verdict == frictionless_metadata.metadata_messages(
        request["schemas"], request["package"]
    )
    assert list(verdict["schemas"]) == ["0"]
    assert verdict["package"]


def test_a_child_that_is_never_asked_is_ended(tmp_path: Path) -> None:
    pid = _pid_file(tmp_path)
    child = Child(CHILDREN["hangs"](pid))
    deadline = time.monotonic() + 30
    while not pid.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid.read_text()), 0)
    assert child.verdict() is None
