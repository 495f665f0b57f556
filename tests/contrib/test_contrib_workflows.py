"""The GitHub Actions workflows, linted: triggers, pinned actions, and commands that exist.

Every ``run:`` line is split like a shell would; each ``nox -s SESSION -- ARGS`` must name a
session of noxfile.py (read with ``ast``, not imported), and the arguments after ``--`` must be
accepted by the command that session runs (``cnplans SUB`` or ``python -m scripts.release SUB``,
each parsed with its own argument parser). A ``cnplans SUB`` run directly must be a registered
sub-command.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from conftest import REPO

from cnplans.cli import COMMANDS, build_parser
from scripts.release.cli import build_parser as release_parser

WORKFLOWS = REPO / ".github" / "workflows"
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@v[0-9]+$")
# Values the shell would put in place of variables, to parse the arguments that use them.
SHELL_VALUES = {"BASE_REF": "main", "TAG": "v1.2.3", "GITHUB_STEP_SUMMARY": "/tmp/summary"}


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{name} is not a YAML mapping"
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    """The ``on:`` mapping (YAML 1.1 reads the bare key ``on`` as the boolean True)."""
    value = workflow.get("on", workflow.get(True))
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, list):
        return dict.fromkeys(value)
    assert isinstance(value, dict)
    return value


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


@dataclass(frozen=True)
class NoxCall:
    sessions: list[str]
    posargs: list[str]


def shell_words(script: str) -> list[list[str]]:
    """Each command of a run: script as words, variables replaced by sample values."""
    commands = []
    for line in script.splitlines():
        line = re.sub(r"\$\{?(\w+)\}?", lambda m: SHELL_VALUES.get(m.group(1), "x"), line)
        line = line.split(">>")[0].strip()
        if not line or line in ("{", "}") or line.startswith(("#", "echo", "if ", "fi", "then")):
            continue
        commands.append(shlex.split(line))
    return commands


def nox_calls(script: str) -> list[NoxCall]:
    calls = []
    for words in shell_words(script):
        if not words or words[0] != "nox":
            continue
        sessions: list[str] = []
        posargs: list[str] = []
        rest = words[1:]
        if "--" in rest:
            posargs = rest[rest.index("--") + 1 :]
            rest = rest[: rest.index("--")]
        for index, word in enumerate(rest):
            if word in ("-s", "--session", "--sessions"):
                following = rest[index + 1 :]
                for name in following:
                    if name.startswith("-"):
                        break
                    sessions.append(name)
        assert sessions, f"`{' '.join(words)}` runs nox without naming a session"
        calls.append(NoxCall(sessions, posargs))
    return calls


def nox_sessions() -> dict[str, ast.FunctionDef]:
    """The sessions of noxfile.py by name: functions decorated with ``nox.session``."""
    tree = ast.parse((REPO / "noxfile.py").read_text(encoding="utf-8"))
    sessions = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call is not None else decorator
            if ast.unparse(target) in ("nox.session", "session"):
                name = node.name
                for keyword in call.keywords if call is not None else []:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        name = str(keyword.value.value)
                sessions[name] = node
    return sessions


def session_commands(function: ast.FunctionDef) -> list[tuple[list[str], bool]]:
    """The ``session.run(...)`` commands of a session: literal words, and whether posargs follow."""
    commands = []
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "session.run"):
            continue
        words, posargs = [], False
        for argument in node.args:
            if isinstance(argument, ast.Constant):
                words.append(str(argument.value))
            elif isinstance(argument, ast.Starred) and "posargs" in ast.unparse(argument):
                posargs = True
        commands.append((words, posargs))
    return commands


def accepts(words: list[str]) -> None:
    """Parse a ``cnplans ...`` or ``python -m scripts.release ...`` command line, or fail."""
    if words[0] == "cnplans":
        assert words[1] in COMMANDS, f"cnplans has no sub-command {words[1]!r}"
        parser = build_parser()
        arguments = words[1:]
    elif words[:3] == ["python", "-m", "scripts.release"]:
        parser = release_parser()
        arguments = words[3:]
    else:
        return
    try:
        parser.parse_args(arguments)
    except SystemExit as error:
        pytest.fail(f"`{' '.join(words)}` is refused by its parser (exit {error.code})")


def test_the_noxfile_sessions_are_found() -> None:
    assert {"validate", "tests", "diff", "convert", "build"} <= set(nox_sessions())


@pytest.mark.parametrize("name", ["validate.yml", "release.yml"])
def test_every_command_exists_and_accepts_its_arguments(name: str) -> None:
    sessions = nox_sessions()
    runs = [step["run"] for step in steps(load(name)) if "run" in step]
    assert runs
    for script in runs:
        for call in nox_calls(script):
            for session in call.sessions:
                assert session in sessions, f"{name}: nox has no session {session!r}"
                commands = session_commands(sessions[session])
                assert commands, f"session {session!r} runs nothing"
                for words, takes_posargs in commands:
                    assert takes_posargs or not call.posargs, (
                        f"{name}: session {session!r} ignores the arguments {call.posargs}"
                    )
                    accepts(words + (call.posargs if takes_posargs else []))
        for words in shell_words(script):
            if words and words[0] == "cnplans":
                accepts(words)


@pytest.mark.parametrize("name", ["validate.yml", "release.yml"])
def test_actions_are_pinned_to_a_major_version(name: str) -> None:
    uses = [step["uses"] for step in steps(load(name)) if "uses" in step]
    assert uses
    for action in uses:
        assert PINNED.match(action), f"{name}: {action!r} is not pinned to a major version (@vN)"


@pytest.mark.parametrize("name", ["validate.yml", "release.yml"])
def test_workflows_are_read_only_and_keep_no_credentials(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] == {"contents": "read"}
    checkouts = [
        s for s in steps(workflow) if str(s.get("uses", "")).startswith("actions/checkout")
    ]
    assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)
    for step in steps(workflow):
        assert "${{" not in step.get("run", ""), "expressions go through env, not into scripts"


def test_validate_runs_on_every_pull_request_and_push() -> None:
    workflow = load("validate.yml")
    on = triggers(workflow)
    assert set(on) == {"pull_request", "push"}
    assert not on["pull_request"] and not on["push"], "no branch or path filters: every change"
    assert "pull_request_target" not in on, "contributed code must never run with secrets"


def test_validate_sets_up_python_311_and_annotates_with_the_github_format() -> None:
    workflow_steps = steps(load("validate.yml"))
    python = next(s for s in workflow_steps if str(s.get("uses", "")).startswith("actions/setup"))
    assert str(python["with"]["python-version"]) == "3.11"
    scripts = [s["run"] for s in workflow_steps if "run" in s]
    assert any(
        w[:3] == ["python", "-m", "pip"] and "nox" in w for s in scripts for w in shell_words(s)
    )
    calls = [call for script in scripts for call in nox_calls(script)]
    assert NoxCall(["validate"], ["--format", "github"]) in calls
    assert NoxCall(["tests"], []) in calls


def test_validate_posts_the_data_diff_against_the_target_branch() -> None:
    workflow_steps = steps(load("validate.yml"))
    checkout = next(
        s for s in workflow_steps if str(s.get("uses", "")).startswith("actions/checkout")
    )
    assert checkout["with"]["fetch-depth"] == 0, "the diff needs the target branch's history"
    diff = next(s for s in workflow_steps if "nox -s diff" in s.get("run", ""))
    assert diff["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert 'nox -s diff -- "origin/$BASE_REF"' in diff["run"]
    assert '>> "$GITHUB_STEP_SUMMARY"' in diff["run"]
    assert "github.event_name == 'pull_request'" in diff["if"]


def test_release_builds_a_version_tag_and_uploads_dist() -> None:
    workflow = load("release.yml")
    assert triggers(workflow) == {"push": {"tags": ["v*"]}}
    workflow_steps = steps(workflow)
    calls = [call for s in workflow_steps if "run" in s for call in nox_calls(s["run"])]
    assert NoxCall(["build"], []) in calls
    build = nox_sessions()["build"]
    assert (["python", "-m", "scripts.release", "build"], True) in session_commands(build)
    upload = next(s for s in workflow_steps if str(s.get("uses", "")).startswith("actions/upload"))
    assert upload["with"]["path"] == "dist/"
    assert upload["with"]["if-no-files-found"] == "error"


def test_the_linter_catches_what_it_is_for() -> None:
    sessions = nox_sessions()
    assert "no-such-session" not in sessions
    with pytest.raises(pytest.fail.Exception):
        accepts(["cnplans", "validate", "datapackage.json", "--format", "yaml"])
    with pytest.raises(AssertionError):
        accepts(["cnplans", "no-such-command"])
    assert not PINNED.match("actions/checkout@main")
    assert not PINNED.match("actions/checkout")
    assert nox_calls('nox -s diff -- "origin/$BASE_REF"') == [NoxCall(["diff"], ["origin/main"])]
