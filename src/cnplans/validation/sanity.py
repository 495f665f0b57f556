"""Values a type admits but the world does not: dates, periods, hierarchies, magnitudes, text.

Each rule is one function over whole columns, and skips a table or column that did not load:
``calendar-date`` (2024-02-30 is no day), ``period-order`` (a period ends in or after the year
it starts), ``region-cycle`` (no region is its own ancestor), ``number-range`` (finite, at most
:data:`MAX_ABS_NUMBER`: the whole economy of China is about 1.3e14 yuan a year; exchange rates
within :data:`RATE_RANGE`), ``blank-quote`` (a quote holds a word), ``control-character`` (no
NUL, ESC, ... that a terminal or a spreadsheet would act on; tab and line feed are text) and
``dialect`` (every file is UTF-8 with commas, double quotes and a header row).

>>> bool(CONTROL.search("a\\x1b[31m")), bool(CONTROL.search("a\\tb\\nc"))
(True, False)
>>> calendar_problem("2024-02-29"), calendar_problem("2023-02-29"), calendar_problem("2024-11")
(None, 'day is out of range for month', None)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import numpy as np

from cnplans.datapackage.table_schema import is_partial_date_field
from cnplans.validation.context import PackageContext, has, has_numbers
from cnplans.validation.package import descriptor_line
from cnplans.validation.problems import Problem
from cnplans.validation.rows import shown
from cnplans.validation.vectorized import arrow_text, to_numpy_bool

MAX_ABS_NUMBER = 1e16
RATE_FIELDS = ("units_per_usd", "fx_units_per_usd")  # units of a currency per US dollar
# Units of a currency per US dollar, from the dearest (the Kuwaiti dinar, about 0.3) to the
# cheapest (the Iranian rial, tens of thousands) with room on both sides.
RATE_RANGE = (1e-3, 1e6)
QUOTE_FIELD = "quote"
# C0 controls but tab and line feed, DEL, and C1 controls. CR is the line-ending rule's.
CONTROL = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_ARROW = "[\\x00-\\x08\\x0b-\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
# The dialect every file of the package is in (Table Schema's CSV Dialect defaults). Line ends
# are the line-ending rule's, whatever a dialect says.
PACKAGE_DIALECT = {
    "delimiter": ",",
    "quoteChar": '"',
    "doubleQuote": True,
    "header": True,
    "skipInitialSpace": False,
}
ENCODINGS = ("utf-8", "utf8")
_BLANK = "^[\\s\\x{00a0}\\x{3000}\\x{200b}\\x{feff}]+$"


def calendar_problem(text: str) -> str | None:
    """Why ``text`` (YYYY, YYYY-MM or YYYY-MM-DD) is not a date of the calendar, or None."""
    parts = [int(p) for p in text.split("-")]
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError as error:
        return str(error)
    return None


def calendar_dates(context: PackageContext) -> Iterator[Problem]:
    """Partial-date text cells that name no real day, month or year."""
    for table in context.tables.values():
        for f in table.schema.fields:
            if f.name not in table.raw.columns or not is_partial_date_field(f):
                continue
            cells = table.raw[f.name]
            wellformed = cells.str.fullmatch(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?").fillna(False)
            picked = cells[wellformed.astype(bool)]
            for line, text in zip(picked.index.tolist(), picked.tolist(), strict=True):
                why = calendar_problem(str(text))
                if why is not None:
                    yield table.problem(
                        int(line),
                        f.name,
                        "calendar-date",
                        f"{f.name} {shown(text)} is not a date of the calendar ({why}); expected "
                        "YYYY, YYYY-MM or YYYY-MM-DD naming a real year, month and day",
                    )


def period_order(context: PackageContext) -> Iterator[Problem]:
    """A plan's period_end is not before its period_start."""
    plans = context.table("plans")
    if not has_numbers(plans, "period_start", "period_end"):
        return
    start, end = plans.frame["period_start"], plans.frame["period_end"]
    inverted = (end < start).fillna(False).astype(bool)
    for line in plans.frame.index[inverted.to_numpy()].tolist():
        yield plans.problem(
            int(line),
            "period_end",
            "period-order",
            f"the period ends in {plans.text(line, 'period_end')}, before it starts in "
            f"{plans.text(line, 'period_start')}; expected period_end at or after period_start",
        )


def region_cycles(context: PackageContext) -> Iterator[Problem]:
    """Every chain of parent_id ends at a region with no parent: each cycle is told once."""
    regions = context.table("regions")
    if not has(regions, "region_id", "parent_id"):
        return
    ids = regions.raw["region_id"].astype(str).tolist()
    parents = dict(zip(ids, regions.raw["parent_id"].astype(str).tolist(), strict=True))
    line_of = dict(zip(ids, regions.raw.index.tolist(), strict=True))
    done: set[str] = set()
    for start in ids:
        path: list[str] = []
        node = start
        while node and node in parents and node not in done and node not in path:
            path.append(node)
            node = parents[node]
        if node in path:  # the walk came back to a region it passed: a cycle
            cycle = path[path.index(node) :]
            first = min(cycle, key=lambda region: line_of[region])
            chain = " -> ".join([*cycle[cycle.index(first) :], *cycle[: cycle.index(first)], first])
            yield regions.problem(
                int(line_of[first]),
                "parent_id",
                "region-cycle",
                f"region {first} is its own ancestor ({chain}); expected parent_id to lead up "
                "to a region with no parent",
            )
        done.update(path)


def number_ranges(context: PackageContext) -> Iterator[Problem]:
    """Numbers are finite and at most MAX_ABS_NUMBER in size; exchange rates within RATE_RANGE."""
    for table in context.tables.values():
        for f in table.schema.fields:
            if f.type != "number" or f.name not in table.frame.columns:
                continue
            values = table.frame[f.name].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            known = ~np.isnan(values)
            with np.errstate(invalid="ignore"):
                huge = known & ~(np.abs(values) <= MAX_ABS_NUMBER)
                rate = (values >= RATE_RANGE[0]) & (values <= RATE_RANGE[1])
            wrong_rate = known & ~rate & (f.name in RATE_FIELDS)
            for wrong, expected in (
                (
                    huge,
                    f"a finite number of at most {MAX_ABS_NUMBER:.0e} in size; expected a value "
                    "in base units (yuan, not billions) that a plan can state",
                ),
                (
                    wrong_rate,
                    f"a rate a currency has: expected {RATE_RANGE[0]:g} to {RATE_RANGE[1]:,.0f} "
                    "units of the currency per US dollar",
                ),
            ):
                for line in table.frame.index[wrong].tolist():
                    value = shown(table.text(line, f.name))
                    message = f"{f.name} {value} is not {expected}"
                    yield table.problem(int(line), f.name, "number-range", message)


def text_cells(context: PackageContext) -> Iterator[Problem]:
    """Quotes that are only spaces, and text cells holding control characters."""
    import pyarrow.compute as pc

    for table in context.tables.values():
        for f in table.schema.fields:
            if f.type != "string" or f.name not in table.raw.columns:
                continue
            text = arrow_text(table.raw[f.name])
            control = to_numpy_bool(pc.match_substring_regex(text, _CONTROL_ARROW))
            for line in table.raw.index[control].tolist():
                cell = table.text(line, f.name)
                found = CONTROL.search(cell)
                assert found is not None
                character = found.group()
                yield table.problem(
                    int(line),
                    f.name,
                    "control-character",
                    f"{f.name} holds the control character {character!r} (U+{ord(character):04X}) "
                    f"at character {found.start() + 1}; expected text without control characters",
                )
            if f.name != QUOTE_FIELD:
                continue
            blank = to_numpy_bool(pc.match_substring_regex(text, _BLANK))
            for line in table.raw.index[blank].tolist():
                yield table.problem(
                    int(line),
                    f.name,
                    "blank-quote",
                    "the quote holds only spaces; expected the words of the source that state "
                    "the row (or an empty cell where none is needed)",
                )


def declared_dialects(context: PackageContext) -> Iterator[Problem]:
    """Resources that declare an encoding or a CSV dialect other than the package's own."""
    for number, resource in enumerate(context.descriptor.get("resources") or []):
        if not isinstance(resource, dict):
            continue
        name = str(resource.get("name", f"resources[{number}]"))
        line = descriptor_line(context, "name", name) if "name" in resource else None
        encoding, dialect = resource.get("encoding"), resource.get("dialect")
        declared = []
        if encoding is not None and str(encoding).lower() not in ENCODINGS:
            declared.append(
                f"the encoding {shown(encoding)}; expected UTF-8, the encoding of every file of "
                "the package (remove the key; write the file in UTF-8)"
            )
        other = (
            {
                key: value
                for key, value in dialect.items()
                if key != "lineTerminator" and PACKAGE_DIALECT.get(key) != value
            }
            if isinstance(dialect, dict)
            else {"dialect": dialect}
        )
        if dialect is not None and other:
            declared.append(
                f"the CSV dialect {shown(other)}; expected the package's own (commas, double "
                "quotes, a header row): remove the key and run `cnplans fmt`"
            )
        for what in declared:
            message = f"resource {name!r} declares {what}"
            yield Problem(context.descriptor_label, line, None, "dialect", message)
