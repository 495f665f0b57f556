"""Validate a data package: load it, run every check of the list, collect sorted problems."""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cnplans.validation import checks as listed
from cnplans.validation.checks import Check
from cnplans.validation.context import DEFAULT_MAX_FILE_BYTES, PackageContext
from cnplans.validation.package import load_package
from cnplans.validation.problems import Problem, sorted_problems


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
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    checks: Sequence[Check] | None = None,
) -> Report:
    """Validate the package described by ``descriptor_path`` (a file or its folder).

    ``checks`` defaults to :data:`cnplans.validation.checks.CHECKS`, run in their order.
    Raises :class:`cnplans.validation.package.CannotRun` when the descriptor itself is unusable.
    Nothing is written.
    """
    context = load_package(descriptor_path, max_file_bytes=max_file_bytes)
    problems = list(context.problems)
    crashed = []
    for check in listed.CHECKS if checks is None else checks:
        try:
            problems.extend(check.run(context))
        except Exception as error:  # a bug in one check must not hide the others' problems
            last = traceback.extract_tb(error.__traceback__)[-1]
            crashed.append(
                f"{check.name}: {type(error).__name__}: {error} "
                f"({Path(last.filename).name}:{last.lineno})"
            )
    return Report(context, _with_column_numbers(context, problems), crashed)


def _with_column_numbers(context: PackageContext, problems: list[Problem]) -> list[Problem]:
    tables = {table.path: table for table in context.tables.values()}
    numbered = []
    for problem in problems:
        table = tables.get(problem.file)
        if table is not None and problem.column_number is None:
            number = table.column_number(problem.column)
            if number is not None:
                problem = dataclasses.replace(problem, column_number=number)
        numbered.append(problem)
    return sorted_problems(numbered)
