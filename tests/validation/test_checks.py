"""The list of checks: plain functions, each once, with their rule ids; the source files are
read only when a check needs them. (That every rule id is in CONTRIBUTING.md's
table and in some check: tests/drafting/test_contrib_contributing.py.)"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from cnplans.validation import provenance, runner
from cnplans.validation.checks import CHECKS, Check
from cnplans.validation.context import PackageContext, TextTable
from cnplans.validation.runner import validate_package


def test_every_check_is_a_module_function_listed_once_with_its_rules() -> None:
    functions = [check.run for check in CHECKS]
    assert len(set(functions)) == len(functions)
    for check in CHECKS:
        assert inspect.isfunction(check.run) and check.run.__module__.startswith(
            "cnplans.validation."
        )
        assert check.rules and len(set(check.rules)) == len(check.rules), check.name
        assert "<locals>" not in check.name


def test_the_quote_check_comes_last_so_its_search_overlaps_the_others() -> None:
    assert CHECKS[-1].run is provenance.quotes_in_sources


def test_the_source_files_are_read_only_for_the_checks_that_need_them(
    package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def recorded(context: PackageContext, sources: TextTable) -> object:
        calls.append(sources.name)
        return read(context, sources)

    read = provenance._read_sources
    monkeypatch.setattr(provenance, "_read_sources", recorded)
    others = [check for check in CHECKS if check.run is not provenance.quotes_in_sources]
    assert validate_package(package, checks=others[:3]).valid
    assert calls == []
    assert validate_package(package, checks=[CHECKS[-1]]).valid
    assert calls == ["sources"]  # once, for the quote check


def test_a_quote_search_that_fails_is_reported_and_hides_no_other_problem(
    package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("no search")

    monkeypatch.setattr(provenance, "absent_quotes", broken)
    (package / "resources" / "stray.csv").write_text("a\n1\n", encoding="utf-8")
    report = runner.validate_package(
        package, checks=[Check(("quote-not-in-source",), provenance.quotes_in_sources)]
    )
    assert [problem.rule for problem in report.problems] == ["unlisted-file"]
    assert len(report.crashed) == 1 and "no search" in report.crashed[0]
