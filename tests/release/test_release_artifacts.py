"""The release artifacts: zip, xlsx, Parquet, SQLite, wheel/sdist, SHA256SUMS, reproducibility.

Most tests build a small synthetic package with every cell type (integers, numbers, dates,
booleans, years, enums, Chinese text, empty cells) in a temporary git repository.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sqlite3
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from release_support import EPOCH, commit_all, copy_real_package, write_synthetic_package

from cnplans.datapackage.hashes import file_sha256, parse_sha256sums
from scripts.release import checksums
from scripts.release.cli import main

VERSION = "1.0.0"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/cnplans-1.0.0 of the synthetic package, stamped and built at SOURCE_DATE_EPOCH."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        root = write_synthetic_package(tmp_path_factory.mktemp("synthetic") / "repo", VERSION)
        assert main(["--root", str(root), "stamp"]) == 0
        commit_all(root, "stamp")
        assert main(["--root", str(root), "build", "--no-python-dist"]) == 0
    return root / "dist" / f"cnplans-{VERSION}"


def test_folder_holds_every_artifact_with_checksums(built: Path) -> None:
    names = sorted(p.name for p in built.iterdir())
    assert names == [
        "SHA256SUMS",
        "cnplans-1.0.0-places.parquet",
        "cnplans-1.0.0-visits.parquet",
        "cnplans-1.0.0.xlsx",
        "cnplans-1.0.0.zip",
        "cnplans_1_0_0.sqlite",
    ]
    text = (built / "SHA256SUMS").read_text(encoding="utf-8")
    sums = parse_sha256sums(text)
    assert list(sums) == names[1:]  # every other file, sorted by name
    for name, digest in sums.items():
        assert file_sha256(built / name) == digest
    # sha256sum format, "<hex>  <name>", as `sha256sum -c` reads it
    zip_line = f"{file_sha256(built / 'cnplans-1.0.0.zip')}  cnplans-1.0.0.zip"
    assert zip_line + "\n" in text.splitlines(keepends=True)
    assert checksums.verify(built) == sums


def test_zip_unpacks_to_a_valid_data_package_whose_hashes_match(
    built: Path, tmp_path: Path
) -> None:
    from frictionless import validate

    with zipfile.ZipFile(built / "cnplans-1.0.0.zip") as archive:
        infos = archive.infolist()
        archive.extractall(tmp_path)
    names = [i.filename for i in infos]
    assert names == sorted(names)
    # one folder; a package without the overview's tables has no overview files
    assert names == [
        f"cnplans-{VERSION}/{name}"
        for name in (
            "CHANGELOG.md", "CITATION.cff", "LICENSE", "README.md", "datapackage.json",
            "resources/places.csv", "resources/visits.csv",
            "schemas/places.json", "schemas/visits.json",
        )
    ]  # fmt: skip
    tmp_path = tmp_path / f"cnplans-{VERSION}"
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert readme != (built.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "## Places (`resources/places.csv`)" in readme and "3 rows" in readme
    assert "`visits.place_id` → `places.place_id`" in readme
    assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["version"] == VERSION
    for resource in descriptor["resources"]:
        path = tmp_path / resource["path"]
        assert resource["hash"] == "sha256:" + file_sha256(path)
        assert resource["bytes"] == path.stat().st_size
    report = validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    from cnplans.loader import read_table  # the loader reads the unpacked release as it is

    assert list(read_table(tmp_path, "places")["name_zh"]) == ["上海市", "山西省", "太原市"]


def test_xlsx_has_typed_cells_frozen_headers_and_filters(built: Path) -> None:
    workbook = load_workbook(built / "cnplans-1.0.0.xlsx")
    # The release workbook is cnplans.loader.workbook's (tests/loader/test_workbook.py tests its
    # layout); a package without the overview's tables has no overview sheets.
    assert workbook.sheetnames == ["README", "places", "visits", "data_dictionary"]
    places = workbook["places"]
    assert [c.value for c in places[1]] == [
        "place_id", "name_zh", "kind", "population", "area_km2", "founded", "coastal",
        "census_year",
    ]  # fmt: skip
    shanghai = [c.value for c in places[2]]
    assert shanghai[:3] == ["shanghai", "上海市", "city"]
    assert type(shanghai[3]) is int and shanghai[3] == 24870895
    assert type(shanghai[4]) is float and shanghai[4] == 6340.5
    assert shanghai[5] == dt.datetime(1927, 7, 7)  # openpyxl reads date cells as datetimes
    assert places.cell(2, 6).is_date and places.cell(2, 6).number_format == "yyyy-mm-dd"
    assert shanghai[6] is True and places.cell(3, 7).value is False
    assert type(shanghai[7]) is int and shanghai[7] == 2020
    # Excel has one number type: 156700.0 is stored as the number 156700, not as text
    assert places.cell(3, 5).data_type == "n" and places.cell(3, 5).value == 156700
    assert [c.value for c in places[4]][3] is None  # empty cells stay empty
    for name in ("places", "visits", "data_dictionary"):
        assert workbook[name].freeze_panes == "B2"  # the header row and the id column
    assert places.auto_filter.ref == "A1:H4"
    assert workbook["visits"].auto_filter.ref == "A1:C3"

    dictionary = [[c.value for c in row] for row in workbook["data_dictionary"].iter_rows()]
    header = dictionary[0]
    kind = next(r for r in dictionary if r[:2] == ["places", "kind"])
    assert kind[header.index("allowed_values")] == "city, province"
    assert kind[header.index("required")] is True
    place_id = next(r for r in dictionary if r[:2] == ["visits", "place_id"])
    assert place_id[header.index("foreign_key")] == "places.place_id"
    population = next(r for r in dictionary if r[:2] == ["places", "population"])
    assert population[header.index("type")] == "integer"
    assert population[header.index("description")] == "People."
    readme = [[c.value for c in row] for row in workbook["README"].iter_rows()]
    assert ["Version", VERSION] in [row[:2] for row in readme]
    assert ["places", 3, "Places."] in [row[:3] for row in readme]
    created = workbook.properties.created
    assert created == dt.datetime(2023, 11, 14, 22, 13, 20)
    assert workbook.properties.modified == created


def test_sqlite_declares_primary_and_foreign_keys(built: Path) -> None:
    connection = sqlite3.connect(built / "cnplans_1_0_0.sqlite")
    try:
        columns = {row[1]: row for row in connection.execute("PRAGMA table_info(places)")}
        assert columns["place_id"][5] == 1  # primary key position
        assert columns["population"][2] == "INTEGER"
        assert columns["area_km2"][2] == "REAL"
        assert columns["name_zh"][3] == 1  # NOT NULL
        keys = connection.execute("PRAGMA foreign_key_list(visits)").fetchall()
        assert [(k[2], k[3], k[4]) for k in keys] == [("places", "place_id", "place_id")]
        row = connection.execute(
            "SELECT name_zh, population, area_km2, founded, coastal, census_year FROM places "
            "WHERE place_id = 'shanghai'"
        ).fetchone()
        assert row == ("上海市", 24870895, 6340.5, "1927-07-07", 1, 2020)
        connection.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            connection.execute("INSERT INTO visits VALUES ('v9', 'nowhere', '')")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            connection.execute(
                "INSERT INTO places (place_id, name_zh, kind) VALUES ('x', 'x', 'x')"
            )
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            connection.execute(
                "INSERT INTO places (place_id, name_zh, kind) VALUES ('shanxi', 'x', 'city')"
            )
    finally:
        connection.close()


def test_parquet_types_follow_the_schema(built: Path) -> None:
    schema = pq.read_schema(built / "cnplans-1.0.0-places.parquet")
    assert schema.field("population").type == pa.int64()
    assert schema.field("area_km2").type == pa.float64()
    assert schema.field("founded").type == pa.date32()
    assert schema.field("coastal").type == pa.bool_()
    assert schema.field("census_year").type == pa.int64()
    assert pa.types.is_dictionary(schema.field("kind").type)
    assert schema.field("population").metadata == {b"description": b"People."}
    frame = pq.read_table(built / "cnplans-1.0.0-places.parquet").to_pandas()
    assert list(frame["name_zh"]) == ["上海市", "山西省", "太原市"]
    assert frame["population"].isna().tolist() == [False, False, True]


def test_two_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    root = built.parent.parent
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        again = tmp_path / "again"
        assert main(["--root", str(root), "build", "--no-python-dist", "--dist", str(again)]) == 0
    second = again / f"cnplans-{VERSION}"
    assert (second / "SHA256SUMS").read_bytes() == (built / "SHA256SUMS").read_bytes()


def test_build_refuses_a_dirty_tree_and_an_existing_folder(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = built.parent.parent
    assert main(["--root", str(root), "build", "--no-python-dist"]) == 1
    assert "already exists; nothing was replaced" in capsys.readouterr().err
    (root / "untracked.txt").write_text("x", encoding="utf-8")
    try:
        assert main(["--root", str(root), "build", "--no-python-dist"]) == 1
        assert "uncommitted changes" in capsys.readouterr().err
    finally:
        (root / "untracked.txt").unlink()


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("hatchling") is None or importlib.util.find_spec("build") is None,
    reason="needs `build` and hatchling installed to build the wheel offline",
)
def test_wheel_and_sdist_builds_are_reproducible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    root = copy_real_package(tmp_path / "repo")
    folders = []
    for name in ("one", "two"):
        dist = tmp_path / name
        assert (
            main(["--root", str(root), "build", "--no-build-isolation", "--dist", str(dist)]) == 0
        )
        folders.extend(dist.iterdir())
    first, second = folders
    assert (first / "SHA256SUMS").read_bytes() == (second / "SHA256SUMS").read_bytes()
    version = first.name.removeprefix("cnplans-")
    wheel = first / f"cnplans-{version}-py3-none-any.whl"
    assert (first / f"cnplans-{version}.tar.gz").is_file()
    with zipfile.ZipFile(wheel) as archive:
        assert "cnplans/data/datapackage.json" in archive.namelist()
    assert f"{wheel.name}\n" in (first / "SHA256SUMS").read_text(encoding="utf-8")


def test_the_loader_downloads_and_loads_the_built_zip(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cnplans.load(name, version=...)`` accepts the zip, verified against our SHA256SUMS."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    import cnplans
    from cnplans.loader import releases

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=built))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        monkeypatch.setenv(releases.RELEASES_URL_ENV, base + "/cnplans-{version}.zip")
        monkeypatch.setenv(releases.CACHE_DIR_ENV, str(tmp_path / "cache"))
        monkeypatch.setattr(releases, "registry", dict)  # not a real release: use SHA256SUMS
        places = cnplans.load("places", version=VERSION)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert list(places["name_zh"]) == ["上海市", "山西省", "太原市"]
    assert str(places["population"].dtype) == "Int64"
