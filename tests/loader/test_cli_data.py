"""The data commands: ``cnplans tables``, ``cnplans show``, ``cnplans export``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from loader_fixtures import ROWS, Route, make_package, serve, sha256, zip_package

import cnplans
from cnplans import cli, paths, releases

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
        assert cli.COMMANDS[name][0].startswith("cnplans.cli.")


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
    assert out.splitlines()[1].split(",")[6] == "2025-01-31"


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
    frames = cnplans.load_all()
    if fmt == "xlsx":
        assert sorted(p.name for p in target.iterdir()) == ["cnplans.xlsx"]
        sheets = pd.read_excel(target / "cnplans.xlsx", sheet_name=None, dtype=str)
        assert list(sheets) == list(frames)
        assert list(sheets["plans"]["plan_id"]) == list(frames["plans"]["plan_id"])
    else:
        assert sorted(p.name for p in target.iterdir()) == sorted(f"{n}.{fmt}" for n in frames)
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
    from cnplans import export

    target = tmp_path / "out"
    target.mkdir()
    (target / "plans.csv").write_text("previous export", encoding="utf-8")

    def fail(self: pd.DataFrame, path: Path, **kwargs: object) -> None:
        Path(path).write_text("half", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
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
