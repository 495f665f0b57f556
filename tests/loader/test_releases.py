"""Loading a published release by version: download, verify, cache, refuse bad archives.

Every archive is served from 127.0.0.1 by a server the test starts; nothing touches the internet.
"""

from __future__ import annotations

import io
import json
import socket
import stat
import struct
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pooch
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
from cnplans.datapackage.hashes import ChecksumError, parse_sha256sums
from cnplans.loader import releases
from cnplans.loader.releases import ReleaseError

VERSION = "1.2.3"
ARCHIVE_PATH = f"/v{VERSION}/cnplans-{VERSION}.zip"
SUMS_PATH = f"/v{VERSION}/SHA256SUMS"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(releases.CACHE_DIR_ENV, str(folder))
    return folder


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path below ``folder`` with a file's bytes (None for a folder), to compare caches."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def occupied(cache: Path) -> dict[str, bytes | None]:
    """The cache already holds release 0.9.0; returns its snapshot, which a failure must keep."""
    earlier = cache / "releases" / "0.9.0"
    (earlier / "resources").mkdir(parents=True)
    (earlier / "datapackage.json").write_text('{"version": "0.9.0"}', encoding="utf-8")
    (earlier / "resources" / "plans.csv").write_text("plan_id\nold-plan\n", encoding="utf-8")
    return _snapshot(cache)


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
    occupied: dict[str, bytes | None],
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
    assert _snapshot(cache) == occupied


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
    occupied: dict[str, bytes | None],
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
    assert "nothing was unpacked" in str(info.value)
    assert _snapshot(cache) == occupied  # the earlier release is untouched, nothing was added
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not list(Path("/tmp").glob("escaped.txt"))


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


@pytest.mark.parametrize(
    "version", ["../1.2.3", "1.2", "1.2.3/../../x", "latest", "", "9.9.1\n", "1.2.3 "]
)
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
    monkeypatch.delenv(releases.CACHE_DIR_ENV, raising=False)
    assert releases.cache_dir() == Path(pooch.os_cache("cnplans"))
    monkeypatch.setenv(releases.CACHE_DIR_ENV, "/somewhere/else")
    assert releases.cache_dir() == Path("/somewhere/else")


def test_shipped_registry_is_well_formed() -> None:
    entries = releases.registry()
    assert isinstance(entries, dict)
    for version, digest in entries.items():
        assert releases.check_version(version) == version
        assert len(digest) == 64


def test_sha256sums_parsing_accepts_both_sha256sum_modes() -> None:
    text = f"# sums\n{'A' * 64}  cnplans-1.0.0.zip\n\n{'b' * 64} *dist/cnplans-1.1.0.zip\n"
    assert parse_sha256sums(text) == {
        "cnplans-1.0.0.zip": "a" * 64,  # digests are lower-cased
        "dist/cnplans-1.1.0.zip": "b" * 64,  # a path stays a path: it names another file
    }
    with pytest.raises(ChecksumError, match=r"^SHA256SUMS, line 2: expected .*found 'not a line'"):
        parse_sha256sums(f"{'a' * 64}  cnplans-1.0.0.zip\nnot a line\n")


@pytest.mark.parametrize(
    ("sums", "problem"),
    [
        (b"not a checksum line\n", r"SHA256SUMS, line 1: expected '<64 hex digits>  <file name>'"),
        (b"\xff\xfe\n", "is not a UTF-8 text file of sha256 sums"),
        (f"{'0' * 64}  dist/cnplans-{VERSION}.zip\n".encode(), "lists no sha256 for"),
    ],
)
def test_unusable_sha256sums_is_refused_before_the_archive_is_downloaded(
    cache: Path, monkeypatch: pytest.MonkeyPatch, server: Server, sums: bytes, problem: str
) -> None:
    _registry(monkeypatch, {})
    server.routes[SUMS_PATH] = Route(sums)
    with pytest.raises(ReleaseError, match=problem) as info:
        releases.fetch(VERSION)
    assert SUMS_PATH in str(info.value)
    assert server.requests == [SUMS_PATH]  # the archive was never asked for
    assert files_under(cache / "releases") == []


# ------------------------------------------------------------------------------------------
# Zip bombs
# ------------------------------------------------------------------------------------------


def _declaring(archive: bytes, size: int) -> bytes:
    """``archive`` whose central directory declares every member ``size`` bytes uncompressed."""
    data = bytearray(archive)
    end = data.rindex(b"PK\x05\x06")  # end of central directory: entry count, start offset
    (count,) = struct.unpack_from("<H", data, end + 10)
    (offset,) = struct.unpack_from("<I", data, end + 16)
    for _ in range(count):
        assert data[offset : offset + 4] == b"PK\x01\x02"
        struct.pack_into("<I", data, offset + 24, size)  # uncompressed size
        name, extra, comment = struct.unpack_from("<HHH", data, offset + 28)
        offset += 46 + name + extra + comment
    return bytes(data)


def test_archive_declaring_more_than_the_size_limit_is_refused(
    cache: Path,
    occupied: dict[str, bytes | None],
    release: bytes,
    monkeypatch: pytest.MonkeyPatch,
    server: Server,
) -> None:
    archive = _declaring(release, 0x7FFF_FFFF)  # 2 GiB a member, claimed in a few kilobytes
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert sum(i.file_size for i in zf.infolist()) > releases.MAX_UNPACKED_BYTES
    _registry(monkeypatch, {VERSION: sha256(archive)})
    server.routes[ARCHIVE_PATH] = Route(archive)
    with pytest.raises(ReleaseError, match="was refused: its members declare") as info:
        releases.fetch(VERSION)
    assert f"more than the limit of {releases.MAX_UNPACKED_BYTES}" in str(info.value)
    assert "nothing was unpacked" in str(info.value)
    assert _snapshot(cache) == occupied


def test_member_that_expands_too_much_is_refused(
    cache: Path,
    occupied: dict[str, bytes | None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: Server,
) -> None:
    zeros = bytes(2 * releases.RATIO_MIN_BYTES)  # deflates about a thousand times
    archive = zip_package(
        make_package(tmp_path / "r", version=VERSION), extra={"resources/zeros.bin": zeros}
    )
    _registry(monkeypatch, {VERSION: sha256(archive)})
    server.routes[ARCHIVE_PATH] = Route(archive)
    with pytest.raises(ReleaseError, match=r"'resources/zeros\.bin' expands [0-9]+ times") as info:
        releases.fetch(VERSION)
    assert f"more than the limit of {releases.MAX_RATIO}" in str(info.value)
    assert _snapshot(cache) == occupied


def test_archive_with_too_many_members_is_refused(
    cache: Path, release: bytes, monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    monkeypatch.setattr(releases, "MAX_MEMBERS", 3)
    _registry(monkeypatch, {VERSION: sha256(release)})
    server.routes[ARCHIVE_PATH] = Route(release)
    with pytest.raises(ReleaseError, match=r"was refused: it has [0-9]+ members, more than .* 3"):
        releases.fetch(VERSION)
    assert files_under(cache / "releases") == []


def test_a_release_is_far_below_the_zip_bomb_limits(release: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(release)) as zf:
        members = zf.infolist()
    assert len(members) < releases.MAX_MEMBERS
    assert sum(i.file_size for i in members) * 1000 < releases.MAX_UNPACKED_BYTES


# ------------------------------------------------------------------------------------------
# A server that stalls
# ------------------------------------------------------------------------------------------


@contextmanager
def stalling_server(head: bytes) -> Iterator[str]:
    """A server on 127.0.0.1 that reads each request, sends ``head``, then says nothing more."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()
    connections: list[socket.socket] = []

    def run() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connections.append(connection)
            connection.settimeout(5)
            connection.recv(65536)
            connection.sendall(head)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in connections:
            connection.close()
        listener.close()


@pytest.mark.parametrize(
    ("what", "head"),
    [
        ("the release archive", b""),  # accepts the connection, never answers
        (
            "the release archive",  # starts the body, then stops halfway
            b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nPK\x03\x04" + bytes(4000),
        ),
        ("the checksums of release 1.2.3", b""),
    ],
    ids=["silent", "stalled-body", "silent-checksums"],
)
def test_server_that_stalls_past_the_deadline_fails_the_download(
    cache: Path,
    occupied: dict[str, bytes | None],
    monkeypatch: pytest.MonkeyPatch,
    what: str,
    head: bytes,
) -> None:
    monkeypatch.setattr(releases, "DOWNLOAD_TIMEOUT_SECONDS", 0.2)
    _registry(monkeypatch, {} if "checksums" in what else {VERSION: "0" * 64})
    with stalling_server(head) as base_url:
        monkeypatch.setenv(
            releases.RELEASES_URL_ENV, base_url + "/v{version}/cnplans-{version}.zip"
        )
        started = time.monotonic()
        with pytest.raises(ReleaseError) as info:
            cnplans.load("plans", version=VERSION)
        elapsed = time.monotonic() - started
    message = str(info.value)
    assert message.startswith(f"cannot download {what} from {base_url}/v{VERSION}/")
    assert "the server sent nothing for 0.2 seconds, so the download was abandoned" in message
    assert "nothing was cached" in message
    assert elapsed < 5
    assert _snapshot(cache) == occupied


@pytest.mark.parametrize(
    "member",
    [f"cnplans-{VERSION}/../escaped.txt", f"cnplans-{VERSION}/resources/../../../escaped.txt"],
)
def test_members_escaping_the_release_folder_are_refused(
    cache: Path,
    occupied: dict[str, bytes | None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: Server,
    member: str,
) -> None:
    """The release layout (one top folder) keeps the zip-slip check for every member."""
    folder = zip_package(make_package(tmp_path / "r", version=VERSION), folder=f"cnplans-{VERSION}")
    archive = _zip_with(folder, member, b"escaped")
    _registry(monkeypatch, {VERSION: sha256(archive)})
    server.routes[ARCHIVE_PATH] = Route(archive)
    with pytest.raises(ReleaseError, match=r"climbs out of the folder with '\.\.'"):
        releases.fetch(VERSION)
    assert _snapshot(cache) == occupied
    assert not list(tmp_path.rglob("escaped.txt"))
