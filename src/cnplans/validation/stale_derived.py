"""Derived US dollar cells of ``targets`` that disagree with the exchange-rate table.

The rule is :mod:`cnplans.convert`'s (the IATI value-date rule, rates of ``exchange_rates``):
this check recomputes ``usd``, ``fx_year``, ``fx_units_per_usd`` and ``fx_basis`` for every
target and reports each cell that differs (numbers compared to 6 significant figures) as
``stale-derived-value`` at its line and column, and each target whose basis year has no rate as
``missing-exchange-rate``. ``cnplans convert`` fixes the first; adding the rate the second.

The computation is vectorized over the columns and gives exactly what
:func:`cnplans.convert.find_stale` gives row by row: plan and source dates, units and rates are
looked up once per distinct value; ``usd`` is ``value / rate`` in floating point wherever that
provably rounds to the same whole dollar as the decimal division (plain decimal texts, far from
a half), and goes through :func:`cnplans.convert.derive` otherwise; a derived cell whose text
equals the file's is current, and only the cells that differ are compared by
:func:`cnplans.convert.same_cell`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cnplans.convert import DERIVED_COLUMNS, derive, is_money, same_cell, year_of
from cnplans.fx import DEFAULT_PROVIDER, RESOURCE_NAME, USD, MissingRateError, RateTable
from cnplans.validation.context import PackageContext
from cnplans.validation.problems import Problem
from cnplans.validation.registry import register_check
from cnplans.validation.vectorized import (
    arrow_text,
    per_chunk,
    text_chunks,
    text_lengths,
    to_numpy_bool,
    with_validity,
)

_TARGET_COLUMNS = ("plan_id", "source_id", "unit", "value", *DERIVED_COLUMNS)
_BASES = ("", "plan_issued", "source_published", "unknown")  # fx_basis by code
_PLAIN_VALUE = r"^[0-9]{1,15}(?:\.[0-9]{1,6})?$"  # texts float() and Decimal() read alike
_PLAIN_RATE = r"[0-9]{1,6}(?:\.[0-9]{1,8})?"
_LARGEST_FAST_DOLLARS = 2.0**50
_CANONICAL_INTEGER = r"^(?:0|[1-9][0-9]{0,17})$"  # how str() writes a non-negative integer


def _rows(raw: pd.DataFrame, columns: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """``(line, {column: text})`` for every row of a (small) text table indexed by line."""
    records = raw[list(columns)].to_dict("records")
    return [
        (int(line), {str(k): str(v) for k, v in record.items()})
        for line, record in zip(raw.index.tolist(), records, strict=True)
    ]


def _shown(text: str) -> str:
    return repr(text) if text else "an empty cell"


def _codes(keys: pd.Series, values: list[str] | Any) -> np.ndarray:
    """Position of each key in ``values`` (a list or a pyarrow array; -1 when absent), as int32."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, list):
        values = pa.array(values, type=pa.large_string())
    position = pc.index_in(arrow_text(keys), value_set=values)
    return np.asarray(pc.fill_null(position, -1).to_numpy(zero_copy_only=False), dtype=np.int32)


@dataclass
class Dates:
    """Ids and the years of their (possibly partial) dates, looked up by :func:`_years`."""

    ids: Any  # pyarrow large_string array
    years: np.ndarray  # year of each id's date, -1 when none; one more -1 at the end

    @classmethod
    def of(cls, dates: Mapping[str, str]) -> Dates:
        import pyarrow as pa

        years = [year_of(date) or -1 for date in dates.values()]
        return cls(pa.array(list(dates), type=pa.large_string()), np.array([*years, -1], np.int32))


def _years(dates: Dates, keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """For each key: whether ``dates`` has it, and the year of its date (-1 when none)."""
    position = _codes(keys, dates.ids)
    return position >= 0, dates.years[position]  # position -1 takes the trailing -1


def _integers_written_as(column: pd.Series, numbers: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Whether each cell of ``column`` is the text ``str(numbers[i])``, on ``rows`` only.

    A non-negative integer is written one way: digits without a leading zero.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = text_chunks(column)
    canonical = [
        to_numpy_bool(pc.match_substring_regex(chunk, _CANONICAL_INTEGER)) for chunk in chunks
    ]
    written = np.concatenate(canonical) if canonical else np.zeros(0, dtype=bool)
    written &= rows
    parts = [
        np.asarray(
            pc.fill_null(pc.cast(with_validity(c, k), pa.int64()), 0).to_numpy(zero_copy_only=False)
        )
        for c, k in zip(chunks, per_chunk(written, chunks), strict=True)
    ]
    values = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return written & (values == numbers)


def _texts_in(column: pd.Series, texts: list[str]) -> np.ndarray:
    """Position of each cell's text in ``texts`` (distinct), -1 when it is none of them."""
    return _codes(column, texts)


@dataclass
class Stale:
    """What the check found: ``(line, column, expected, found)`` and ``(line, sentence)``."""

    cells: list[tuple[int, str, str, str]]
    missing: list[tuple[int, str]]


def find_stale_columns(
    raw: pd.DataFrame,
    issued: Mapping[str, str] | Dates,
    published: Mapping[str, str] | Dates,
    rates: RateTable,
    provider: str = DEFAULT_PROVIDER,
) -> Stale:
    """Stale derived cells of the text table ``raw`` (indexed by line), vectorized.

    Same arguments (the dates may also come as :class:`Dates`, built once for many parts) and
    results as :func:`cnplans.convert.find_stale`, in the same order (rows
    whose plan or source is unknown, or whose value does not parse, are skipped). The expected
    cells are never written out as text for every row: each found cell is compared with what
    it should say (a number, one of the rate texts, one of the bases), and only the cells that
    differ are written and checked by :func:`cnplans.convert.same_cell`.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = raw.index.to_numpy()
    n = len(raw)
    issued = issued if isinstance(issued, Dates) else Dates.of(issued)
    published = published if isinstance(published, Dates) else Dates.of(published)
    plan_known, plan_year = _years(issued, raw["plan_id"])
    source_known, source_year = _years(published, raw["source_id"])
    known = plan_known & source_known
    del plan_known, source_known

    units = [str(u) for u in pc.unique(arrow_text(raw["unit"])).to_pylist()]
    unit_codes = _codes(raw["unit"], units)
    money = np.array([is_money(u) for u in units] + [False], dtype=bool)[unit_codes] & known
    year = np.where(plan_year >= 0, plan_year, source_year)
    basis = np.where(plan_year >= 0, 1, np.where(source_year >= 0, 2, 3)).astype(np.int8)
    basis[~money] = 0
    converting = money & (year >= 0)
    del money

    # One rate lookup per distinct (unit, year).
    pair = np.where(converting, unit_codes.astype(np.int64) * 10_000 + year, -1)
    pair_codes, pairs = pd.factorize(pair)
    del pair
    rate_texts, rate_values, messages = [], [], []
    for value in pairs.tolist():
        unit, pair_year = units[value // 10_000] if value >= 0 else "", value % 10_000
        text, message = "", ""
        if value >= 0:
            try:
                text = (
                    "1" if unit == USD else rates.require(unit, pair_year, provider).units_per_usd
                )
            except MissingRateError as error:
                message = str(error)
        rate_texts.append(text)
        messages.append(message)
        plain = re.fullmatch(_PLAIN_RATE, text) is not None
        rate_values.append(float(text) if plain and float(text) > 0 else np.nan)
    missing_of_pair = np.array([bool(m) for m in messages], dtype=bool)
    row_missing = converting & missing_of_pair[pair_codes]
    rated = converting & ~row_missing
    del converting

    # usd in floating point where it provably rounds like the decimal division.
    value_chunks = text_chunks(raw["value"])
    plain_parts = [to_numpy_bool(pc.match_substring_regex(c, _PLAIN_VALUE)) for c in value_chunks]
    rate = np.asarray(rate_values, dtype=np.float64)[pair_codes]
    fast = rated & ~np.isnan(rate)
    fast &= np.concatenate(plain_parts) if plain_parts else np.zeros(0, dtype=bool)
    amount_parts = [
        np.asarray(pc.cast(with_validity(c, k), pa.float64()).to_numpy(zero_copy_only=False))
        for c, k in zip(value_chunks, per_chunk(fast, value_chunks), strict=True)
    ]
    quotient = np.concatenate(amount_parts) if amount_parts else np.zeros(0)
    del amount_parts
    np.divide(quotient, np.where(fast, rate, 1.0), out=quotient)
    del rate
    with np.errstate(invalid="ignore"):
        near_half = np.abs(quotient - np.floor(quotient) - 0.5)
        near_half -= 1e-15 * np.abs(quotient) + 1e-9  # positive: far enough from a half
        fast &= (quotient < _LARGEST_FAST_DOLLARS) & (near_half > 0)
        del near_half
        dollars = np.where(fast, np.rint(quotient), 0).astype(np.int64)
    del quotient

    skipped = np.zeros(n, dtype=bool)
    slow_usd: dict[int, str] = {}
    slow = np.flatnonzero(rated & ~fast)
    if slow.size:
        values = raw["value"].iloc[slow].tolist()
        for row, value in zip(slow.tolist(), values, strict=True):
            unit = units[unit_codes[row]]
            issued_text = "" if plan_year[row] < 0 else str(plan_year[row])
            published_text = "" if source_year[row] < 0 else str(source_year[row])
            try:
                derived = derive(unit, str(value), issued_text, published_text, rates, provider)
            except (MissingRateError, ValueError):  # the rate was found above: a bad value
                skipped[row] = True
            else:
                slow_usd[row] = derived.usd
    checked = known & ~row_missing & ~skipped
    del known, skipped

    def expected(column: str, row: int) -> str:
        if column == "usd":
            if row in slow_usd:
                return slow_usd[row]
            return str(int(dollars[row])) if fast[row] else ""
        if column == "fx_year":
            return str(int(year[row])) if rated[row] else ""
        if column == "fx_units_per_usd":
            return rate_texts[pair_codes[row]] if rated[row] else ""
        return _BASES[basis[row]]

    # Which found cells already say exactly what they should (no text built per row).
    empty = {c: text_lengths(raw[c]) == 0 for c in DERIVED_COLUMNS}
    same = {
        "usd": np.where(fast, _integers_written_as(raw["usd"], dollars, fast), empty["usd"]),
        "fx_year": np.where(
            rated, _integers_written_as(raw["fx_year"], year, rated), empty["fx_year"]
        ),
    }
    distinct_rates = sorted(set(rate_texts))
    rate_code = np.array([distinct_rates.index(t) for t in rate_texts] + [-2], dtype=np.int32)
    found_rate = _texts_in(raw["fx_units_per_usd"], distinct_rates)
    same["fx_units_per_usd"] = np.where(
        rated, found_rate == rate_code[pair_codes], empty["fx_units_per_usd"]
    )
    same["fx_basis"] = _texts_in(raw["fx_basis"], list(_BASES)) == basis
    for row in slow_usd:
        same["usd"][row] = False  # written by derive(): compared below
    differing = {c: checked & ~same[c] for c in DERIVED_COLUMNS}
    rows = np.flatnonzero(np.logical_or.reduce(list(differing.values())))
    cells: list[tuple[int, str, str, str]] = []
    for row in rows.tolist():
        for column in DERIVED_COLUMNS:
            if differing[column][row]:
                wanted = expected(column, row)
                found = str(raw[column].iat[row])
                if not same_cell(column, wanted, found):
                    cells.append((int(lines[row]), column, wanted, found))
    missing = [
        (int(lines[row]), messages[pair_codes[row]]) for row in np.flatnonzero(row_missing).tolist()
    ]
    return Stale(cells, missing)


_ROWS_AT_A_TIME = 1 << 18


@register_check
def stale_derived_values(context: PackageContext) -> Iterator[Problem]:
    """Derived cells of targets that ``cnplans convert`` would change, and rates it lacks."""
    yield from _stale_problems(context)


def _stale_problems(context: PackageContext) -> Iterator[Problem]:
    targets = context.table("targets")
    plans = context.table("plans")
    sources = context.table("sources")
    rates_table = context.table(RESOURCE_NAME)
    if targets is None or plans is None or sources is None or rates_table is None:
        return
    if not set(_TARGET_COLUMNS) <= set(targets.raw.columns):
        return  # the header problem is reported elsewhere
    if "issued" not in plans.raw.columns or "published" not in sources.raw.columns:
        return
    rate_columns = {"currency", "year", "provider", "units_per_usd"}
    if not rate_columns <= set(rates_table.raw.columns):
        return
    rates = RateTable.from_rows(Path(rates_table.path), _rows(rates_table.raw, rate_columns))
    issued = Dates.of(dict(zip(plans.raw["plan_id"], plans.raw["issued"], strict=True)))
    published = Dates.of(dict(zip(sources.raw["source_id"], sources.raw["published"], strict=True)))
    cells: list[tuple[int, str, str, str]] = []
    missing: list[tuple[int, str]] = []
    for start in range(0, len(targets.raw), _ROWS_AT_A_TIME):  # temporaries stay small
        part = find_stale_columns(
            targets.raw.iloc[start : start + _ROWS_AT_A_TIME], issued, published, rates
        )
        cells.extend(part.cells)
        missing.extend(part.missing)
    for line, column, expected, text in cells:
        yield Problem(
            targets.path,
            line,
            column,
            "stale-derived-value",
            f"expected {_shown(expected)} from {rates_table.path}, found {_shown(text)}; "
            "run `cnplans convert` to recompute the derived columns",
        )
    for line, sentence in missing:
        yield Problem(targets.path, line, "fx_year", "missing-exchange-rate", sentence)
