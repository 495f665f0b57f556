"""The list of checks: plain functions, each once, with their rule ids; the quote search starts
in the background only when the quote check runs. (That every rule id is in CONTRIBUTING.md's
table and in some check: tests/contrib/test_contrib_contributing.py.)"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from cnplans.validation import provenance, quote_search, runner
from cnplans.validation.checks import CHECKS, Check
from cnplans.validation.context import PackageContext
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


def test_the_quote_search_starts_as_each_text_is_read_only_for_the_quote_check(
    package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []

    def recorded(context: PackageContext, name: str | None) -> None:
        calls.append(name)
        started(context, name)

    started = quote_search.start_search
    monkeypatch.setattr(quote_search, "start_search", recorded)
    others = [check for check in CHECKS if check.run is not provenance.quotes_in_sources]
    assert validate_package(package, checks=others[:3]).valid
    assert calls == []
    assert validate_package(package, checks=[CHECKS[-1]]).valid
    assert calls[-1] is None and "sources" in calls and "targets" in calls


def test_a_search_that_fails_to_start_leaves_the_check_to_search(
    package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(context: PackageContext, name: str | None) -> None:
        raise RuntimeError("no thread")

    monkeypatch.setattr(quote_search, "start_search", broken)
    report = runner.validate_package(
        package, checks=[Check(("quote-not-in-source",), provenance.quotes_in_sources)]
    )
    assert report.valid and not report.crashed
