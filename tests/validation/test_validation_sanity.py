"""Values a type admits but the world does not: each rule broken once, at the place reported."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Csv, Outcome, start_lines

PLANS, REGIONS, TARGETS, RATES = (
    f"resources/{name}.csv" for name in ("plans", "regions", "targets", "exchange_rates")
)


def broken(package: Path, file: str, column: str, value: str, row: int = 0) -> tuple[str, int]:
    """Set one cell of ``file``; return (file, physical line of that row)."""
    table = Csv.read(package / file)
    table.set(row, column, value)
    table.write()
    return file, start_lines(table.path)[row]


@pytest.mark.parametrize("day", ["2024-02-30", "2023-02-29", "2022-04-31", "0000", "2024-00"])
def test_a_date_the_calendar_lacks(
    package: Path, validate: Callable[..., Outcome], day: str
) -> None:
    file, line = broken(package, PLANS, "issued", day)
    outcome = validate(package)
    assert outcome.code == 1
    expected = "calendar-date" if day != "2024-00" else "pattern"  # the pattern bounds months
    assert (file, line, "issued") in outcome.of(expected)


def test_a_leap_day_is_a_date(package: Path, validate: Callable[..., Outcome]) -> None:
    broken(package, PLANS, "issued", "2024-02-29")
    assert validate(package).of("calendar-date") == []


def test_a_period_that_ends_before_it_starts(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    plans = Csv.read(package / PLANS)
    row = plans.find("period_end", lambda v: v != "")
    file, line = broken(
        package, PLANS, "period_start", str(int(plans.get(row, "period_end")) + 1), row
    )
    assert validate(package).of("period-order") == [(file, line, "period_end")]


def test_a_region_that_is_its_own_parent(package: Path, validate: Callable[..., Outcome]) -> None:
    regions = Csv.read(package / REGIONS)
    row = regions.find("parent_id", lambda v: v == "")
    file, line = broken(package, REGIONS, "parent_id", regions.get(row, "region_id"), row)
    outcome = validate(package)
    assert outcome.of("region-cycle") == [(file, line, "parent_id")]


def test_a_cycle_of_two_regions_is_told_once(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    regions = Csv.read(package / REGIONS)
    child = regions.find("parent_id", lambda v: v != "")
    parent = regions.column("region_id").index(regions.get(child, "parent_id"))
    regions.set(parent, "parent_id", regions.get(child, "region_id"))
    regions.write()
    lines = start_lines(regions.path)
    outcome = validate(package)
    assert outcome.of("region-cycle") == [(REGIONS, min(lines[child], lines[parent]), "parent_id")]
    message = next(p["message"] for p in outcome.problems if p["rule"] == "region-cycle")
    assert (
        regions.get(child, "region_id") in message and regions.get(parent, "region_id") in message
    )


@pytest.mark.parametrize("value", ["1e400", "-1e400", "1e30", "123456789012345678901234567890"])
def test_a_number_no_plan_states(
    package: Path, validate: Callable[..., Outcome], value: str
) -> None:
    file, line = broken(package, TARGETS, "value", value)
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("number-range") == [(file, line, "value")]


@pytest.mark.parametrize("rate", ["0", "-6.5", "1e-30", "1e9"])
def test_an_exchange_rate_no_currency_has(
    package: Path, validate: Callable[..., Outcome], rate: str
) -> None:
    file, line = broken(package, RATES, "units_per_usd", rate)
    assert (file, line, "units_per_usd") in validate(package).of("number-range")


@pytest.mark.parametrize("quote", ["   ", "\u00a0\u00a0", "\u3000", " \u3000 "])
def test_a_quote_of_only_spaces(
    package: Path, validate: Callable[..., Outcome], quote: str
) -> None:
    file, line = broken(package, TARGETS, "quote", quote)
    assert validate(package).of("blank-quote") == [(file, line, "quote")]


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x07", "\x7f", "\x85"])
def test_a_control_character_in_a_text_cell(
    package: Path, validate: Callable[..., Outcome], character: str
) -> None:
    file, line = broken(package, TARGETS, "subject", f"AI{character}[31m entities")
    outcome = validate(package)
    assert outcome.of("control-character") == [(file, line, "subject")]
    message = next(p["message"] for p in outcome.problems if p["rule"] == "control-character")
    assert f"U+{ord(character):04X}" in message and "character 3" in message


def test_tabs_and_line_breaks_are_text(package: Path, validate: Callable[..., Outcome]) -> None:
    broken(package, TARGETS, "notes", "first line\nsecond\tline")
    assert validate(package).of("control-character") == []


def edit_descriptor(package: Path, resource: int, **keys: object) -> str:
    """Add keys to one resource of the descriptor; return the resource's name."""
    descriptor = package / "datapackage.json"
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    data["resources"][resource].update(keys)
    descriptor.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return str(data["resources"][resource]["name"])


def name_line(package: Path, name: str) -> int:
    lines = (package / "datapackage.json").read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.strip() == f'"name": "{name}",')


@pytest.mark.parametrize(
    "keys",
    [{"encoding": "gbk"}, {"dialect": {"delimiter": ";"}}, {"dialect": {"header": False}}],
)
def test_a_declared_dialect_or_encoding_other_than_the_packages(
    package: Path, validate: Callable[..., Outcome], keys: dict[str, object]
) -> None:
    name = edit_descriptor(package, 0, **keys)
    outcome = validate(package)
    assert outcome.code == 1
    assert outcome.of("dialect") == [("datapackage.json", name_line(package, name), None)]


def test_the_packages_own_dialect_may_be_declared(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    edit_descriptor(package, 0, encoding="UTF-8", dialect={"delimiter": ",", "header": True})
    assert validate(package).of("dialect") == []


def test_a_source_text_with_a_control_character(
    package: Path, validate: Callable[..., Outcome]
) -> None:
    sources = Csv.read(package / "resources/sources.csv")
    path = sources.get(0, "path")
    text = (package / path).read_text(encoding="utf-8")
    lines = text.split("\n")
    lines[2] = "ab\x1b[2J" + lines[2]
    (package / path).write_text("\n".join(lines), encoding="utf-8")
    outcome = validate(package)
    assert (path, 3, None) in outcome.of("control-character")
    problem = next(p for p in outcome.problems if p["rule"] == "control-character")
    assert "U+001B" in problem["message"] and "character 3 " in problem["message"]


def test_files_no_row_names_are_reported(package: Path, validate: Callable[..., Outcome]) -> None:
    (package / "sources" / "orphan.txt").write_text("an article nobody cites\n", "utf-8")
    os.mkfifo(package / "resources" / "pipe.csv")
    outcome = validate(package)
    assert set(outcome.of("unlisted-file")) == {
        ("sources/orphan.txt", None, None),
        ("resources/pipe.csv", None, None),
    }


def test_text_output_cannot_be_forged(package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_cli

    targets = Csv.read(package / TARGETS)
    targets.header[targets.col("notes")] = "notes\nresources/targets.csv:2:value: fake: \x1b[2J"
    targets.write()
    code, out, _ = run_cli(["validate", str(package / "datapackage.json")], capsys)
    assert code == 1
    assert "\x1b" not in out
    assert not any(
        line.startswith("resources/targets.csv:2:value: fake") for line in out.splitlines()
    )
    assert "\\nresources/targets.csv:2:value: fake: \\x1b[2J" in out


def test_a_bug_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import run_cli

    import cnplans.loader.commands.tables

    def broken(args: object) -> int:
        raise ZeroDivisionError("division by zero\nTraceback (most recent call last):")

    monkeypatch.setattr(cnplans.loader.commands.tables, "run", broken)
    code, _out, err = run_cli(["tables"], capsys)
    assert code == 3
    assert err.count("\n") == 1 and err.startswith("cnplans: internal error, a bug in cnplans ")
    assert "ZeroDivisionError: division by zero\\nTraceback" in err


def test_every_message_on_standard_error_is_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_cli

    code, _out, err = run_cli(["show", "targets", "--region", "CN\x1b[2J\nfake: line"], capsys)
    assert code == 2
    assert "\x1b" not in err and err.count("\n") == 1
    assert "\\x1b[2J\\nfake: line" in err
