"""Derived US dollar cells of ``targets`` that disagree with the exchange-rate table.

The rule is :mod:`cnplans.conversion.convert`'s (the IATI value-date rule, rates of
``exchange_rates``):
:func:`find_stale_columns` recomputes ``usd``, ``fx_year``, ``fx_units_per_usd`` and
``fx_basis`` for every target and compares them with the cells. It is the one computation of
which derived cells are stale: this module's check reports each stale cell (numbers compared to
6 significant figures) as ``stale-derived-value`` at its line and column, and each target whose
basis year has no rate as ``missing-exchange-rate``; ``cnplans convert`` rewrites the cells it
lists (:func:`cnplans.conversion.convert.compute_conversion`) and ``convert --check`` prints the
stale ones.

The computation is vectorized over the columns and gives what
:func:`cnplans.conversion.convert.derive` and :func:`cnplans.conversion.convert.same_cell` give row
by row: plan and source dates, units and rates are looked up once per distinct value; ``usd`` is
``value / rate`` in floating point wherever that provably rounds to the same whole dollar as the
decimal division (plain decimal texts, far from a half), and goes through
:func:`cnplans.conversion.convert.derive` otherwise; a derived cell whose text equals the expected
text is current, and only the cells that differ are written out and compared by
:func:`cnplans.conversion.convert.same_cell`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cnplans.conversion.convert import DERIVED_COLUMNS, derive, is_money, same_cell, year_of
from cnplans.conversion.fx import DEFAULT_PROVIDER, RESOURCE_NAME, USD, MissingRateError, RateTable
from cnplans.validation.context import PackageContext
from cnplans.validation.problems import Problem
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

        years = [-1 if (year := year_of(date)) is None else year for date in dates.values()]
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
    equal: np.ndarray = written & (values == numbers)
    return equal


def _texts_in(column: pd.Series, texts: list[str]) -> np.ndarray:
    """Position of each cell's text in ``texts`` (distinct), -1 when it is none of them."""
    return _codes(column, texts)


@dataclass
class Comparison:
    """The derived cells of a text table of targets compared with what the rates give.

    Every list is in the order of the rows (and, within a row, of :data:`DERIVED_COLUMNS`).
    """

    cells: list[tuple[int, str, str, str]]  # (line, column, expected, found): stale cells
    missing: list[tuple[int, str]]  # (line, sentence): rows whose basis year has no rate
    # (line, column, expected, found) for every cell whose text is not the expected text: the
    # stale cells and those only written differently ("7.19570" for "7.1957"), which
    # ``cnplans convert`` rewrites
    rewrites: list[tuple[int, str, str, str]]
    # (line, sentence): rows not compared, their plan or source unknown or their value not a
    # number (other rules report them; ``cnplans convert`` stops at the first)
    skipped: list[tuple[int, str]]
    # money targets compared, by fx_basis, in the order plan_issued, source_published, unknown
    bases: dict[str, int]


_ROWS_AT_A_TIME = 1 << 18  # rows compared at once, so the temporaries stay small


def find_stale_columns(
    raw: pd.DataFrame,
    issued: Mapping[str, str] | Dates,
    published: Mapping[str, str] | Dates,
    rates: RateTable,
    provider: str = DEFAULT_PROVIDER,
) -> Comparison:
    """Compare the derived cells of the text table ``raw`` (indexed by line) with the rates.

    ``raw`` has at least the columns plan_id, source_id, unit, value and the four derived ones;
    ``issued`` maps plan ids to ``plans.issued`` and ``published`` source ids to
    ``sources.published`` (either may come as :class:`Dates`). Rows whose plan or source is
    unknown, or whose value is not a number, are left out (listed in ``skipped``). The rows are
    compared :data:`_ROWS_AT_A_TIME` at a time.
    """
    issued = issued if isinstance(issued, Dates) else Dates.of(issued)
    published = published if isinstance(published, Dates) else Dates.of(published)
    found = Comparison([], [], [], [], {})
    for start in range(0, len(raw), _ROWS_AT_A_TIME):
        part = _compare_part(
            raw.iloc[start : start + _ROWS_AT_A_TIME], issued, published, rates, provider
        )
        found.cells.extend(part.cells)
        found.missing.extend(part.missing)
        found.rewrites.extend(part.rewrites)
        found.skipped.extend(part.skipped)
        for basis, count in part.bases.items():
            found.bases[basis] = found.bases.get(basis, 0) + count
    found.bases = {basis: found.bases[basis] for basis in _BASES[1:] if basis in found.bases}
    return found


def _compare_part(
    raw: pd.DataFrame, issued: Dates, published: Dates, rates: RateTable, provider: str
) -> Comparison:
    """:func:`find_stale_columns` on one part of the table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = raw.index.to_numpy()
    n = len(raw)
    plan_known, plan_year = _years(issued, raw["plan_id"])
    source_known, source_year = _years(published, raw["source_id"])
    known = plan_known & source_known
    skipped: list[tuple[int, str]] = []
    for row in np.flatnonzero(~known).tolist():  # other rules report these rows
        column, table = ("plan_id", "plans") if not plan_known[row] else ("source_id", "sources")
        skipped.append((row, f"column {column}: {str(raw[column].iat[row])!r} is not in {table}"))
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

    unparsed = np.zeros(n, dtype=bool)
    slow_usd: dict[int, str] = {}
    slow = np.flatnonzero(rated & ~fast)
    if slow.size:
        values = raw["value"].iloc[slow].tolist()
        for row, value in zip(slow.tolist(), values, strict=True):
            unit = units[unit_codes[row]]
            issued_text = "" if plan_year[row] < 0 else f"{plan_year[row]:04d}"
            published_text = "" if source_year[row] < 0 else f"{source_year[row]:04d}"
            try:
                derived = derive(unit, str(value), issued_text, published_text, rates, provider)
            except (MissingRateError, ValueError) as error:  # the rate was found: a bad value
                unparsed[row] = True
                skipped.append((row, f"column value: {error}"))
            else:
                slow_usd[row] = derived.usd
    checked = known & ~row_missing & ~unparsed
    del known, unparsed
    counts = np.bincount(basis[checked], minlength=len(_BASES))
    bases = {_BASES[code]: int(counts[code]) for code in range(1, len(_BASES)) if counts[code]}

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
    rewrites: list[tuple[int, str, str, str]] = []
    for row in rows.tolist():
        for column in DERIVED_COLUMNS:
            if differing[column][row]:
                wanted = expected(column, row)
                found = str(raw[column].iat[row])
                if wanted != found:
                    rewrites.append((int(lines[row]), column, wanted, found))
                if not same_cell(column, wanted, found):
                    cells.append((int(lines[row]), column, wanted, found))
    missing = [
        (int(lines[row]), messages[pair_codes[row]]) for row in np.flatnonzero(row_missing).tolist()
    ]
    skipped = [(int(lines[row]), sentence) for row, sentence in sorted(skipped)]
    return Comparison(cells, missing, rewrites, skipped, bases)


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
    issued = dict(zip(plans.raw["plan_id"], plans.raw["issued"], strict=True))
    published = dict(zip(sources.raw["source_id"], sources.raw["published"], strict=True))
    found = find_stale_columns(targets.raw, issued, published, rates)
    for line, column, expected, text in found.cells:
        yield Problem(
            targets.path,
            line,
            column,
            "stale-derived-value",
            f"expected {_shown(expected)} from {rates_table.path}, found {_shown(text)}; "
            "run `cnplans convert` to recompute the derived columns",
        )
    for line, sentence in found.missing:
        yield Problem(targets.path, line, "fx_year", "missing-exchange-rate", sentence)
