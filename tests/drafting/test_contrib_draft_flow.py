"""A contributor's whole path, as CONTRIBUTING.md gives it: new-source, new-plan, draft, add,
review and validate, on a copy of the package, with an English and with a Chinese fixture text.

No row is typed by hand: the review keeps what the draft proposes except what a person decides
(here: leave out the rows the text states only as a count of the plan's own layout, and fill an
indicator the words do not name). The package must then validate with no problem at all.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import Csv, run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "draft"

FLOWS = {
    "en": {
        "text": "en-plan.txt",
        "source": "example-city-ceramics",
        "plan": "ex-ceramics-2025-2027",
        "title": "three-year action plan (2025-2027)",
        "quote": "The Example City Bureau of Industry issued a three-year action plan (2025-2027) "
        "for its advanced ceramics industry on March 12.",
        "issuer": "Example City Bureau of Industry",
        "published": "2025-03-18",
        "dateline": "March 18, 2025",
        "language": "en",
        "document_type": "action",
    },
    "zh": {
        "text": "zh-plan.txt",
        "source": "example-city-materials-zh",
        "plan": "ex-materials-2025-2027",
        "title": "示例市新材料产业发展三年行动计划（2025—2027年）",
        "quote": "示例市新材料产业发展三年行动计划（2025—2027年）",
        "issuer": "",
        "published": "2025-03-18",
        "dateline": "2025年3月18日",
        "language": "zh",
    },
}


def _review(drafted: str) -> str:
    """What a person does in an editor: keep the goals, fill an indicator the words do not name."""
    rows = list(csv.DictReader(io.StringIO(drafted)))
    assert rows, "the draft proposed nothing"
    header = list(rows[0])
    kept = []
    for row in rows:
        if not row["indicator"]:
            row["indicator"] = "growth_rate" if row["unit"] == "percent" else "output_value"
        kept.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept)
    return buffer.getvalue()


@pytest.mark.parametrize("language", sorted(FLOWS))
def test_from_a_source_text_to_a_valid_package(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], language: str
) -> None:
    flow = FLOWS[language]
    descriptor = str(package / "datapackage.json")
    region = Csv.read(package / "resources/regions.csv").get(0, "region_id")

    code, _, err = run_cli(
        [
            "new-source", str(FIXTURES / flow["text"]), "--id", flow["source"],
            "--published", flow["published"], "--dateline", flow["dateline"],
            "--language", flow["language"], "--package", descriptor,
        ],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    plan_arguments = [
        "new-plan", "--source", flow["source"], "--id", flow["plan"], "--region", region,
        "--title", flow["title"], "--quote", flow["quote"], "--period-start", "2025",
        "--period-end", "2027", "--sector", "new_materials", "--document-type", "action",
        "--package", descriptor,
    ]  # fmt: skip
    if flow["issuer"]:
        plan_arguments += ["--issuer", flow["issuer"]]
    code, _, err = run_cli(plan_arguments, capsys)
    assert code == 0, err

    archived = package / "sources" / f"{flow['source']}.txt"
    code, drafted, err = run_cli(["draft", str(archived), "--package", descriptor], capsys)
    assert code == 0, err
    assert all(row["plan_id"] == flow["plan"] for row in csv.DictReader(io.StringIO(drafted)))

    rows_file = tmp_path / "targets-draft.csv"
    rows_file.write_text(_review(drafted), encoding="utf-8")
    code, out, err = run_cli(["add", "targets", str(rows_file), "--package", descriptor], capsys)
    assert code == 0, err + out

    code, out, err = run_cli(["validate", descriptor, "--format", "json"], capsys)
    problems = json.loads(out)["problems"]
    assert problems == [] and code == 0, problems
    added = [r for r in csv.DictReader((package / "resources/targets.csv").open(encoding="utf-8"))
             if r["plan_id"] == flow["plan"]]  # fmt: skip
    assert len(added) == len(list(csv.DictReader(io.StringIO(drafted))))
    money = [r for r in added if r["unit"] == "CNY"]
    assert money and all(r["usd"] and r["fx_year"] for r in money)  # add fills the dollars
    if language == "en":
        (usd,) = [r for r in added if r["reported_usd"]]
        assert usd["target_year"] == "2027"
    dated = [r for r in added if r["target_year_basis"] == "dateline"]
    assert dated and all(r["target_year"] == "2025" for r in dated)
