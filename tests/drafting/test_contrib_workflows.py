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

from cnplans.__main__ import COMMANDS, build_parser
from scripts.release.cli import build_parser as release_parser

WORKFLOWS = REPO / ".github" / "workflows"
# An action is pinned to a full commit, with the release it is in as a comment (what zizmor and
# Dependabot expect): `uses: actions/checkout@<40 hex digits> # v4.4.0`.
PINNED = re.compile(
    r"^\s*(- )?uses: [A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?"
    r"@[0-9a-f]{40} # v[0-9]+(\.[0-9]+)*$"
)
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
def test_actions_are_pinned_to_a_commit(name: str) -> None:
    lines = (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()
    uses = [line for line in lines if line.strip().removeprefix("- ").startswith("uses:")]
    assert len(uses) == len([s for s in steps(load(name)) if "uses" in s]) > 0
    for line in uses:
        assert PINNED.match(line), f"{name}: {line.strip()!r} is not pinned to a commit (@SHA # vX)"


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


def jobs(name: str) -> dict[str, list[dict[str, Any]]]:
    return {job: spec["steps"] for job, spec in load(name)["jobs"].items()}


def test_the_data_verdict_comes_from_the_target_branchs_tooling() -> None:
    data = jobs("validate.yml")["data"]
    checkouts = [s for s in data if str(s.get("uses", "")).startswith("actions/checkout")]
    change, gate = checkouts
    assert "path" not in change.get("with", {}), "the change is checked out at the workspace root"
    assert change["with"]["fetch-depth"] == 0, "the diff needs the target branch's history"
    assert gate["with"]["path"] == ".gate"
    assert gate["with"]["ref"] == "${{ github.base_ref || github.sha }}"
    python = next(s for s in data if str(s.get("uses", "")).startswith("actions/setup"))
    assert str(python["with"]["python-version"]) == "3.11"
    commands = [w for s in data if "run" in s for w in shell_words(s["run"])]
    assert ["python", "-m", "pip", "install", "./.gate"] in commands
    assert ["cnplans", "validate", "datapackage.json", "--format", "github"] in commands
    runs = [s["run"] for s in data if "run" in s]
    assert not any(call for script in runs for call in nox_calls(script)), (
        "nox would run the change's own noxfile.py"
    )
    order = [
        i
        for i, s in enumerate(data)
        if "./.gate" in s.get("run", "") or "cnplans" in s.get("run", "")
    ]
    assert order == sorted(order) and len(order) == 2, "install the gate, then validate with it"


def test_the_change_runs_the_full_tests_through_the_ci_entry_point() -> None:
    tests = jobs("validate.yml")["tests"]
    assert any(["bash", ".ci/run"] in shell_words(s["run"]) for s in tests if "run" in s)
    assert "nox -s tests" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_validate_posts_the_data_diff_against_the_target_branch() -> None:
    diff = next(s for s in jobs("validate.yml")["data"] if " diff " in s.get("run", ""))
    assert diff["working-directory"] == ".gate", "the target branch's release tools make the diff"
    assert diff["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert 'python -m scripts.release --root .. diff "origin/$BASE_REF"' in diff["run"]
    assert '>> "$GITHUB_STEP_SUMMARY"' in diff["run"]
    assert "github.event_name == 'pull_request'" in diff["if"]


def test_codeowners_cover_the_code_the_schemas_and_the_workflows() -> None:
    owners = (REPO / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
    patterns = {line.split()[0] for line in owners if line.strip() and not line.startswith("#")}
    assert {"/src/", "/scripts/", "/.github/", "/schemas/"} <= patterns
    assert all(
        len(line.split()) >= 2 for line in owners if line.strip() and not line.startswith("#")
    )


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
    assert not PINNED.match("      uses: actions/checkout@main")
    assert not PINNED.match("      uses: actions/checkout@v4")
    assert not PINNED.match("      uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262")
    assert PINNED.match(
        "      - uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0"
    )
    assert nox_calls('nox -s diff -- "origin/$BASE_REF"') == [NoxCall(["diff"], ["origin/main"])]
