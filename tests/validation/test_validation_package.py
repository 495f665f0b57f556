"""The descriptor and its schemas: frictionless metadata checks, listed files, safe paths."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Outcome

from cnplans.validation.package import unsafe_reason


def _edit_descriptor(package: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    path = package / "datapackage.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _resource(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in data["resources"] if r["name"] == name)


def _line_holding(package: Path, text: str) -> int:
    """The line of the package's datapackage.json on which ``text`` is written."""
    lines = (package / "datapackage.json").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def test_frictionless_finds_the_real_descriptor_and_data_valid() -> None:
    import frictionless

    report = frictionless.validate(str(REPO / "datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])


def test_frictionless_descriptor_errors_are_problems(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    _edit_descriptor(package, lambda d: d.update(licenses="CC-BY-4.0"))
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("descriptor") == [("datapackage.json", None, None)]
    assert "licenses" in outcome.problems[0]["message"]


def test_renamed_resource_breaks_the_foreign_keys_naming_it(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    _edit_descriptor(package, lambda d: _resource(d, "projects").update(name="Not A Name!"))
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("descriptor") == [
        ("datapackage.json", None, None),  # frictionless: not a valid resource name
        ("schemas/targets.json", None, None),  # targets.project_id refers to 'projects'
    ]


def test_invalid_table_schema_is_a_problem_of_the_schema_file(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    path = package / "schemas/projects.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["fields"][3]["type"] = "integr"
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("descriptor") == [("schemas/projects.json", None, None)]
    assert "integr" in outcome.problems[0]["message"]


def test_schema_that_is_not_json_names_its_line(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    (package / "schemas/projects.json").write_text('{\n  "fields": [\n    oops\n', encoding="utf-8")
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("descriptor") == [("schemas/projects.json", 3, None)]


def test_foreign_key_to_an_unlisted_resource(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    path = package / "schemas/projects.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["foreignKeys"][0]["reference"]["resource"] = "plans_old"
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    outcome = validate(package)
    assert outcome.of("descriptor") == [("schemas/projects.json", None, None)]
    assert "plans_old" in outcome.problems[0]["message"]


def test_unlisted_csv_in_resources(package: Path, validate: Callable[..., Outcome]) -> None:
    (package / "resources/forgotten.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("unlisted-file") == [("resources/forgotten.csv", None, None)]


def test_listed_file_that_does_not_exist(package: Path, validate: Callable[..., Outcome]) -> None:
    (package / "resources/projects.csv").unlink()
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("missing-file") == [("resources/projects.csv", None, None)]
    assert "foreign-key" not in outcome.rules()


@pytest.mark.parametrize(
    "path",
    [
        "../outside.csv",
        "resources/../../outside.csv",
        "/etc/hosts",
        "https://127.0.0.1:9/projects.csv",
        "file:///etc/hosts",
        "C:\\data\\projects.csv",
    ],
)
def test_unsafe_resource_path_is_reported_and_never_opened(
    package: Path,
    validate: Callable[..., Outcome],
    monkeypatch: pytest.MonkeyPatch,
    path: str,
) -> None:
    (package.parent / "outside.csv").write_text("project_id\nx\n", encoding="utf-8")
    _edit_descriptor(package, lambda d: _resource(d, "projects").update(path=path))

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("validation tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    outcome = validate(package)
    assert outcome.code == 1
    line = _line_holding(package, f'"path": {json.dumps(path)}')
    assert outcome.of("unsafe-path") == [("datapackage.json", line, None)]
    assert repr(path) in outcome.problems[0]["message"]
    # The real file is no longer listed, so it is reported too; the outside file is not read.
    assert outcome.of("unlisted-file") == [("resources/projects.csv", None, None)]
    assert all("outside" not in p["file"] for p in outcome.problems)


def test_symlink_leading_outside_the_package_is_unsafe(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    outside = package.parent / "outside.csv"
    outside.write_bytes((package / "resources/projects.csv").read_bytes())
    (package / "resources/projects.csv").unlink()
    (package / "resources/projects.csv").symlink_to(outside)
    outcome = validate(package)
    line = _line_holding(package, '"path": "resources/projects.csv"')
    assert outcome.of("unsafe-path") == [("datapackage.json", line, None)]
    assert "link" in outcome.problems[0]["message"]


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        ("resources/targets.csv", True),
        ("resources/sub/x.csv", True),
        ("resources/..x.csv", True),
        ("", False),
        ("..", False),
        ("a/../../b", False),
        ("/abs", False),
        ("\\\\server\\share", False),
        ("http://example.org/x.csv", False),
        ("//example.org/x.csv", False),
        ("resources\\x.csv", False),
    ],
)
def test_unsafe_reason(path: str, safe: bool) -> None:
    assert (unsafe_reason(path) is None) == safe


def test_listed_path_that_is_a_folder_is_unreadable(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    (package / "resources/projects.csv").unlink()
    (package / "resources/projects.csv").mkdir()
    outcome = validate(package)
    assert outcome.of("unreadable-file") == [("resources/projects.csv", None, None)]
