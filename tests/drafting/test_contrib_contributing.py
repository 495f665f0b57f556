"""CONTRIBUTING.md is true and sufficient.

Its worked example is the real data (rows copied verbatim, quotes found in the archived text),
its sample validator output is what the validator prints for the mistakes it describes, its
table of rules covers every rule the corpus of bad contributions triggers, and following its
steps on a copy of the package, from a new source text to a new target, gives a valid package.

The sample output's mistakes are made on rows picked by what they hold (the first range target,
the first amount whose quote says "reach"), and its line numbers and row count are those of
the copy: they move when plans are added, the words do not.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from pathlib import Path

import pytest
from conftest import REPO, Csv, copy_package, run_cli, start_lines
from test_contrib_corpus import CASES

from cnplans.validation.checks import CHECKS, LOADING_RULES
from cnplans.validation.provenance import normalize_whitespace
from scripts.release import stamp

GUIDE = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
TEMPLATE = (REPO / ".github/pull_request_template.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(?P<info>\w*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(info: str) -> list[str]:
    return [m["body"] for m in FENCE.finditer(GUIDE) if m["info"] == info]


def test_every_csv_block_is_copied_verbatim_from_its_table() -> None:
    csv_blocks = blocks("csv")
    assert len(csv_blocks) >= 4
    files = {p: p.read_text(encoding="utf-8").split("\n") for p in REPO.glob("resources/*.csv")}
    for block in csv_blocks:
        header, *rows = block.rstrip("\n").split("\n")
        matching = [path for path, lines in files.items() if lines[0] == header]
        assert len(matching) == 1, f"no table has the header {header!r}"
        for row in rows:
            assert row in files[matching[0]], f"{matching[0].name} has no row {row[:60]!r}..."


def test_every_quoted_passage_is_in_the_archived_text() -> None:
    with (REPO / "resources/sources.csv").open(encoding="utf-8", newline="") as handle:
        paths = [row["path"] for row in csv.DictReader(handle)]
    texts = [normalize_whitespace((REPO / p).read_text(encoding="utf-8")) for p in paths]
    passages = re.findall(r"(?:^> .*\n)+", GUIDE, re.MULTILINE)
    assert len(passages) >= 2
    for passage in passages:
        joined = normalize_whitespace(" ".join(line[2:] for line in passage.splitlines()))
        assert any(joined.strip() in text for text in texts), joined[:80]


LINE_NUMBER = re.compile(r"^(?P<file>[^:\n]+):\d+:", re.MULTILINE)
ROW_COUNT = re.compile(r"\(\d+ tables, \d+ rows\)")


def without_places(output: str) -> str:
    """Validator output with its line numbers and row count masked (they move with the data)."""
    return ROW_COUNT.sub("(N tables, N rows)", LINE_NUMBER.sub(r"\g<file>:LINE:", output))


def test_the_sample_output_is_what_the_validator_prints(
    package: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The three mistakes the guide describes, made on a copy, give the guide's output.

    An empty ``value_max`` on the first range target; "10 billion" typed as the value, and
    "hit" written for "reach" in the quote, of the first amount in yuan whose quote says "reach".
    """
    targets = Csv.read(package / "resources/targets.csv")
    ranged = targets.find("qualifier", lambda v: v == "range")
    targets.set(ranged, "value_max", "")
    money = next(
        i
        for i in range(len(targets.rows))
        if targets.get(i, "unit") == "CNY" and " reach " in targets.get(i, "quote")
    )
    targets.set(money, "value", "10 billion")
    targets.set(money, "quote", targets.get(money, "quote").replace(" reach ", " hit ", 1))
    targets.write()
    code, out, _ = run_cli(["validate", str(package / "datapackage.json")], capsys)
    assert code == 1
    sample = next(b for b in blocks("text") if b.startswith("resources/targets.csv:"))
    assert without_places(out) == without_places(sample)
    lines = [int(m) for m in re.findall(r"^resources/targets\.csv:(\d+):", out, re.MULTILINE)]
    starts = start_lines(targets.path)
    assert lines == sorted([starts[ranged], starts[money], starts[money]])


RULE_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
VALIDATOR = sorted(REPO.glob("src/cnplans/validation/*.py"))
# Hyphenated strings of the validator's code that are not rule ids.
NOT_RULES = {
    "utf-8",
    "data-package",
    "tabular-data-package",
    "data-resource",
    "tabular-data-resource",
    "cnplans-metadata",
    "cnplans-quotes",
}


def documented_rules() -> set[str]:
    """The rule ids of the guide's table of rules (its first column)."""
    table = GUIDE.split("| rule |")[1].split("\n\n")[0]
    firsts = re.findall(r"^\| (.+?) \|", table, re.MULTILINE)
    return {rule for cell in firsts for rule in re.findall(f"`({RULE_ID})`", cell)}


def validator_source() -> str:
    return "".join(p.read_text(encoding="utf-8") for p in VALIDATOR)


def rules_in_code() -> set[str]:
    """The rule ids the validator's code names: the documented ones it writes as strings, and
    every hyphenated string of its code (so a new rule is found whether documented or not)."""
    source = validator_source()
    named = {rule for rule in documented_rules() if f'"{rule}"' in source}
    for path in VALIDATOR:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and "-" in value and re.fullmatch(RULE_ID, value):
                named.add(value)
    return named - NOT_RULES


def test_the_rule_table_covers_every_rule_of_the_corpus(tmp_path: Path) -> None:
    documented = documented_rules()
    triggered = set()
    for number, contribution in enumerate(CASES):
        folder = copy_package(tmp_path / str(number)).parent
        triggered |= {expected.rule for expected in contribution.make(folder)}
    assert triggered - documented == set()
    source = validator_source()
    unknown = {rule for rule in documented if f'"{rule}"' not in source}
    assert unknown == set(), f"the table names rules the validator does not have: {unknown}"


def test_the_rule_table_has_every_rule_of_the_checks() -> None:
    listed = {rule for check in CHECKS for rule in check.rules} | set(LOADING_RULES)
    assert listed - documented_rules() == set()


def test_every_rule_in_the_code_is_listed_by_a_check() -> None:
    listed = {rule for check in CHECKS for rule in check.rules} | set(LOADING_RULES)
    unlisted = rules_in_code() - listed
    assert unlisted == set(), f"add these rules to a Check in validation/checks.py: {unlisted}"
    assert documented_rules() - listed == set(), "the table names rules no check reports"


def test_the_pull_request_template_has_the_checklist() -> None:
    boxes = re.findall(r"^- \[ \] (.+)$", TEMPLATE, re.MULTILINE)
    assert len(boxes) >= 8
    text = " ".join(boxes)
    for needle in (
        "cnplans new-source",
        "verbatim",
        "empty",
        "slugs",
        "base units",
        "nox -s convert",
        "nox -s validate",
        "sorted",
    ):
        assert needle in text, needle


# --- a new contributor, following the guide alone --------------------------------------------

TEXT = """{city} issues plan for battery materials industry

{city}, June 2, 2023
This is a text written for the tests of cnplans, not a real report.
The municipal government issued the action plan to develop the battery materials industry on
May 30. The plan aims for the industry's revenue to exceed 50 billion yuan by 2027.
"""


def test_a_new_contributor_gets_a_valid_package_by_following_the_guide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    package = copy_package(tmp_path / "fork").parent
    monkeypatch.chdir(package)
    # A city the package already has (step 2 is done), whichever the copy lists first.
    regions = Csv.read(package / "resources/regions.csv")
    city = regions.find("level", lambda v: v == "prefecture_city")
    region_id, name = regions.get(city, "region_id"), regions.get(city, "name_en")
    report = tmp_path / "report.txt"
    report.write_text(TEXT.format(city=name), encoding="utf-8")

    # Step 1: archive the source text.
    code, out, err = run_cli(
        [
            "new-source",
            str(report),
            "--id",
            "test-battery-materials-report",
            "--published",
            "2023-06-02",
            "--dateline",
            "June 2, 2023",
        ],
        capsys,
    )
    assert code == 0, err
    assert "title: taken from the first non-empty line" in out
    # Step 3: add the plan.
    code, out, err = run_cli(
        [
            "new-plan",
            "--source",
            "test-battery-materials-report",
            "--id",
            "test-battery-materials-2027",
            "--region",
            region_id,
            "--title",
            "action plan to develop the battery materials industry",
            "--quote",
            "The municipal government issued the action plan to develop the battery materials "
            "industry on May 30.",
            "--sector",
            "new_materials",
            "--document-type",
            "action",
            "--issued",
            "2023-05-30",
            "--issued-basis",
            "dateline",
            "--notes",
            "The text says 'on May 30'; the year is that of the dateline.",
        ],
        capsys,
    )
    assert code == 0, err
    code, out, _ = run_cli(["validate"], capsys)
    assert code == 1 and "plan-without-facts" in out, "the guide says a plan needs a target"

    # Step 4: one target, at its place in ID order, derived columns left empty.
    targets = Csv.read(package / "resources/targets.csv")
    target = dict.fromkeys(targets.header, "")
    target.update(
        target_id="test-battery-materials-2027-revenue",
        plan_id="test-battery-materials-2027",
        target_type="goal",
        indicator="revenue",
        subject="revenue of the battery materials industry",
        value="50000000000",
        qualifier="more_than",
        strive="false",
        unit="CNY",
        target_year="2027",
        target_year_basis="quote",
        source_id="test-battery-materials-report",
        quote="the industry's revenue to exceed 50 billion yuan by 2027",
    )
    targets.rows.append([target[c] for c in targets.header])
    targets.rows.sort(key=lambda cells: cells[0])
    targets.write()

    # Step 5: convert, validate.
    code, out, err = run_cli(["convert"], capsys)
    assert code == 0, err
    code, out, err = run_cli(["validate"], capsys)
    assert code == 0, out + err
    assert "datapackage.json is valid" in out

    written = Csv.read(package / "resources/targets.csv")
    row = written.find("target_id", lambda v: v == "test-battery-materials-2027-revenue")
    assert written.get(row, "fx_year") == "2023" and written.get(row, "fx_basis") == "plan_issued"
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["sources"] == stamp.source_documents(package, descriptor)
    sources = list(csv.DictReader(io.StringIO((package / "resources/sources.csv").read_text())))
    assert [s["source_id"] for s in sources] == sorted(s["source_id"] for s in sources)
