"""Loading a published release by version: download, verify, cache, refuse bad archives.

Every archive is served from 127.0.0.1 by a server the test starts; nothing touches the internet.
"""

from __future__ import annotations

import io
import json
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from loader_fixtures import (
    REPO,
    Route,
    Server,
    files_under,
    make_package,
    serve,
    sha256,
    zip_package,
)

import cnplans
from cnplans import releases
from cnplans.releases import ReleaseError

VERSION = "1.2.3"
ARCHIVE_PATH = f"/v{VERSION}/cnplans-{VERSION}.zip"
SUMS_PATH = f"/v{VERSION}/SHA256SUMS"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(releases.CACHE_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def release(tmp_path: Path) -> bytes:
    """A release archive of a synthetic package whose plans differ from the bundled data."""
    rows = {"plans": [{"plan_id": "released-plan", "region_id": "140000", "period_start": "2030"}]}
    return zip_package(make_package(tmp_path / "release", rows, version=VERSION))


def _registry(monkeypatch: pytest.MonkeyPatch, entries: dict[str, str]) -> None:
    monkeypatch.setattr(releases, "registry", lambda: entries)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    with serve({}) as state:
        monkeypatch.setenv(
            releases.RELEASES_URL_ENV, state.base_url + "/v{version}/cnplans-{version}.zip"
        )
        yield state


def test_release_in_the_registry_is_downloaded_once_then_read_offline(
    cache: Path, release: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _registry(monkeypatch, {VERSION: sha256(release)})
    with serve({ARCHIVE_PATH: Route(release)}) as state:
        monkeypatch.setenv(
            releases.RELEASES_URL_ENV, state.base_url + "/v{version}/cnplans-{version}.zip"
        )
        plans = cnplans.load("plans", version=VERSION)
        assert state.requests == [ARCHIVE_PATH]  # the registry hash: no SHA256SUMS needed
    assert list(plans["plan_id"]) == ["released-plan"]
    assert plans["period_start"].dtype == pd.Int64Dtype()
    assert cnplans.package(version=VERSION)["version"] == VERSION
    # the server is gone: everything now comes from the cache
    frames = cnplans.load_all(version=VERSION)
    assert list(frames) == cnplans.tables(version=VERSION)
    assert list(frames["plans"]["plan_id"]) == ["released-plan"]
    assert files_under(cache / "releases")[0] == VERSION
    assert not [p for p in files_under(cache / "releases") if p.startswith(".partial")]


def test_release_outside_the_registry_is_checked_against_sha256sums(
    cache: Path, release: bytes, monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    _registry(monkeypatch, {})
    sums = f"{'0' * 64}  other.zip\n{sha256(release)} *cnplans-{VERSION}.zip\n".encode()
    server.routes.update({ARCHIVE_PATH: Route(release), SUMS_PATH: Route(sums)})
    assert list(cnplans.load("plans", version=VERSION)["plan_id"]) == ["released-plan"]
    assert server.requests == [SUMS_PATH, ARCHIVE_PATH]


def test_archive_with_one_top_folder_is_accepted(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    archive = zip_package(
        make_package(tmp_path / "r", version=VERSION), folder=f"cnplans-{VERSION}"
    )
    _registry(monkeypatch, {VERSION: sha256(archive)})
    server.routes[ARCHIVE_PATH] = Route(archive)
    root = releases.fetch(VERSION)
    assert root == cache / "releases" / VERSION
    assert (root / "datapackage.json").is_file()
    assert len(cnplans.load("regions", version=VERSION)) == 4


@pytest.mark.parametrize(
    "damage", ["tampered", "corrupted", "truncated_transfer", "truncated_file"]
)
def test_damaged_download_is_refused_and_the_cache_stays_clean(
    cache: Path,
    tmp_path: Path,
    release: bytes,
    monkeypatch: pytest.MonkeyPatch,
    server: Server,
    damage: str,
) -> None:
    _registry(monkeypatch, {VERSION: sha256(release)})
    if damage == "tampered":  # a well-formed archive with other rows
        rows = {"plans": [{"plan_id": "evil-plan", "region_id": "140000"}]}
        route = Route(zip_package(make_package(tmp_path / "evil", rows, version=VERSION)))
    elif damage == "corrupted":  # one byte flipped
        middle = len(release) // 2
        route = Route(release[:middle] + bytes([release[middle] ^ 0xFF]) + release[middle + 1 :])
    elif damage == "truncated_transfer":
        route = Route(release, truncate_at=len(release) // 2)
    else:
        route = Route(release[: len(release) // 2])
    server.routes[ARCHIVE_PATH] = route
    with pytest.raises(ReleaseError) as info:
        cnplans.load("plans", version=VERSION)
    message = str(info.value)
    assert ARCHIVE_PATH in message
    assert "nothing was cached" in message
    if damage != "truncated_transfer":  # an interrupted transfer fails before the hash check
        assert "does not match the sha256 from cnplans/releases.json" in message
    assert files_under(cache / "releases") == []


def _zip_with(release: bytes, name: str, data: bytes, *, symlink: bool = False) -> bytes:
    buffer = io.BytesIO(release)
    with zipfile.ZipFile(buffer, "a") as zf:
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("member", "symlink", "problem"),
    [
        ("../escaped.txt", False, "climbs out of the folder with '..'"),
        ("resources/../../escaped.txt", False, "climbs out of the folder with '..'"),
        ("/tmp/escaped.txt", False, "is an absolute path"),
        ("C:/escaped.txt", False, "is an absolute path"),
        ("resources\\escaped.txt", False, "contains a backslash"),
        ("resources/link.csv", True, "is a symbolic link"),
    ],
)
def test_members_escaping_the_cache_are_refused(
    cache: Path,
    tmp_path: Path,
    release: bytes,
    monkeypatch: pytest.MonkeyPatch,
    server: Server,
    member: str,
    symlink: bool,
    problem: str,
) -> None:
    archive = _zip_with(release, member, b"/etc/passwd" if symlink else b"escaped", symlink=symlink)
    _registry(monkeypatch, {VERSION: sha256(archive)})  # a correct hash does not make it safe
    server.routes[ARCHIVE_PATH] = Route(archive)
    with pytest.raises(ReleaseError, match="was refused") as info:
        cnplans.load("plans", version=VERSION)
    assert problem in str(info.value)
    assert files_under(cache / "releases") == []
    assert not list(tmp_path.rglob("escaped.txt"))


def test_missing_release_is_a_clear_error(
    cache: Path, monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    _registry(monkeypatch, {VERSION: "0" * 64})
    with pytest.raises(
        ReleaseError, match=f"cannot download the release archive from .*{ARCHIVE_PATH}.*404"
    ):
        cnplans.load("plans", version=VERSION)
    _registry(monkeypatch, {})
    with pytest.raises(ReleaseError, match=r"cannot download the checksums of release 1\.2\.3"):
        cnplans.load("plans", version=VERSION)
    server.routes[SUMS_PATH] = Route(b"")
    with pytest.raises(ReleaseError, match=f"lists no sha256 for cnplans-{VERSION}.zip"):
        cnplans.load("plans", version=VERSION)
    assert files_under(cache / "releases") == []


def test_archive_of_another_version_is_refused(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    archive = zip_package(make_package(tmp_path / "r", version="9.9.9"))
    _registry(monkeypatch, {VERSION: sha256(archive)})
    server.routes[ARCHIVE_PATH] = Route(archive)
    with pytest.raises(ReleaseError, match=r"holds version '9\.9\.9', not '1\.2\.3'"):
        releases.fetch(VERSION)
    assert files_under(cache / "releases") == []


def test_archive_without_its_tables_is_refused(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    root = make_package(tmp_path / "r", version=VERSION)
    (root / "resources" / "targets.csv").unlink()
    archive = zip_package(root)
    _registry(monkeypatch, {VERSION: sha256(archive)})
    server.routes[ARCHIVE_PATH] = Route(archive)
    with pytest.raises(ReleaseError, match=r"lacks resources/targets\.csv"):
        releases.fetch(VERSION)
    assert files_under(cache / "releases") == []


@pytest.mark.parametrize("version", ["../1.2.3", "1.2", "1.2.3/../../x", "latest", ""])
def test_malformed_versions_are_refused_before_any_download(cache: Path, version: str) -> None:
    with pytest.raises(ReleaseError, match="is not a release version"):
        cnplans.load("plans", version=version)
    assert not cache.exists()


def test_release_url_comes_from_the_descriptor_unless_overridden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(releases.RELEASES_URL_ENV, raising=False)
    pattern = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))["cnplans"][
        "release_url"
    ]
    assert releases.release_url("0.2.0") == pattern.replace("{version}", "0.2.0")
    monkeypatch.setenv(releases.RELEASES_URL_ENV, "http://mirror.invalid/{version}.zip")
    assert releases.release_url("0.2.0") == "http://mirror.invalid/0.2.0.zip"
    monkeypatch.setenv(releases.RELEASES_URL_ENV, "http://mirror.invalid/latest.zip")
    with pytest.raises(ReleaseError, match="no '\\{version\\}' placeholder"):
        releases.release_url("0.2.0")


def test_cache_folder_defaults_to_the_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv(releases.CACHE_DIR_ENV, raising=False)
    assert releases.cache_dir() == Path(platformdirs.user_cache_dir("cnplans", appauthor=False))
    monkeypatch.setenv(releases.CACHE_DIR_ENV, "/somewhere/else")
    assert releases.cache_dir() == Path("/somewhere/else")


def test_shipped_registry_is_well_formed() -> None:
    entries = releases.registry()
    assert isinstance(entries, dict)
    for version, digest in entries.items():
        assert releases.check_version(version) == version
        assert len(digest) == 64


def test_sha256sums_parsing_accepts_both_sha256sum_modes() -> None:
    text = f"{'A' * 64}  cnplans-1.0.0.zip\n{'b' * 64} *dist/cnplans-1.1.0.zip\nnot a line\n"
    assert releases.parse_sha256sums(text) == {
        "cnplans-1.0.0.zip": "a" * 64,
        "cnplans-1.1.0.zip": "b" * 64,
    }
