"""Validate a data package: load it, run every check of the list, collect sorted problems.

Frictionless' verdict on the descriptor and schemas comes from a child process
(:mod:`cnplans.validation.frictionless_metadata`), started first and sent its request (the
descriptor and schemas, read without pandas) before the loading imports pandas and pandera, so
that the child's imports and check run while this process imports and checks the tables.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cnplans.datapackage.paths import MAX_FILE_BYTES
from cnplans.validation.frictionless_metadata import Child
from cnplans.validation.problems import Problem, sorted_problems

if TYPE_CHECKING:
    from cnplans.validation.checks import Check
    from cnplans.validation.context import PackageContext


@dataclass
class Report:
    """The outcome of a validation run."""

    context: PackageContext
    problems: list[Problem]
    crashed: list[str] = field(default_factory=list)  # "check: error" for checks that failed

    @property
    def valid(self) -> bool:
        return not self.problems and not self.crashed

    def stats(self) -> str:
        """A short account of what was checked, e.g. ``8 tables, 233 rows``."""
        tables = len(self.context.tables)
        rows = sum(len(t.raw) for t in self.context.tables.values())
        return f"{tables} {'table' if tables == 1 else 'tables'}, {rows} rows"


def validate_package(
    descriptor_path: Path,
    *,
    max_file_bytes: int = MAX_FILE_BYTES,
    checks: Sequence[Check] | None = None,
) -> Report:
    """Validate the package described by ``descriptor_path`` (a file or its folder) with
    ``checks`` (default :data:`cnplans.validation.checks.CHECKS`), writing nothing.

    Raises :class:`cnplans.validation.problems.CannotRun` when the descriptor is unusable.
    """
    child = Child()  # imports frictionless while this process imports the rest
    try:
        from cnplans.validation.package import load_package

        context = load_package(descriptor_path, max_file_bytes, metadata_child=child)
    except BaseException:
        child.stop()
        raise
    from cnplans.validation import checks as listed

    checks = listed.CHECKS if checks is None else checks
    problems, crashed = _run_checks(context, checks)
    rejected, metadata_problems = context.metadata.result() if context.metadata else (set(), [])
    if rejected:  # frictionless finds schemas not valid: check again without them
        context = load_package(descriptor_path, max_file_bytes, rejected)
        problems, crashed = _run_checks(context, checks)
    problems.extend(metadata_problems)
    return Report(context, _with_column_numbers(context, problems), crashed)


def _run_checks(
    context: PackageContext, checks: Sequence[Check]
) -> tuple[list[Problem], list[str]]:
    """The problems found while loading and by every check; "check: error" for checks that
    failed."""
    problems = list(context.problems)
    crashed = []
    for check in checks:
        try:
            problems.extend(check.run(context))
        except Exception as error:  # a bug in one check must not hide the others' problems
            last = traceback.extract_tb(error.__traceback__)[-1]
            crashed.append(
                f"{check.name}: {type(error).__name__}: {error} "
                f"({Path(last.filename).name}:{last.lineno})"
            )
    return problems, crashed


def _with_column_numbers(context: PackageContext, problems: list[Problem]) -> list[Problem]:
    """The problems, sorted, each told the position of its column in its file's header."""
    tables = {table.path: table for table in context.tables.values()}
    return sorted_problems(
        dataclasses.replace(p, column_number=tables[p.file].column_number(p.column))
        if p.file in tables and p.column_number is None
        else p
        for p in problems
    )
