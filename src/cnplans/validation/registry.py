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
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from cnplans.validation.context import PackageContext
from cnplans.validation.problems import Problem

Check = Callable[[PackageContext], Iterable[Problem]]

# Modules whose import registers checks, in the order their checks run. Append only.
CHECK_MODULES: list[str] = [
    "cnplans.validation.rows",
    "cnplans.validation.rules",
    "cnplans.validation.provenance",
    "cnplans.validation.stale_derived",
]

_REGISTERED: dict[str, Check] = {}


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
