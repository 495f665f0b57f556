"""Number rules: a row whose number its quote does not state is refused at the cell.

Each test changes one row of a copy of the package the way a careless or wrong edit would
(a value swapped, a range's end moved, a year moved, "about" recorded as exact, a percent
recorded as yuan, a quote exchanged for another sentence, a project's count or investment
changed, a plan's period moved) and checks the file, line and column reported. Rows are
picked by what they hold, never by id, so a new plan in the package changes nothing here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Csv, Outcome, start_lines

TARGETS = "resources/targets.csv"
PROJECTS = "resources/projects.csv"
PLANS = "resources/plans.csv"
SOURCES = "resources/sources.csv"
MEASURES = "resources/measures.csv"

Validate = Callable[..., Outcome]


def _line(table: Csv, row: int) -> int:
    return start_lines(table.path)[row]


def _message(outcome: Outcome, rule: str) -> str:
    return next(p["message"] for p in outcome.problems if p["rule"] == rule)


def _source_text(package: Path, source_id: str) -> str:
    sources = Csv.read(package / SOURCES)
    row = sources.find("source_id", lambda v: v == source_id)
    return (package / sources.get(row, "path")).read_text(encoding="utf-8")


def test_the_package_states_every_number(package: Path, validate: Validate) -> None:
    outcome = validate(package)
    rules = {"number-not-stated", "qualifier-disagrees", "unit-disagrees", "strive-disagrees"}
    rules |= {"year-basis", "unit-indicator"}
    assert [p for p in outcome.problems if p["rule"] in rules] == []


def test_a_value_in_the_wrong_scale_is_not_stated(package: Path, validate: Validate) -> None:
    """150000000000 CNY is stated by "150 billion yuan"; 150000000 is not."""
    targets = Csv.read(package / TARGETS)
    row = targets.find("unit", lambda v: v == "CNY")
    value = float(targets.get(row, "value"))
    targets.set(row, "value", f"{value / 1000:.0f}")
    targets.write()
    outcome = validate(package)
    assert outcome.of("number-not-stated") == [(TARGETS, _line(targets, row), "value")]
    message = _message(outcome, "number-not-stated")
    assert f"value {value / 1000:.0f} CNY is not stated by the quote, which states" in message


def test_a_value_swapped_for_another_number_of_the_source(
    package: Path, validate: Validate
) -> None:
    targets = Csv.read(package / TARGETS)
    counts = [i for i, r in enumerate(targets.rows) if r[targets.col("unit")] == "count"]
    first, other = (
        counts[0],
        next(i for i in counts if targets.get(i, "value") != targets.get(counts[0], "value")),
    )
    targets.set(first, "value", targets.get(other, "value"))
    targets.set(first, "value_max", "")
    targets.set(first, "qualifier", targets.get(other, "qualifier").replace("range", "exactly"))
    targets.write()
    outcome = validate(package)
    assert (TARGETS, _line(targets, first), "value") in outcome.of("number-not-stated")


def test_a_moved_upper_end_of_a_range(package: Path, validate: Validate) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("qualifier", lambda v: v == "range")
    targets.set(row, "value_max", str(int(float(targets.get(row, "value_max"))) + 1))
    targets.write()
    outcome = validate(package)
    assert outcome.of("number-not-stated") == [(TARGETS, _line(targets, row), "value_max")]


def test_a_range_recorded_as_one_number(package: Path, validate: Validate) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("qualifier", lambda v: v == "range")
    targets.set(row, "qualifier", "exactly")
    targets.set(row, "value_max", "")
    targets.write()
    outcome = validate(package)
    assert outcome.of("qualifier-disagrees") == [(TARGETS, _line(targets, row), "qualifier")]


def test_a_moved_target_year(package: Path, validate: Validate) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("target_year_basis", lambda v: v == "quote")
    targets.set(row, "target_year", str(int(targets.get(row, "target_year")) + 1))
    targets.write()
    outcome = validate(package)
    assert outcome.of("number-not-stated") == [(TARGETS, _line(targets, row), "target_year")]


def test_a_baseline_year_the_quote_does_not_state(package: Path, validate: Validate) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("baseline_year", lambda v: v == "")
    targets.set(row, "baseline_year", "1999")
    targets.write()
    outcome = validate(package)
    assert outcome.of("number-not-stated") == [(TARGETS, _line(targets, row), "baseline_year")]


def test_about_recorded_as_exactly(package: Path, validate: Validate) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("qualifier", lambda v: v == "about")
    targets.set(row, "qualifier", "exactly")
    targets.write()
    outcome = validate(package)
    assert outcome.of("qualifier-disagrees") == [(TARGETS, _line(targets, row), "qualifier")]
    assert "(about)" in _message(outcome, "qualifier-disagrees")


def test_a_percent_recorded_as_yuan(package: Path, validate: Validate) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("unit", lambda v: v == "percent")
    targets.set(row, "unit", "CNY")
    targets.write()
    outcome = validate(package)
    line = _line(targets, row)
    assert outcome.of("unit-disagrees") == [(TARGETS, line, "unit")]
    assert outcome.of("unit-indicator") == [(TARGETS, line, "unit")]


def test_strive_flag_disagrees_with_the_quote(package: Path, validate: Validate) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("strive", lambda v: v == "false")
    targets.set(row, "strive", "true")
    targets.write()
    outcome = validate(package)
    assert outcome.of("strive-disagrees") == [(TARGETS, _line(targets, row), "strive")]


def test_a_quote_exchanged_for_another_sentence(package: Path, validate: Validate) -> None:
    """The other row's quote is verbatim in the same source, but states other numbers."""
    targets = Csv.read(package / TARGETS)
    value, quote, source = (targets.col(c) for c in ("value", "quote", "source_id"))
    row, other = next(
        (i, j)
        for i, a in enumerate(targets.rows)
        for j, b in enumerate(targets.rows)
        if a[source] == b[source] and a[value] not in b[quote] and a[value] != b[value]
    )
    targets.set(row, "quote", targets.get(other, "quote"))
    targets.write()
    outcome = validate(package)
    assert (TARGETS, _line(targets, row), "value") in outcome.of("number-not-stated")
    assert "quote-not-in-source" not in outcome.rules()


def test_reported_dollars_not_in_the_quote(package: Path, validate: Validate) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("reported_usd", lambda v: v != "")
    targets.set(row, "reported_usd", str(int(targets.get(row, "reported_usd")) + 10_000_000))
    targets.write()
    outcome = validate(package)
    assert outcome.of("number-not-stated") == [(TARGETS, _line(targets, row), "reported_usd")]


@pytest.mark.parametrize("column", ["project_count", "investment_cny"])
def test_a_changed_project_number(package: Path, validate: Validate, column: str) -> None:
    projects = Csv.read(package / PROJECTS)
    row = projects.find(column, lambda v: v != "")
    projects.set(row, column, str(int(float(projects.get(row, column))) * 2))
    projects.write()
    outcome = validate(package)
    assert outcome.of("number-not-stated") == [(PROJECTS, _line(projects, row), column)]


@pytest.mark.parametrize("column", ["period_start", "period_end"])
def test_a_moved_plan_period(package: Path, validate: Validate, column: str) -> None:
    plans = Csv.read(package / PLANS)
    row = plans.find(column, lambda v: v != "")
    plans.set(row, column, str(int(plans.get(row, column)) - 1))
    plans.write()
    outcome = validate(package)
    assert outcome.of("number-not-stated") == [(PLANS, _line(plans, row), column)]


def test_an_issue_year_the_quote_does_not_state(package: Path, validate: Validate) -> None:
    plans = Csv.read(package / PLANS)
    row = plans.find("issued", lambda v: v == "")
    plans.set(row, "issued", "2019-05-01")
    plans.set(row, "issued_basis", "quote")
    plans.write()
    outcome = validate(package)
    assert outcome.of("number-not-stated") == [(PLANS, _line(plans, row), "issued")]


def test_a_dateline_year_that_is_not_the_datelines(package: Path, validate: Validate) -> None:
    plans = Csv.read(package / PLANS)
    row = plans.find("issued_basis", lambda v: v == "dateline")
    issued = plans.get(row, "issued")
    plans.set(row, "issued", str(int(issued[:4]) - 1) + issued[4:])
    plans.write()
    outcome = validate(package)
    assert outcome.of("year-basis") == [(PLANS, _line(plans, row), "issued")]


def test_a_dateline_basis_where_the_source_has_no_dateline(
    package: Path, validate: Validate
) -> None:
    sources = Csv.read(package / SOURCES)
    without = {r[0] for r in sources.rows if r[sources.col("dateline")] == ""}
    targets = Csv.read(package / TARGETS)
    row = targets.find("source_id", lambda v: v in without)
    targets.set(row, "target_year", "2030")
    targets.set(row, "target_year_basis", "dateline")
    targets.write()
    outcome = validate(package)
    assert outcome.of("year-basis") == [(TARGETS, _line(targets, row), "target_year_basis")]


def test_a_dateline_basis_where_the_quote_names_no_relative_year(
    package: Path, validate: Validate
) -> None:
    """A quote cut to the clause of the value names no year: the basis cannot be the dateline."""
    from cnplans.drafting.quantities import find_quantities, relative_years

    targets = Csv.read(package / TARGETS)
    row = targets.find("target_year_basis", lambda v: v == "dateline")
    quote = targets.get(row, "quote")
    value = float(targets.get(row, "value"))
    amount = next(q for q in find_quantities(quote) if q.value == pytest.approx(value))
    clause = quote[quote.rfind(",", 0, amount.start) + 1 :].strip()
    assert clause in _source_text(package, targets.get(row, "source_id")).replace("\n", " ")
    assert relative_years(clause) == []
    targets.set(row, "quote", clause)
    targets.write()
    outcome = validate(package)
    assert outcome.of("year-basis") == [(TARGETS, _line(targets, row), "target_year_basis")]


@pytest.mark.parametrize("emptied", ["target_year", "target_year_basis"])
def test_a_year_and_its_basis_go_together(package: Path, validate: Validate, emptied: str) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("target_year", lambda v: v != "")
    targets.set(row, emptied, "")
    targets.write()
    outcome = validate(package)
    assert outcome.of("year-basis") == [(TARGETS, _line(targets, row), "target_year_basis")]


def test_a_published_date_the_dateline_does_not_state(package: Path, validate: Validate) -> None:
    sources = Csv.read(package / SOURCES)
    row = sources.find("dateline", lambda v: v != "")
    published = sources.get(row, "published")
    sources.set(row, "published", str(int(published[:4]) + 1) + published[4:])
    sources.write()
    outcome = validate(package)
    assert outcome.of("number-not-stated") == [(SOURCES, _line(sources, row), "published")]


def test_a_measure_ordinal_the_quote_does_not_state(package: Path, validate: Validate) -> None:
    measures = Csv.read(package / MEASURES)
    row = measures.find("ordinal", lambda v: v != "")
    measures.set(row, "ordinal", str(int(measures.get(row, "ordinal")) + 40))
    measures.write()
    outcome = validate(package)
    assert outcome.of("number-not-stated") == [(MEASURES, _line(measures, row), "ordinal")]


def test_the_message_names_what_the_quote_states(package: Path, validate: Validate) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("reported_usd", lambda v: v != "")
    targets.set(row, "value", "84800000000")
    targets.write()
    outcome = validate(package)
    message = _message(outcome, "number-not-stated")
    assert message.startswith("value 84800000000 CNY is not stated by the quote, which states ")
    assert "billion yuan" in message and "$" in message


def test_json_of_a_refused_row_is_valid(package: Path, validate: Validate) -> None:
    targets = Csv.read(package / TARGETS)
    row = targets.find("unit", lambda v: v == "count")
    targets.set(row, "value", "987654")
    targets.write()
    outcome = validate(package)
    assert outcome.code == 1
    json.dumps(outcome.document)


def test_rows_read_a_slice_at_a_time_find_the_same_problems(
    package: Path, validate: Validate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The number rules read a table's cells a few rows at a time; across the slices' edges
    they find what one slice of all rows finds, at the same lines."""
    from cnplans.validation import context

    targets = Csv.read(package / TARGETS)
    broken = [i for i, r in enumerate(targets.rows) if r[targets.col("unit")] == "CNY"][:5]
    for row in broken:
        targets.set(row, "value", f"{float(targets.get(row, 'value')) / 1000:.0f}")
    targets.write()
    whole = validate(package)
    monkeypatch.setattr(context, "ROWS_AT_A_TIME", 2)
    sliced = validate(package)
    expected = [(TARGETS, _line(targets, row), "value") for row in broken]
    assert sorted(whole.of("number-not-stated")) == sorted(expected)
    assert sliced.problems == whole.problems
