"""The checks ``cnplans validate`` runs, in order, and how to add one.

A check is a plain function that takes the loaded package and returns (or yields) problems::

    from collections.abc import Iterator

    from cnplans.validation.context import PackageContext
    from cnplans.validation.problems import Problem

    def stale_dollars(context: PackageContext) -> Iterator[Problem]:
        targets = context.table("targets")  # None when absent or unreadable: then skip
        if targets is None:
            return
        ...  # vectorized pandas over targets.frame (typed) or targets.raw (text)
        yield targets.problem(line, "usd", "stale-dollars", "expected ..., found ...")

To plug it in, add ``Check(("stale-dollars",), module.stale_dollars)`` to :data:`CHECKS`, with
every rule id it reports (each must be in CONTRIBUTING.md's table of rules). Tables are indexed
by the physical line each row starts on, so ``line`` is the row's index label; the runner fills
in the column's position for annotations and sorts the problems. A check must not write
anything and must skip, not fail, when a table it needs is missing (that table's own problems
are already reported). Programs can also pass ``checks=[...]`` to
:func:`cnplans.validation.runner.validate_package` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cnplans.validation import (
    canonical,
    numbers,
    provenance,
    reading,
    rows,
    rules,
    sanity,
    stale_derived,
    wording,
)
from cnplans.validation.context import PackageContext
from cnplans.validation.problems import Problem


@dataclass(frozen=True)
class Check:
    """A check: the rule ids its problems have, and the function that finds them."""

    rules: tuple[str, ...]
    run: Callable[[PackageContext], Iterable[Problem]]

    @property
    def name(self) -> str:
        """The check's dotted name (module and function), for messages about it."""
        return f"{self.run.__module__}.{getattr(self.run, '__qualname__', repr(self.run))}"


CHECKS: tuple[Check, ...] = (
    Check(("type", "enum"), rows.cell_types),
    Check(
        (
            "required",
            "unique",
            "primary-key",
            "minimum",
            "maximum",
            "pattern",
            "enum",
            "min-length",
            "max-length",
            "constraint-error",
        ),
        rows.constraints,
    ),
    Check(("sort-order",), rows.sort_order),
    Check(("foreign-key",), rules.foreign_keys),
    Check(("value-range", "range-qualifier"), rules.target_values),
    Check(("target-year",), rules.target_year_after_issue),
    Check(("plan-without-facts",), rules.plans_have_facts),
    Check(("formula-injection",), rules.formula_injection),
    Check(("calendar-date",), sanity.calendar_dates),
    Check(("period-order",), sanity.period_order),
    Check(("region-cycle",), sanity.region_cycles),
    Check(("number-range",), sanity.number_ranges),
    Check(("control-character", "blank-quote"), sanity.text_cells),
    Check(("dialect",), sanity.declared_dialects),
    Check(("source-path",), provenance.source_paths),
    Check(
        (
            "source-hash",
            "unsafe-path",
            "missing-file",
            "file-too-large",
            "unreadable-file",
            "encoding",
            "control-character",
        ),
        provenance.source_hashes,
    ),
    Check(("stale-derived-value", "missing-exchange-rate"), stale_derived.stale_derived_values),
    Check(
        (
            "number-not-stated",
            "unit-disagrees",
            "qualifier-disagrees",
            "strive-disagrees",
            "year-basis",
        ),
        numbers.target_numbers,
    ),
    Check(("unit-indicator",), numbers.target_unit_fits_indicator),
    Check(("number-not-stated",), numbers.project_numbers),
    Check(("number-not-stated", "year-basis"), numbers.plan_years),
    Check(("number-not-stated",), numbers.source_dateline_years),
    Check(("number-not-stated",), numbers.measure_ordinals),
    Check(("name-not-in-quote",), wording.names_in_quotes),
    Check(("source-words",), wording.source_words),
    Check(("region-link",), wording.region_links),
    Check(("region-link-ancestor",), wording.region_link_ancestors),
    Check(("id-prefix",), wording.id_prefixes),
    Check(("id-reused",), wording.ids_reused),
    Check(("non-canonical-csv",), canonical.canonical_csv),
    Check(("quote-not-in-source",), provenance.quotes_in_sources),
)

# Rules of the problems found while loading the package (descriptor, schemas, CSV reading),
# before any check runs: cnplans.validation.package and cnplans.validation.reading.
LOADING_RULES: tuple[str, ...] = (
    "descriptor",
    "unsafe-path",
    "unlisted-file",
    *reading.READING_RULES,
    "unknown-column",
    "missing-column",
)
