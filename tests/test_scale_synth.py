"""``scripts/synth.py``: synthetic packages valid by construction, defects where asked."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, Outcome, run_cli

from scripts.synth import DEFECTS, MARKER, SynthError, main, parse_defects, read_schemas, synthesize


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(600, tmp_path_factory.mktemp("synth") / "pkg", seed=1)


def test_valid_by_construction(small: Path, validate: Callable[..., Outcome]) -> None:
    outcome = validate(small)
    assert outcome.code == 0, outcome.problems[:5]


def test_derived_dollars_agree_with_convert(
    small: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["convert", str(small / "datapackage.json"), "--check"], capsys)
    assert code == 0, out + err


def test_copies_schemas_and_descriptor_and_the_real_rates(small: Path) -> None:
    assert (small / "datapackage.json").read_bytes() == (REPO / "datapackage.json").read_bytes()
    for schema in (REPO / "schemas").glob("*.json"):
        assert (small / "schemas" / schema.name).read_bytes() == schema.read_bytes()
    rates = small / "resources/exchange_rates.csv"
    assert rates.read_bytes() == (REPO / "resources/exchange_rates.csv").read_bytes()
    assert (small / MARKER).is_file()


def test_sizes_are_proportionate_and_hashes_match(small: Path) -> None:
    counts = {p.stem: len(_rows(p)) - 1 for p in (small / "resources").glob("*.csv")}
    assert counts["targets"] == 600
    assert counts["measures"] == 150 and counts["clusters"] == 75 and counts["plans"] == 12
    sources = _rows(small / "resources/sources.csv")
    header = sources[0]
    for row in sources[1:]:
        record = dict(zip(header, row, strict=True))
        data = (small / record["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == record["sha256"]
        assert record["path"] == f"sources/{record['source_id']}.txt"


def test_same_seed_same_package(tmp_path: Path) -> None:
    first = synthesize(50, tmp_path / "a", seed=5)
    second = synthesize(50, tmp_path / "b", seed=5)
    for path in sorted(first.rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (second / path.relative_to(first)).read_bytes()


@pytest.mark.parametrize(
    ("defect", "file", "line", "rule"),
    [
        ("type@3", "targets", 4, "type"),
        ("pattern@3", "targets", 4, "pattern"),
        ("enum@3", "targets", 4, "enum"),
        ("minimum@3", "targets", 4, "minimum"),
        ("maximum@3", "targets", 4, "maximum"),
        ("required@3", "targets", 4, "required"),
        ("min-length@3", "targets", 4, "min-length"),
        ("primary-key@3", "targets", 4, "primary-key"),
        ("foreign-key@3", "targets", 4, "foreign-key"),
        ("quote@3", "targets", 4, "quote-not-in-source"),
        ("stale-usd@3:usd", "targets", 4, "stale-derived-value"),
        ("formula@3:subject", "targets", 4, "formula-injection"),
        ("missing-cell@3", "targets", 4, "ragged-row"),
        ("extra-cell@3", "targets", 4, "ragged-row"),
        ("blank-row@3", "targets", 4, "ragged-row"),
        ("sort-order@3", "targets", 5, "sort-order"),
        ("source-hash@sources:1", "sources", 2, "source-hash"),
        ("type@measures:2", "measures", 3, "type"),
        ("missing-label@plans:1", "plans", 1, "missing-column"),
        ("extra-label@plans:1", "plans", 1, "unknown-column"),
    ],
)
def test_each_defect_is_reported_where_it_was_put(
    tmp_path: Path,
    validate: Callable[..., Outcome],
    defect: str,
    file: str,
    line: int,
    rule: str,
) -> None:
    package = synthesize(100, tmp_path / "pkg", defect, seed=2)
    outcome = validate(package)
    assert outcome.code == 1
    assert (f"resources/{file}.csv", line) in {
        (p["file"], p["line"]) for p in outcome.problems if p["rule"] == rule
    }


def test_every_defect_kind_parses() -> None:
    schemas = read_schemas()
    for kind in DEFECTS:
        [defect] = parse_defects(f"{kind}@targets:2", schemas)
        assert (defect.kind, defect.table, defect.row) == (kind, "targets", 2)
    [defect] = parse_defects("type@measures:4:ordinal", schemas)
    assert (defect.table, defect.row, defect.column) == ("measures", 4, "ordinal")


@pytest.mark.parametrize(
    "bad", ["typo@3", "type", "type@0", "type@nope:3", "type@3:nocolumn", "type@3:4:5"]
)
def test_bad_defects_are_a_sentence(bad: str) -> None:
    with pytest.raises(SynthError, match=r"defect"):
        parse_defects(bad, read_schemas())


def test_refuses_to_replace_a_folder_it_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["20", str(tmp_path / "mine")]) == 2
    assert "was not written by this script" in capsys.readouterr().err
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_rewrites_its_own_output_atomically(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    synthesize(20, out, seed=1)
    synthesize(30, out, seed=1)
    assert len(_rows(out / "resources/targets.csv")) == 31
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]  # no temporary folder left
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["resources"][0]["name"] == "sources"


def test_too_few_rows_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["5", str(tmp_path / "x")]) == 2
    assert "at least 10" in capsys.readouterr().err
