"""The data commands: ``cnplans tables``, ``cnplans show``, ``cnplans export``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from loader_fixtures import ROWS, Route, make_package, serve, sha256, zip_package

import cnplans
from cnplans import __main__ as cli
from cnplans.datapackage import paths
from cnplans.datapackage.csv_form import number_text
from cnplans.loader import releases

DATA_COMMANDS = ("tables", "show", "export")


@pytest.fixture(autouse=True)
def only_data_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the parser with this file's commands only, whatever else is registered."""
    commands = {name: cli.COMMANDS[name] for name in DATA_COMMANDS}
    monkeypatch.setattr(cli, "COMMANDS", commands)


@pytest.fixture
def package_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_package(tmp_path / "pkg")
    monkeypatch.setattr(paths, "bundled_root", lambda: root)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_commands_are_registered() -> None:
    for name in DATA_COMMANDS:
        assert cli.COMMANDS[name][0].startswith("cnplans.loader.commands.")


def test_tables_lists_names_and_row_counts(
    package_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "tables")
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == cnplans.tables()
    counts = {line.split()[0]: int(line.split()[1]) for line in lines}
    assert counts["plans"] == len(ROWS["plans"])
    assert counts["regions"] == len(ROWS["regions"])


def test_show_csv_round_trips(package_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "plans")
    assert code == 0, err
    shown = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert list(shown.columns) == list(cnplans.load("plans").columns)
    assert list(shown["plan_id"]) == ["plan-sx", "plan-ty", "plan-sh"]
    assert list(shown["period_start"]) == ["2021", "", ""]
    assert shown.loc[2, "title"] == "NA"


def test_show_json_gives_records_with_nulls(
    package_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "show", "plans", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["plan_id"] for r in records] == ["plan-sx", "plan-ty", "plan-sh"]
    assert records[0]["period_start"] == 2021
    assert records[0]["period_end"] is None
    assert records[0]["sector"] == "new_materials"


def test_show_json_writes_dates_as_days_and_urls_unescaped(
    package_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "show", "exchange_rates", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["retrieved"] for r in records] == ["2025-01-31", None]
    assert records[1]["source_url"] == "https://example.org/a/b"
    assert "https://example.org/a/b" in out
    code, out, err = run(capsys, "show", "exchange_rates")
    assert code == 0, err
    assert [r["retrieved"] for r in _csv_records(out)] == ["2025-01-31", ""]


@pytest.mark.parametrize(
    ("table", "region", "expected"),
    [
        ("plans", "CN-SX", ["plan-sx", "plan-ty"]),  # the province and its prefecture city
        ("plans", "cn-sh", ["plan-sh"]),
        ("plans", "140100", ["plan-ty"]),
        ("targets", "CN-SX", ["t-sx", "t-ty"]),  # through targets.plan_id -> plans.region_id
        ("targets", "310000", ["t-sh"]),
        ("measures", "CN-SH", ["m-sh-1"]),
        ("regions", "CN-SX", ["140000", "140100", "140122"]),
        ("cluster_regions", "140100", ["c-sx", "c-sx"]),
        ("clusters", "140122", ["c-sx"]),  # via cluster_regions: its plan is the province's
        ("clusters", "140100", ["c-sx"]),  # the city holds the county: the cluster comes once
        ("clusters", "CN-SX", ["c-sx"]),
        ("clusters", "CN-SH", []),
    ],
)
def test_show_region_filter_follows_the_foreign_keys(
    package_root: Path,
    capsys: pytest.CaptureFixture[str],
    table: str,
    region: str,
    expected: list[str],
) -> None:
    code, out, err = run(capsys, "show", table, "--region", region, "--format", "json")
    assert code == 0, err
    key = cnplans.describe(table)["field"].iloc[0]
    assert [r[key] for r in json.loads(out)] == expected


def test_show_region_on_a_table_without_region_link_says_so(
    package_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "show", "sources", "--region", "CN-SX")
    assert code == 2
    assert out == ""
    assert "table sources has no link to a region" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "plan"], "no table named 'plan'; the tables are: sources, regions"),
        (["show", "plans", "--region", "CN-XX"], "no region in table regions has ISO 3166-2 code"),
        (["show", "plans", "--region", "999999"], "no region in table regions has code 999999"),
        (["show", "plans", "--region", "Shanxi"], "expected an ISO 3166-2 code such as CN-SX"),
        (["show", "plans", "--release", "../1"], "is not a release version"),
    ],
)
def test_show_errors_are_one_line_messages_with_exit_code_2(
    package_root: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("cnplans: ")
    assert message in err
    assert "Traceback" not in err


def test_usage_errors_exit_with_code_2(
    package_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["show", "plans", "--format", "xml"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        cli.main(["export"])  # --to is required
    assert info.value.code == 2


def test_invalid_data_exits_with_code_1(
    package_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_package(package_root, {"plans": [{"plan_id": "same"}, {"plan_id": "same"}]})
    code, _, err = run(capsys, "show", "plans")
    assert code == 1
    assert "primary key (plan_id) is not unique: 'same' on lines 2, 3" in err


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_export_writes_every_table(
    package_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    target = tmp_path / "out" / "nested"
    code, out, err = run(capsys, "export", "--to", str(target), "--format", fmt)
    assert code == 0, err
    from cnplans.loader.export import OVERVIEW_PREFIX
    from cnplans.loader.overviews import NAMES

    frames = cnplans.load_all()
    if fmt == "xlsx":  # the workbook's own layout is tested in test_workbook.py
        assert sorted(p.name for p in target.iterdir()) == ["cnplans.xlsx"]
        sheets = pd.read_excel(target / "cnplans.xlsx", sheet_name=None, dtype=str)
        assert set(frames) <= set(sheets)
    else:
        overviews = [f"{OVERVIEW_PREFIX}{name}" for name in NAMES]
        expected = sorted(f"{n}.{fmt}" for n in [*frames, *overviews])
        assert sorted(p.name for p in target.iterdir()) == expected
        for name, frame in frames.items():
            path = target / f"{name}.{fmt}"
            if fmt == "parquet":  # parquet keeps the dtypes, categories included
                pd.testing.assert_frame_equal(pd.read_parquet(path), frame)
            else:
                again = pd.read_csv(path, dtype=str, keep_default_na=False)
                assert list(again.columns) == list(frame.columns)
                assert len(again) == len(frame)
    assert sorted(out.splitlines()) == sorted(str(p) for p in target.iterdir())


def test_export_to_a_file_is_refused(
    package_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me", encoding="utf-8")
    code, _, err = run(capsys, "export", "--to", str(blocker))
    assert code == 2
    assert "exists and is not a folder" in err
    assert blocker.read_text(encoding="utf-8") == "keep me"


def test_export_failure_leaves_no_partial_file(
    package_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cnplans.loader import export

    target = tmp_path / "out"
    target.mkdir()
    (target / "plans.csv").write_text("previous export", encoding="utf-8")

    def fail(descriptor: int) -> None:  # the data is in the temporary file, not yet on disk
        raise OSError("disk full")

    monkeypatch.setattr("cnplans.datapackage.atomic.os.fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        export.export(cnplans.load_all(), target, "csv")
    assert sorted(p.name for p in target.iterdir()) == ["plans.csv"]
    assert (target / "plans.csv").read_text(encoding="utf-8") == "previous export"


def test_show_reads_a_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = {"plans": [{"plan_id": "released-plan", "region_id": "140000"}]}
    archive = zip_package(make_package(tmp_path / "r", rows, version="2.0.0"))
    monkeypatch.setattr(releases, "registry", lambda: {"2.0.0": sha256(archive)})
    monkeypatch.setenv(releases.CACHE_DIR_ENV, str(tmp_path / "cache"))
    with serve({"/2.0.0.zip": Route(archive)}) as server:
        monkeypatch.setenv(releases.RELEASES_URL_ENV, server.base_url + "/{version}.zip")
        code, out, err = run(capsys, "show", "plans", "--release", "2.0.0", "--format", "json")
    assert code == 0, err
    assert [r["plan_id"] for r in json.loads(out)] == ["released-plan"]


def test_data_commands_work_on_the_bundled_data(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "targets", "--format", "json")
    assert code == 0, err
    assert len(json.loads(out)) == len(cnplans.load("targets"))


def _csv_records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _file_records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_show_clusters_in_a_county_through_cluster_regions_as_csv(
    package_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "show", "clusters", "--region", "140122")
    assert code == 0, err
    assert [r["cluster_id"] for r in _csv_records(out)] == ["c-sx"]


def test_show_writes_numbers_as_the_fixture_file_says(
    package_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "show", "targets")
    assert code == 0, err
    assert [r["value"] for r in _csv_records(out)] == ["1.5", "230000000000", "20"]
    assert ".0," not in out and not out.rstrip("\n").endswith(".0")
    code, out, err = run(capsys, "show", "targets", "--format", "json")
    assert code == 0, err
    values = [r["value"] for r in json.loads(out)]
    assert values == [1.5, 230000000000, 20]
    assert [type(v) for v in values] == [float, int, int]
    assert '"value": 230000000000,' in out


def _number_fields(table: str) -> list[str]:
    from cnplans.loader import schema

    return [f.name for f in schema(table).fields if f.type in _NUMERIC]


_NUMERIC = ("number", "integer", "year")


@pytest.mark.parametrize("table", ["targets", "exchange_rates"])
def test_show_numbers_are_the_cells_of_the_bundled_csv(
    capsys: pytest.CaptureFixture[str], table: str
) -> None:
    in_file = _file_records(paths.bundled_root() / "resources" / f"{table}.csv")
    code, out, err = run(capsys, "show", table)
    assert code == 0, err
    shown = _csv_records(out)
    assert len(shown) == len(in_file)
    for name in _number_fields(table):
        for shown_row, row in zip(shown, in_file, strict=True):
            cell, printed = row[name], shown_row[name]
            # a count 20, an amount 230000000000: the file's very text; a rate the source
            # prints as 6.4630 is the same number, which a typed column holds as 6.463
            assert printed == (number_text(float(cell)) if cell else ""), (name, cell)
            if cell and (float(cell).is_integer() or not cell.endswith("0")):
                assert printed == cell, (name, cell, printed)
    code, out, err = run(capsys, "show", table, "--format", "json")
    assert code == 0, err
    for record, row in zip(json.loads(out), in_file, strict=True):
        for name in _number_fields(table):
            cell, value = row[name], record[name]
            if cell == "":
                assert value is None, (name, row)
            else:
                assert value == float(cell), (name, cell, value)
                assert isinstance(value, int) == float(cell).is_integer(), (name, cell, value)


def test_show_and_export_write_full_dates_of_text_date_fields_as_days(
    package_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {"plan_id": "p-dated", "region_id": "140000", "issued": "2024-11-12"},
        {"plan_id": "p-undated", "region_id": "140000", "issued": ""},
    ]
    make_package(package_root, {"plans": rows})
    assert str(cnplans.load("plans")["issued"].dtype) == "datetime64[ns]"
    code, out, err = run(capsys, "show", "plans")
    assert code == 0, err
    assert [r["issued"] for r in _csv_records(out)] == ["2024-11-12", ""]
    code, out, err = run(capsys, "show", "plans", "--format", "json")
    assert code == 0, err
    assert [r["issued"] for r in json.loads(out)] == ["2024-11-12", None]
    code, out, err = run(capsys, "export", "--to", str(tmp_path / "out"), "--format", "csv")
    assert code == 0, err
    exported = _file_records(tmp_path / "out" / "plans.csv")
    assert [r["issued"] for r in exported] == ["2024-11-12", ""]


# --- cnplans show overview ----------------------------------------------------------------------


def _regions_within(code: str) -> set[str]:
    """Region ids inside region ``code`` (ISO or GB/T), walking each region's parents upwards."""
    regions = cnplans.load("regions")
    by_iso = dict(zip(regions["iso_3166_2"], regions["region_id"], strict=True))
    top = str(by_iso.get(code, code))
    parent = {
        str(r): (None if pd.isna(p) else str(p))
        for r, p in zip(regions["region_id"], regions["parent_id"], strict=True)
    }
    inside = set()
    for region in parent:
        walk: str | None = region
        while walk is not None:
            if walk == top:
                inside.add(region)
                break
            walk = parent.get(walk)
    return inside


def test_show_overview_prints_every_target(capsys: pytest.CaptureFixture[str]) -> None:
    from cnplans.loader.overviews import schema

    expected = list(cnplans.overview("targets")["target_id"])
    code, out, err = run(capsys, "show", "overview", "--format", "json")
    assert code == 0, err
    assert [r["target_id"] for r in json.loads(out)] == expected
    code, out, err = run(capsys, "show", "overview", "targets")
    assert code == 0, err
    shown = _csv_records(out)
    assert list(shown[0]) == schema("targets").field_names
    assert [r["target_id"] for r in shown] == expected


def test_show_overview_targets_of_a_province_include_its_subdivisions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plans = cnplans.load("plans")
    plan_region = dict(zip(plans["plan_id"], plans["region_id"], strict=True))
    targets = cnplans.load("targets")
    codes = cnplans.load("regions")["iso_3166_2"].dropna()
    assert len(codes) > 0
    for code in codes:
        inside = _regions_within(str(code))
        expected = sorted(
            t
            for t, p in zip(targets["target_id"], targets["plan_id"], strict=True)
            if plan_region[p] in inside
        )
        code_, out, err = run(capsys, "show", "overview", "--region", str(code), "--format", "json")
        assert code_ == 0, err
        records = json.loads(out)
        assert sorted(r["target_id"] for r in records) == expected, code
        assert all(r["region_id"] in inside for r in records)


def test_show_overview_clusters_in_a_region(capsys: pytest.CaptureFixture[str]) -> None:
    links = cnplans.load("cluster_regions")
    regions = cnplans.load("regions").set_index("region_id")
    # regions with a parent (districts, cities) first, then the top-level ones
    deepest = sorted(
        set(links["region_id"]), key=lambda r: (regions.loc[r, "parent_id"] is pd.NA, r)
    )
    for region in deepest[:3]:
        inside = _regions_within(region)
        expected = sorted(
            (c, r)
            for c, r in zip(links["cluster_id"], links["region_id"], strict=True)
            if r in inside
        )
        code, out, err = run(
            capsys, "show", "overview", "clusters", "--region", region, "--format", "json"
        )
        assert code == 0, err
        assert sorted((r["cluster_id"], r["region_id"]) for r in json.loads(out)) == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "overview", "nope"], "no overview named 'nope'; the overviews are: targets"),
        (["show", "plans", "extra"], "unexpected 'extra' after table plans"),
        (["show", "overview", "--region", "CN-XX"], "no region in table regions has ISO"),
    ],
)
def test_show_overview_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("cnplans: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_show_help_lists_the_overview(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["show", "--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "overview" in out
    assert "targets or clusters" in out
