"""The loader: dtypes from the Table Schemas, key checks, clear errors, cheap imports."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from loader_fixtures import REPO, ROWS, make_package, schema_fields, write_csv

import cnplans
from cnplans import loader
from cnplans.datapackage import paths
from cnplans.datapackage.table_schema import TableSchema
from cnplans.loader import DataError, read_table


@pytest.fixture
def package_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A synthetic package that cnplans.load() reads instead of the bundled data."""
    root = make_package(tmp_path / "pkg")
    monkeypatch.setattr(paths, "bundled_root", lambda: root)
    return root


def _expected_dtype(root: Path, table: str, field: str) -> object:
    return TableSchema.from_path(root / "schemas" / f"{table}.json").field(field).pandas_dtype()


def _assert_schema_dtypes(root: Path, table: str, frame: pd.DataFrame) -> None:
    schema = TableSchema.from_path(root / "schemas" / f"{table}.json")
    assert list(frame.columns) == schema.field_names
    for f in schema.fields:
        expected = loader.loaded_dtype(f)  # a partial-date text field loads as dates
        if isinstance(expected, pd.CategoricalDtype):
            assert isinstance(frame[f.name].dtype, pd.CategoricalDtype), (table, f.name)
            assert list(frame[f.name].cat.categories) == f.enum, (table, f.name)
        else:
            assert frame[f.name].dtype == expected, (table, f.name, frame[f.name].dtype)


# --- the bundled (real) data ------------------------------------------------------------------


def test_every_bundled_table_loads_with_the_schema_dtypes() -> None:
    root = paths.bundled_root()
    frames = cnplans.load_all()
    assert list(frames) == cnplans.tables()
    for name, frame in frames.items():
        _assert_schema_dtypes(root, name, frame)
        assert len(frame) == len(pd.read_csv(root / "resources" / f"{name}.csv"))


def test_version_matches_the_descriptor() -> None:
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    assert cnplans.__version__ == descriptor["version"]
    assert cnplans.package() == descriptor


def test_import_and_load_do_not_import_validation_or_network_libraries() -> None:
    code = (
        "import sys, cnplans\n"
        "assert 'pandas' not in sys.modules, 'import cnplans imported pandas'\n"
        "cnplans.load_all(); cnplans.describe('plans'); cnplans.package()\n"
        "heavy = sorted(m for m in ('pandera', 'frictionless', 'requests', 'pooch')"
        " if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


# --- dtypes and values on a synthetic package ---------------------------------------------------


def test_fixture_tables_have_schema_dtypes_and_missing_values(package_root: Path) -> None:
    for name in cnplans.tables():
        _assert_schema_dtypes(package_root, name, cnplans.load(name))
    plans = cnplans.load("plans").set_index("plan_id")
    assert plans.loc["plan-sx", "period_start"] == 2021
    assert plans.loc["plan-sx", "period_end"] is pd.NA
    assert plans.loc["plan-sh", "title"] == "NA"  # only the empty string is missing
    targets = cnplans.load("targets").set_index("target_id")
    assert targets.loc["t-ty", "value"] == 230000000000.0
    assert targets.loc["t-sx", "value"] == 1.5
    assert targets["value_max"].isna().all()
    assert list(cnplans.load("regions")["region_id"]) == ["140000", "140100", "140122", "310000"]


def test_columns_come_in_schema_order_whatever_the_file_order(package_root: Path) -> None:
    fields = [str(f["name"]) for f in schema_fields("plans")]
    with (package_root / "resources/plans.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    write_csv(package_root / "resources/plans.csv", list(reversed(fields)), rows)
    assert list(cnplans.load("plans").columns) == fields


def test_date_datetime_and_boolean_fields(tmp_path: Path) -> None:
    schema = {
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "day", "type": "date"},
            {"name": "moment", "type": "datetime"},
            {"name": "flag", "type": "boolean"},
        ],
        "primaryKey": ["id"],
    }
    descriptor = {"resources": [{"name": "t", "path": "t.csv", "schema": schema}]}
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    (tmp_path / "t.csv").write_text(
        "id,day,moment,flag\na,2024-11-12,2024-11-12T08:30:00Z,true\nb,,,0\n", encoding="utf-8"
    )
    frame = read_table(tmp_path, "t")
    assert str(frame["day"].dtype) == "datetime64[ns]"
    assert str(frame["moment"].dtype) == "datetime64[ns]"
    assert frame.loc[0, "day"] == pd.Timestamp("2024-11-12")
    assert frame.loc[0, "moment"] == pd.Timestamp("2024-11-12 08:30:00")
    assert frame.loc[1, "day"] is pd.NaT
    assert list(frame["flag"]) == [True, False]
    (tmp_path / "t.csv").write_text("id,day,moment,flag\na,12/11/2024,,\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"t\.csv, column day: expected a date .* line 2: '12/11"):
        read_table(tmp_path, "t")


def test_partial_date_fields_are_recognised_by_their_schema_pattern() -> None:
    for table, name in (("plans", "issued"), ("sources", "published")):
        f = TableSchema.from_path(REPO / "schemas" / f"{table}.json").field(name)
        assert f.type == "string"
        assert loader.is_partial_date_field(f), (table, name, f.constraints)
        assert str(loader.loaded_dtype(f)) == "datetime64[ns]"
    title = TableSchema.from_path(REPO / "schemas" / "plans.json").field("title")
    assert not loader.is_partial_date_field(title)


def test_full_dates_load_as_dates_and_partial_ones_as_nat_with_one_warning(
    package_root: Path,
) -> None:
    issued = {"p-day": "2024-11-12", "p-month": "2024-11", "p-year": "2023", "p-none": ""}
    rows = [{"plan_id": plan, "region_id": "140000", "issued": v} for plan, v in issued.items()]
    make_package(package_root, {"plans": rows})
    with pytest.warns(loader.PartialDateWarning) as caught:
        plans = cnplans.load("plans")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "table plans, field issued" in message
    assert "'2024-11'" in message and "'2023'" in message and "2024-11-12" not in message
    assert str(plans["issued"].dtype) == "datetime64[ns]"
    by_plan = plans.set_index("plan_id")["issued"]
    assert by_plan["p-day"] == pd.Timestamp("2024-11-12")
    assert by_plan[["p-month", "p-year", "p-none"]].isna().all()


def test_full_dates_alone_load_without_a_warning(package_root: Path) -> None:
    import warnings

    rows = [{"source_id": "src-a", "language": "en", "published": "2022-04-25"}]
    make_package(package_root, {"sources": rows})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sources = cnplans.load("sources")
    assert sources.loc[0, "published"] == pd.Timestamp("2022-04-25")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Nov 2024", "expected an ISO date YYYY-MM-DD, YYYY-MM or YYYY, found line 2: 'Nov 2024'"),
        ("2024-02-30", "expected a date that exists (YYYY-MM-DD), found line 2: '2024-02-30'"),
    ],
)
def test_a_partial_date_field_refuses_what_is_no_date(
    package_root: Path, value: str, expected: str
) -> None:
    make_package(package_root, {"plans": [{"plan_id": "p", "region_id": "1", "issued": value}]})
    with pytest.raises(DataError, match="column issued: ") as info:
        cnplans.load("plans")
    assert expected in str(info.value)


def test_quoted_line_breaks_unicode_and_null_text_load_as_written(package_root: Path) -> None:
    write_csv(
        package_root / "resources/sources.csv",
        [str(f["name"]) for f in schema_fields("sources")],
        [
            {"source_id": "src-a", "title": "two\nlines, quoted", "language": "en", "notes": ""},
            {"source_id": "src-b", "title": "中文标题", "language": "zh", "notes": "null"},
        ],
    )
    sources = cnplans.load("sources")
    assert sources.loc[0, "title"] == "two\nlines, quoted"
    assert sources.loc[1, "title"] == "中文标题"
    assert sources.loc[0, "notes"] is pd.NA
    assert sources.loc[1, "notes"] == "null"


# --- keys, names and errors -------------------------------------------------------------------


def test_unknown_table_raises_key_error_listing_the_tables(package_root: Path) -> None:
    with pytest.raises(KeyError) as info:
        cnplans.load("plan")
    message = info.value.args[0]
    assert "no table named 'plan'" in message
    for name in ROWS:
        assert name in message
    with pytest.raises(KeyError, match="no table named"):
        cnplans.describe("nope")


def test_duplicate_primary_key_is_refused_with_its_lines(package_root: Path) -> None:
    make_package(
        package_root, {"plans": [*ROWS["plans"], {"plan_id": "plan-sx", "region_id": "1"}]}
    )
    with pytest.raises(DataError) as info:
        cnplans.load("plans")
    message = str(info.value)
    assert "plans.csv" in message
    assert "primary key (plan_id) is not unique" in message
    assert "'plan-sx' on lines 2, 5" in message


def test_duplicate_composite_key_is_refused(package_root: Path) -> None:
    pair = {"cluster_id": "c-sx", "region_id": "140122"}
    make_package(package_root, {"cluster_regions": [pair, pair]})
    with pytest.raises(
        DataError, match=r"\(cluster_id, region_id\) is not unique: \('c-sx', '140122'\)"
    ):
        cnplans.load("cluster_regions")


def test_empty_primary_key_is_refused(package_root: Path) -> None:
    make_package(package_root, {"measures": [{"measure_id": "", "plan_id": "plan-sx"}]})
    with pytest.raises(DataError, match=r"primary key \(measure_id\) is empty on line\(s\) 2"):
        cnplans.load("measures")


def test_unparsable_number_names_file_line_and_value(package_root: Path) -> None:
    rows = [
        {"plan_id": "plan-a", "region_id": "140000", "notes": "spans\ntwo lines"},
        {"plan_id": "plan-b", "region_id": "140000", "period_start": "20x5"},
    ]
    make_package(package_root, {"plans": rows})
    with pytest.raises(DataError) as info:
        cnplans.load("plans")
    message = str(info.value)
    assert "plans.csv, column period_start" in message
    assert "line 4: '20x5'" in message  # the quoted note spans lines 2 and 3
    assert "'year'" in message


def test_fractional_integer_is_refused(package_root: Path) -> None:
    make_package(package_root, {"projects": [{"project_id": "p", "project_count": "1.5"}]})
    with pytest.raises(DataError, match=r"column project_count: .* line 2: '1\.5'"):
        cnplans.load("projects")


def test_value_outside_the_enum_is_refused(package_root: Path) -> None:
    make_package(package_root, {"clusters": [{"cluster_id": "c", "kind": "megacluster"}]})
    with pytest.raises(DataError, match=r"column kind: expected one of cluster, .* 'megacluster'"):
        cnplans.load("clusters")


def test_header_must_match_the_schema(package_root: Path) -> None:
    write_csv(package_root / "resources/projects.csv", ["project_id", "colour"], [])
    with pytest.raises(DataError) as info:
        cnplans.load("projects")
    message = str(info.value)
    assert "projects.csv, line 1" in message
    assert "missing column(s) plan_id, name" in message
    assert "unexpected column(s) colour" in message


def test_empty_and_missing_files_are_clear_errors(package_root: Path) -> None:
    (package_root / "resources/projects.csv").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match=r"projects\.csv is empty"):
        cnplans.load("projects")
    (package_root / "resources/projects.csv").unlink()
    with pytest.raises(DataError, match=r"projects\.csv does not exist"):
        cnplans.load("projects")


def _set_resource(root: Path, name: str, **changes: object) -> None:
    path = root / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] == name:
            resource.update(changes)
    path.write_text(json.dumps(descriptor), encoding="utf-8")


def test_recorded_hash_is_checked_when_present(package_root: Path) -> None:
    data = (package_root / "resources/plans.csv").read_bytes()
    _set_resource(package_root, "plans", hash=f"sha256:{hashlib.sha256(data).hexdigest()}")
    assert len(cnplans.load("plans")) == len(ROWS["plans"])
    _set_resource(package_root, "plans", hash="sha256:" + "0" * 64)
    with pytest.raises(DataError, match=r"plans\.csv does not match the sha256 recorded"):
        cnplans.load("plans")


def test_descriptor_paths_outside_the_package_are_refused(package_root: Path) -> None:
    _set_resource(package_root, "plans", path="../elsewhere/plans.csv")
    with pytest.raises(DataError, match="points outside the data package"):
        cnplans.load("plans")


# --- the data dictionary -------------------------------------------------------------------------


def test_describe_is_generated_from_the_schema() -> None:
    fields = schema_fields("targets")
    table = cnplans.describe("targets")
    assert list(table.columns) == [
        "field",
        "title",
        "type",
        "dtype",
        "key",
        "constraints",
        "description",
    ]
    assert list(table["field"]) == [f["name"] for f in fields]
    assert list(table["description"]) == [f["description"] for f in fields]
    by_field = table.set_index("field")
    assert by_field.loc["target_id", "key"] == "primary key"
    assert by_field.loc["plan_id", "key"] == "foreign key -> plans.plan_id"
    assert by_field.loc["value", "dtype"] == "Float64"
    assert by_field.loc["target_year", "dtype"] == "Int64"
    assert by_field.loc["unit", "dtype"] == "category"
    unit = next(f for f in fields if f["name"] == "unit")
    enum = unit["constraints"]["enum"]  # type: ignore[index]
    assert str(by_field.loc["unit", "constraints"]).endswith("one of: " + ", ".join(enum))
    assert by_field.loc["value", "constraints"] == "required; minimum 0"


def test_text_fields_keep_what_a_parser_would_read_as_numbers_or_booleans(tmp_path: Path) -> None:
    """The schema decides every dtype: digits in a text field keep their leading zeros, True and
    False stay words, and an integer field is Int64 (no inference from the values)."""
    schema = {
        "fields": [
            {"name": "code", "type": "string"},
            {"name": "flag", "type": "string"},
            {"name": "n", "type": "integer"},
        ]
    }
    (tmp_path / "t.json").write_text(json.dumps(schema), encoding="utf-8")
    (tmp_path / "datapackage.json").write_text(
        json.dumps({"resources": [{"name": "t", "path": "t.csv", "schema": "t.json"}]}),
        encoding="utf-8",
    )
    rows = "".join(f"{i:06d},{'True' if i % 2 else 'False'},{i}\n" for i in range(40_000))
    (tmp_path / "t.csv").write_text("code,flag,n\n" + rows, encoding="utf-8")
    frame = loader.read_table(tmp_path, "t")
    assert frame["code"].iloc[7] == "000007" and frame["flag"].iloc[1] == "True"
    assert str(frame["code"].dtype) == "string" and str(frame["n"].dtype) == "Int64"
    assert frame["n"].iloc[39_999] == 39_999
