"""Row checks every Table Schema implies: cell types, constraints (via pandera), key order.

Constraint checks run the pandera schema built by :mod:`cnplans.validation.pandera_schema` over
each typed table, lazily, and turn pandera's failure cases into problems located by line (the
frame's index) and field name. Uniqueness that a sorted key shows at a glance (each key greater
than the one before) is not hashed again by pandera.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from cnplans.datapackage.table_schema import Field
from cnplans.validation.context import PackageContext, Table
from cnplans.validation.conversion import expected_text
from cnplans.validation.pandera_schema import build_schema, field_checks
from cnplans.validation.problems import Problem, cut
from cnplans.validation.vectorized import arrow_text, is_text


def shown(value: object) -> str:
    """A cell value quoted for a message, shortened when long."""
    return repr(cut(str(value), 80))


def cell_types(context: PackageContext) -> Iterator[Problem]:
    """Cells that are not a value of their field's type (``type``) or not in its enum (``enum``)."""
    for table in context.tables.values():
        for column in table.unparsed.columns:
            failed = table.unparsed[column]
            if not failed.any():
                continue
            field = table.schema.field(column)
            if field.enum is not None:
                rule, expected = "enum", "one of: " + ", ".join(field.enum)
            else:
                rule, expected = "type", expected_text(field)
            for line, text in table.cells(failed, column):
                message = f"expected {expected}; found {shown(text)}"
                yield table.problem(line, column, rule, message)


def _constraint_message(field: Field, rule: str, text: str) -> str:
    c = field.constraints
    if rule == "minimum":
        return f"expected {field.name} of at least {c['minimum']}; found {shown(text)}"
    if rule == "maximum":
        return f"expected {field.name} of at most {c['maximum']}; found {shown(text)}"
    if rule == "pattern":
        return (
            f"expected {field.name} to match the pattern {c['pattern']} "
            f"({field.description or field.title}); found {shown(text)}"
        )
    if rule == "enum":
        return f"expected one of: {', '.join(field.enum or [])}; found {shown(text)}"
    if rule == "min-length":
        return f"expected at least {c['minLength']} characters; found {len(text)} ({shown(text)})"
    if rule == "max-length":
        return f"expected at most {c['maxLength']} characters; found {len(text)}"
    return f"expected a valid {field.name}; found {shown(text)}"


def _pandera_failures(table: Table) -> pd.DataFrame:
    """pandera's failure cases for ``table`` (empty when every check passes).

    Neither dtypes (conversion typed the frame by the same type map) nor uniqueness that
    :func:`proven_unique` establishes cheaply (hashing a million keys costs more than every other
    check of a table) are checked again; columns left with nothing to check are left out.
    """
    import pandera.pandas as pa

    schema = build_schema(table.schema, table.name)
    for name, column in list(schema.columns.items()):
        column.dtype = None
        if column.unique and name in table.frame.columns and proven_unique(table.frame, [name]):
            column.unique = False
        if not (column.checks or column.unique or not column.nullable):
            del schema.columns[name]  # nothing to check (a missing column is a header problem)
    columns = list(schema.unique or [])
    present = bool(columns) and all(c in table.frame.columns for c in columns)
    # A key column the file lacks is a header problem already; the key cannot be checked.
    if columns and (not present or proven_unique(table.frame, columns)):
        schema.unique = None
    try:
        schema.validate(table.frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as errors:
        failures: pd.DataFrame = errors.failure_cases
        return failures
    return pd.DataFrame(columns=["check", "check_number", "column", "index", "failure_case"])


def proven_unique(frame: pd.DataFrame, columns: list[str]) -> bool:
    """Whether the rows' values in ``columns`` are all present, sorted and all different.

    Sorted rows (as a table sorted by its key is) hold equal keys next to each other, so one
    comparison of each row with the previous one settles uniqueness; False means "not proven".
    """
    order = key_order(frame, columns)
    return order is not None and all(order)


def key_order(frame: pd.DataFrame, columns: list[str]) -> tuple[bool, bool] | None:
    """Whether the rows are sorted by ``columns`` and whether no two rows share their values,
    found in pyarrow when every value is present text; None otherwise (not found)."""
    import pyarrow.compute as pc

    keys = []
    for name in columns:
        column = frame[name]
        if not is_text(column) or column.hasnans:
            return None
        keys.append(arrow_text(column).combine_chunks())
    if len(frame) < 2:
        return True, True
    equal_so_far = None
    in_order = True
    for key in keys:
        current, previous = key.slice(1), key.slice(0, len(key) - 1)
        less = pc.less(current, previous)
        if equal_so_far is not None:
            less = pc.and_(equal_so_far, less)
        in_order = in_order and not pc.any(less).as_py()
        same = pc.equal(current, previous)
        equal_so_far = same if equal_so_far is None else pc.and_(equal_so_far, same)
    assert equal_so_far is not None
    return in_order, not pc.any(equal_so_far).as_py()


def constraints(context: PackageContext) -> Iterator[Problem]:
    """Required cells, uniqueness, primary keys, bounds, patterns, enums and lengths."""
    for table in context.tables.values():
        failures = _pandera_failures(table)
        if failures.empty:
            continue
        located = failures["index"].notna()
        yield from _checks_that_could_not_run(table, failures[~located])
        failures = failures[located]
        pk = table.schema.primary_key
        reported_keys: set[int] = set()
        for check, group in failures.groupby("check", sort=False):
            check = str(check)
            if check == "multiple_fields_uniqueness":
                lines = sorted({int(i) for i in group["index"]} - reported_keys)
                reported_keys.update(lines)
                yield from _duplicates(table, pk, lines, "primary-key")
                continue
            for column, cases in group.groupby("column", sort=False):
                yield from _column_failures(table, str(column), check, cases)


def _checks_that_could_not_run(table: Table, failures: pd.DataFrame) -> Iterator[Problem]:
    """pandera failures without a row: a check that raised instead of answering."""
    for check, column, case in failures[["check", "column", "failure_case"]].itertuples(
        index=False
    ):
        if str(check) == "column_in_dataframe" or str(check).startswith("dtype("):
            continue  # a missing column is a header problem; types come from conversion
        yield table.problem(
            None,
            str(column) if pd.notna(column) else None,
            "constraint-error",
            f"the check {check} could not run on this column ({case}); expected the schema's "
            "constraint to suit the field's type",
        )


def _column_failures(
    table: Table, column: str, check: str, cases: pd.DataFrame
) -> Iterator[Problem]:
    field = table.schema.field(column)
    lines = [int(i) for i in cases["index"]]
    if check == "not_nullable":
        unparsed = table.unparsed[column]
        if field.enum is not None:  # the allowed values, when there are few
            expected = f"expected one of: {', '.join(field.enum)};"
        elif field.type == "boolean":
            expected = f"expected {expected_text(field)};"
        else:
            expected = "expected a value,"
        message = f"{column} is required; {expected} found an empty cell"
        for line in lines:
            if not unparsed.loc[line]:  # a cell that failed conversion already has a problem
                yield table.problem(line, column, "required", message)
        return
    if check == "field_uniqueness":
        rule = "primary-key" if table.schema.primary_key == [column] else "unique"
        known = table.frame[column].notna()
        present = [line for line in lines if bool(known.loc[line])]
        yield from _duplicates(table, [column], present, rule)
        return
    if check.startswith("dtype(") or check == "column_in_dataframe":
        return  # typed by conversion; a missing column is a header problem
    rules = [rule for rule, _ in field_checks(field)]
    numbers = cases["check_number"]
    for line, number in zip(lines, numbers, strict=True):
        rule = rules[int(number)] if pd.notna(number) and int(number) < len(rules) else check
        text = table.text(line, column)
        yield table.problem(line, column, rule, _constraint_message(field, rule, text))


def _duplicates(table: Table, columns: list[str], lines: list[int], rule: str) -> Iterator[Problem]:
    if not lines:
        return
    # for every row, the first line holding the same values in ``columns``
    keys = [table.frame[c].astype("string") for c in columns]
    first = pd.Series(table.frame.index, index=table.frame.index)
    first = first.groupby(keys, dropna=True, observed=True).transform("min")
    what = "the primary key" if rule == "primary-key" else "the unique column"
    label = columns[0] if len(columns) == 1 else "(" + ", ".join(columns) + ")"
    for line in lines:
        values = [table.text(line, c) for c in columns]
        value = shown(values[0]) if len(values) == 1 else "(" + ", ".join(map(shown, values)) + ")"
        first_line = first.get(line)
        where = f" (first on line {int(first_line)})" if pd.notna(first_line) else ""
        yield table.problem(
            line,
            columns[0],
            rule,
            f"{label} {value} appears more than once{where}; expected {what} {label} "
            "to be different on every row",
        )


def sort_order(context: PackageContext) -> Iterator[Problem]:
    """Rows must be sorted by the primary key; reports the first row out of order.

    The message names the line the row belongs before: the first row of the file whose key is
    greater (the rows above the first one out of order are sorted, so it is among them).
    """
    for table in context.tables.values():
        key = table.schema.primary_key
        if len(table.frame) < 2 or not key or any(c not in table.frame.columns for c in key):
            continue
        order = key_order(table.frame, key)
        if order is not None and order[0]:
            continue  # sorted: found at once for text keys
        current = table.frame[key]
        out_of_order = _greater(current.shift(1), current)
        out_of_order.iloc[0] = False
        if not out_of_order.any():
            continue
        position = int(out_of_order.to_numpy().argmax())
        line = int(current.index[position])
        greater = _greater(current, current.iloc[position])
        place = int(
            current.index[int(greater.to_numpy().argmax()) if greater.any() else position - 1]
        )
        yield table.problem(
            line,
            key[0],
            "sort-order",
            f"{_key_text(table, line, key)} is out of order: expected the rows in {', '.join(key)} "
            f"order, so it belongs before line {place} ({_key_text(table, place, key)}); "
            "run `cnplans fmt` to put every table in order",
        )


def _greater(left: pd.DataFrame, right: pd.DataFrame | pd.Series) -> pd.Series:
    """Where each row of ``left`` is greater than ``right`` (its row, or one row for all) in key
    order: column by column, an empty cell comparing with nothing."""
    greater = pd.Series(False, index=left.index)
    equal_so_far = pd.Series(True, index=left.index)
    for column in left.columns:
        value = right[column]
        value = _comparable(value) if isinstance(value, pd.Series) else value
        values = _comparable(left[column])
        greater |= equal_so_far & (values > value).fillna(False).astype(bool)
        equal_so_far &= (values == value).fillna(False).astype(bool)
    return greater


def _key_text(table: Table, line: int, key: list[str]) -> str:
    """A row's key as the file writes it, each column named: ``cluster_id 'x', region_id '1'``."""
    return ", ".join(f"{column} {shown(table.text(line, column))}" for column in key)


def _comparable(series: pd.Series) -> pd.Series:
    """Values compared in their type's order (text by code point, categories as their text)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype("string")
    return series
