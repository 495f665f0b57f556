"""The list of checks ``cnplans validate`` runs, and how to add one.

A check is a function that takes the loaded package and returns (or yields) problems::

    from collections.abc import Iterator

    from cnplans.validation.context import PackageContext
    from cnplans.validation.problems import Problem
    from cnplans.validation.registry import register_check

    @register_check
    def stale_dollars(context: PackageContext) -> Iterator[Problem]:
        targets = context.table("targets")  # None when absent or unreadable: then skip
        if targets is None:
            return
        ...  # vectorized pandas over targets.frame (typed) or targets.raw (text)
        yield Problem(targets.path, line, "usd", "stale-dollars", "expected ..., found ...")

To plug it in, append the module that defines it to :data:`CHECK_MODULES` (one line, like the
``COMMANDS`` table of ``cnplans.cli``); the runner imports those modules, which registers their
checks. Keep heavy imports inside the check function or in a module only listed here. Tables
are indexed by the physical line each row starts on, so ``line`` is the row's index label; the
runner fills in the column's position for annotations and sorts the problems. A check must not
write anything and must skip, not fail, when a table it needs is missing (that table's own
problems are already reported). Results several checks need (say, a parsed rate table) can be
kept in ``context.cache`` under a key such as ``"<module>:<what>"``. Programs can also pass
``checks=[...]`` to :func:`cnplans.validation.runner.validate_package` directly.

A check whose work is long and independent of the typed tables can start it early: decorate it
with ``@started_by(step)``. The runner calls ``step(context, name)`` as soon as each table's
text is read (``context.texts[name]``) and ``step(context, None)`` once all are, before the
schemas are checked and the cells typed; the step starts work in the background. Such checks
run after the others, so the work overlaps them; the check then collects its result (see
:mod:`cnplans.validation.quote_search`). A check must still skip a table whose schema is not
usable (it is in ``context.texts`` but not in ``context.tables``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from cnplans.validation.context import PackageContext
from cnplans.validation.problems import Problem

Check = Callable[[PackageContext], Iterable[Problem]]
Step = Callable[[PackageContext, str | None], None]

# Modules whose import registers checks, in the order their checks run. Append only.
CHECK_MODULES: list[str] = [
    "cnplans.validation.rows",
    "cnplans.validation.rules",
    "cnplans.validation.provenance",
    "cnplans.validation.stale_derived",
    "cnplans.validation.numbers",
    "cnplans.validation.wording",
    "cnplans.validation.canonical",
]

_REGISTERED: dict[str, Check] = {}
_STARTED_BY: dict[str, Step] = {}


def check_name(check: Check) -> str:
    """The dotted name a check is registered under (module and function name)."""
    module = getattr(check, "__module__", "?")
    return f"{module}.{getattr(check, '__qualname__', repr(check))}"


def register_check(check: Check) -> Check:
    """Register ``check`` to run on every validation (usable as a decorator)."""
    _REGISTERED[check_name(check)] = check
    return check


def registered_checks() -> list[Check]:
    """Every registered check, after importing the modules in :data:`CHECK_MODULES`."""
    for module in CHECK_MODULES:
        importlib.import_module(module)
    return list(_REGISTERED.values())


def started_by(step: Step) -> Callable[[Check], Check]:
    """Mark a check whose work ``step`` starts in the background once the text is read."""

    def mark(check: Check) -> Check:
        _STARTED_BY[check_name(check)] = step
        return check

    return mark


def early_steps(checks: Iterable[Check]) -> list[Step]:
    """The background steps of ``checks``, in their order (each step once)."""
    steps: list[Step] = []
    for check in checks:
        step = _STARTED_BY.get(check_name(check))
        if step is not None and step not in steps:
            steps.append(step)
    return steps


def waits_for_background(check: Check) -> bool:
    """Whether ``check`` collects work started in the background (the runner runs it last)."""
    return check_name(check) in _STARTED_BY
