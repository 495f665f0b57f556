"""The release loader against hostile servers and archives (issue 16, review rows L1-L6).

Each case is refused with one :class:`ReleaseError` sentence (exit 2 from the CLI) that names the
limit, and leaves nothing behind: the cache (and everything else under ``tmp_path``) hashes the
same before and after. Every server runs on 127.0.0.1 in the test; nothing touches the internet.
Archives are built in memory in a few kilobytes: sizes are forged in the zip headers, or the
module's limits lowered, rather than gigabytes written.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import logging
import struct
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import child_env, run_cnplans
from loader_fixtures import files_under, make_package, sha256, zip_package

import cnplans
from cnplans import __main__ as cli
from cnplans.loader import releases
from cnplans.loader.releases import ReleaseError

VERSION = "1.2.3"
ARCHIVE_PATH = f"/v{VERSION}/cnplans-{VERSION}.zip"
SUMS_PATH = f"/v{VERSION}/SHA256SUMS"


# ------------------------------------------------------------------------------------------
# A server that misbehaves on request
# ------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """What the server answers on one path."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True  # send Content-Length (else the body ends when the connection closes)
    trickle: float | None = None  # seconds between single bytes of the body
    status: int = 200


@dataclass
class Hostile:
    base_url: str
    replies: dict[str, Reply]
    requests: list[str] = field(default_factory=list)


@contextmanager
def hostile_server(replies: dict[str, Reply]) -> Iterator[Hostile]:
    stop = threading.Event()
    state: Hostile

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            reply = state.replies.get(self.path)
            if reply is None:
                self.send_error(404)
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.length:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            try:
                if reply.trickle is None:
                    self.wfile.write(reply.body)
                    return
                for byte in reply.body:
                    if stop.wait(reply.trickle):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except OSError:  # the client gave up, as it should
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state = Hostile(f"http://127.0.0.1:{httpd.server_address[1]}", replies)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


# ------------------------------------------------------------------------------------------
# Fixtures: a cache with an earlier release, the tree hashed before and after
# ------------------------------------------------------------------------------------------


def tree_digest(folder: Path) -> dict[str, str]:
    """Every path below ``folder`` with the sha256 of a file's bytes ("dir" for a folder)."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        )
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache folder, already holding release 0.9.0 (which a failure must leave alone)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(releases.CACHE_DIR_ENV, str(folder))
    earlier = folder / "releases" / "0.9.0"
    (earlier / "resources").mkdir(parents=True)
    (earlier / "datapackage.json").write_text('{"version": "0.9.0"}', encoding="utf-8")
    (earlier / "resources" / "plans.csv").write_text("plan_id\nold-plan\n", encoding="utf-8")
    return folder


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """The folder of a synthetic release package, to zip (possibly after damaging it)."""
    return make_package(tmp_path / "release", version=VERSION)


@pytest.fixture
def release(package: Path) -> bytes:
    return zip_package(package)


@contextmanager
def unchanged(tmp_path: Path, cache: Path) -> Iterator[None]:
    """Assert that nothing under ``tmp_path`` (the cache included) changes in the block, and
    that the cache holds no partial or evicted folder afterwards."""
    before = tree_digest(tmp_path)
    yield
    assert tree_digest(tmp_path) == before
    assert files_under(cache / "releases")[0] == "0.9.0"
    assert not [p for p in files_under(cache / "releases") if p.startswith(".")]


def point_at(monkeypatch: pytest.MonkeyPatch, server: Hostile) -> None:
    monkeypatch.setenv(
        releases.RELEASES_URL_ENV, server.base_url + "/v{version}/cnplans-{version}.zip"
    )


def registry(monkeypatch: pytest.MonkeyPatch, entries: dict[str, str]) -> None:
    monkeypatch.setattr(releases, "registry", lambda: entries)


def refused(
    tmp_path: Path,
    cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    replies: dict[str, Reply],
    *,
    load: Callable[[], object] = lambda: cnplans.load("plans", version=VERSION),
) -> tuple[str, Hostile]:
    """Serve ``replies``, load the release, and return the one-line refusal and the server."""
    with hostile_server(replies) as server, unchanged(tmp_path, cache):
        point_at(monkeypatch, server)
        with pytest.raises(ReleaseError) as info:
            load()
    message = str(info.value)
    assert "\n" not in message
    return message, server


def serve_archive(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, archive: bytes
) -> str:
    """Serve ``archive`` with a matching recorded sha256 (a right hash does not make it safe)."""
    registry(monkeypatch, {VERSION: sha256(archive)})
    return refused(tmp_path, cache, monkeypatch, {ARCHIVE_PATH: Reply(archive)})[0]


# ------------------------------------------------------------------------------------------
# Archive helpers
# ------------------------------------------------------------------------------------------


def patch_central(archive: bytes, member: str, **fields: int) -> bytes:
    """``archive`` with central-directory fields of ``member`` forged: ``flags``, ``method``,
    ``size`` (uncompressed)."""
    offsets = {"flags": (8, "<H"), "method": (10, "<H"), "size": (24, "<I")}
    data = bytearray(archive)
    end = data.rindex(b"PK\x05\x06")
    (count,) = struct.unpack_from("<H", data, end + 10)
    (offset,) = struct.unpack_from("<I", data, end + 16)
    for _ in range(count):
        assert data[offset : offset + 4] == b"PK\x01\x02"
        name_len, extra, comment = struct.unpack_from("<HHH", data, offset + 28)
        if data[offset + 46 : offset + 46 + name_len].decode() == member:
            for key, value in fields.items():
                where, form = offsets[key]
                struct.pack_into(form, data, offset + where, value)
            return bytes(data)
        offset += 46 + name_len + extra + comment
    raise AssertionError(f"no member {member}")


def with_members(
    release: bytes, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED
) -> bytes:
    buffer = io.BytesIO(release)
    with zipfile.ZipFile(buffer, "a", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


ZEROS = bytes(8 << 20)  # 8 MiB of zeros: deflates to about 8 KiB


# ------------------------------------------------------------------------------------------
# L1: zip bombs
# ------------------------------------------------------------------------------------------


def test_l1_bomb_declaring_gigabytes_is_refused_before_unpacking(
    tmp_path: Path, cache: Path, release: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = with_members(release, {"resources/zeros.bin": ZEROS})
    archive = patch_central(archive, "resources/zeros.bin", size=0x7FFF_FFFF)  # claims 2 GiB
    monkeypatch.setattr(releases, "MAX_RATIO", 10**9)  # the size alone must refuse it
    message = serve_archive(tmp_path, cache, monkeypatch, archive)
    assert "was refused: its members declare" in message
    assert f"more than the limit of {releases.MAX_UNPACKED_BYTES}" in message
    assert "cnplans.loader.releases.MAX_UNPACKED_BYTES" in message


def test_l1_bomb_by_ratio_is_refused(
    tmp_path: Path, cache: Path, release: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = with_members(release, {"resources/zeros.bin": ZEROS})
    message = serve_archive(tmp_path, cache, monkeypatch, archive)
    assert "'resources/zeros.bin' expands" in message
    assert "cnplans.loader.releases.MAX_RATIO" in message


@pytest.mark.parametrize("limit", ["total", "ratio"])
def test_l1_bytes_written_are_counted_when_the_declared_sizes_lie(
    tmp_path: Path,
    cache: Path,
    release: bytes,
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
) -> None:
    """With the declared-size check bypassed (as if every header lied), the bytes actually
    written while unpacking still stop the bomb."""
    monkeypatch.setattr(releases, "_check_sizes", lambda members, archive: None)
    if limit == "total":
        monkeypatch.setattr(releases, "MAX_UNPACKED_BYTES", 4 << 20)
        monkeypatch.setattr(releases, "MAX_RATIO", 10**9)
    archive = with_members(release, {"resources/zeros.bin": ZEROS})
    message = serve_archive(tmp_path, cache, monkeypatch, archive)
    if limit == "total":
        assert f"unpack to more than {4 << 20:,} bytes in all" in message
        assert "cnplans.loader.releases.MAX_UNPACKED_BYTES" in message
    else:
        assert "'resources/zeros.bin' expands" in message
    assert "nothing was unpacked" in message


def test_l1_member_declaring_fewer_bytes_than_it_holds_is_refused(
    tmp_path: Path, cache: Path, release: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = with_members(release, {"resources/zeros.bin": ZEROS})
    archive = patch_central(archive, "resources/zeros.bin", size=1000)  # hides 8 MiB
    message = serve_archive(tmp_path, cache, monkeypatch, archive)
    assert "is not a valid zip archive" in message


@pytest.fixture(scope="module")
def crowded() -> bytes:
    """An archive of 50,000 empty members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for number in range(50_000):
            zf.writestr(f"m/{number}", b"")
    return buffer.getvalue()


def test_l1_archive_of_50000_members_is_refused_before_zipfile_reads_them(
    tmp_path: Path, cache: Path, crowded: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []
    real = zipfile.ZipFile

    def spy(*args: object, **kwargs: object) -> zipfile.ZipFile:
        opened.append(args[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(releases.zipfile, "ZipFile", spy)
    message = serve_archive(tmp_path, cache, monkeypatch, crowded)
    assert f"it has 50000 members, more than the limit of {releases.MAX_MEMBERS}" in message
    assert "cnplans.loader.releases.MAX_MEMBERS" in message
    assert opened == []  # refused from the end record, before the central directory is parsed


# ------------------------------------------------------------------------------------------
# L2: encodings and sizes of downloads
# ------------------------------------------------------------------------------------------


def test_l2_gzip_encoded_sha256sums_is_refused_unread(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry(monkeypatch, {})
    bomb = gzip.compress(bytes(64 << 20), compresslevel=9)  # 64 MiB in about 64 KiB
    replies = {SUMS_PATH: Reply(bomb, {"Content-Encoding": "gzip"})}
    message, server = refused(tmp_path, cache, monkeypatch, replies)
    assert message.startswith(f"cannot download the checksums of release {VERSION} from ")
    assert "Content-Encoding 'gzip', which was not asked for" in message
    assert "refused unread and nothing was cached" in message
    assert server.requests == [SUMS_PATH]


def test_l2_gzip_encoded_archive_is_refused_unread(
    tmp_path: Path, cache: Path, release: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry(monkeypatch, {VERSION: sha256(release)})
    replies = {ARCHIVE_PATH: Reply(gzip.compress(release), {"Content-Encoding": "gzip"})}
    message, _ = refused(tmp_path, cache, monkeypatch, replies)
    assert message.startswith("cannot download the release archive from ")
    assert "Content-Encoding 'gzip'" in message


def test_l2_identity_is_asked_for(
    tmp_path: Path, cache: Path, release: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    import requests

    real = requests.get

    def spy(url: str, **kwargs: object) -> object:
        headers = kwargs.get("headers")
        assert isinstance(headers, dict)
        seen.append(headers["Accept-Encoding"])
        return real(url, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(requests, "get", spy)
    registry(monkeypatch, {})
    sums = f"{sha256(release)}  cnplans-{VERSION}.zip\n".encode()
    with hostile_server({ARCHIVE_PATH: Reply(release), SUMS_PATH: Reply(sums)}) as server:
        point_at(monkeypatch, server)
        assert releases.fetch(VERSION).name == VERSION
    assert seen == ["identity", "identity"]


def test_l2_redirect_bodies_are_never_read(
    tmp_path: Path, cache: Path, release: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A redirect (as GitHub's release downloads give) is followed; its body, here a gzip bomb
    that requests would read and decode whole, is not."""
    registry(monkeypatch, {VERSION: sha256(release)})
    bomb = gzip.compress(bytes(64 << 20), compresslevel=9)
    headers = {"Location": "/objects/release.zip", "Content-Encoding": "gzip"}
    replies = {
        ARCHIVE_PATH: Reply(bomb, headers, status=302),
        "/objects/release.zip": Reply(release),
    }
    with hostile_server(replies) as server:
        point_at(monkeypatch, server)
        assert releases.fetch(VERSION) == cache / "releases" / VERSION
    assert server.requests == [ARCHIVE_PATH, "/objects/release.zip"]


def test_l2_endless_redirects_are_abandoned(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry(monkeypatch, {VERSION: "0" * 64})
    replies = {ARCHIVE_PATH: Reply(b"", {"Location": ARCHIVE_PATH}, status=302)}
    message, server = refused(tmp_path, cache, monkeypatch, replies)
    assert f"redirected it more than {releases.MAX_REDIRECTS} times" in message
    assert "cnplans.loader.releases.MAX_REDIRECTS" in message
    assert len(server.requests) == releases.MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    "headers", [{"Content-Length": "12, 13"}, {"Content-Length": "1", "content-length": "2"}]
)
def test_l2_malformed_headers_are_a_release_error(
    tmp_path: Path,
    cache: Path,
    release: bytes,
    monkeypatch: pytest.MonkeyPatch,
    headers: dict[str, str],
) -> None:
    registry(monkeypatch, {VERSION: sha256(release)})
    replies = {ARCHIVE_PATH: Reply(release, headers, length=False)}
    message, _ = refused(tmp_path, cache, monkeypatch, replies)
    assert message.startswith("cannot download the release archive from ")


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "streamed"])
def test_l2_oversized_sha256sums_is_refused(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, announced: bool
) -> None:
    registry(monkeypatch, {})
    monkeypatch.setattr(releases, "MAX_SUMS_BYTES", 10_000)  # stands for 1 MiB against 300 MB
    sums = f"{'0' * 64}  other.zip\n".encode() * 1000  # 76 kB
    message, _ = refused(tmp_path, cache, monkeypatch, {SUMS_PATH: Reply(sums, length=announced)})
    found = f"the server announces {len(sums):,}" if announced else "more than 10,000 arrived"
    assert f"{found} bytes, more than the limit of 10,000 bytes" in message
    assert "cnplans.loader.releases.MAX_SUMS_BYTES" in message


def test_l2_sha256sums_limit_is_small() -> None:
    assert releases.MAX_SUMS_BYTES <= 1 << 20
    assert releases.MAX_ARCHIVE_BYTES <= 512 << 20


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "streamed"])
def test_l2_oversized_archive_is_refused(
    tmp_path: Path,
    cache: Path,
    release: bytes,
    monkeypatch: pytest.MonkeyPatch,
    announced: bool,
) -> None:
    registry(monkeypatch, {VERSION: sha256(release)})
    monkeypatch.setattr(releases, "MAX_ARCHIVE_BYTES", len(release) // 2)
    message, _ = refused(
        tmp_path, cache, monkeypatch, {ARCHIVE_PATH: Reply(release, length=announced)}
    )
    assert message.startswith("cannot download the release archive from ")
    assert f"more than the limit of {len(release) // 2:,} bytes" in message
    assert "cnplans.loader.releases.MAX_ARCHIVE_BYTES" in message


# ------------------------------------------------------------------------------------------
# L3: a server that trickles
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["archive", "checksums"])
def test_l3_trickling_server_hits_the_whole_transfer_deadline(
    tmp_path: Path,
    cache: Path,
    release: bytes,
    monkeypatch: pytest.MonkeyPatch,
    what: str,
) -> None:
    """One byte every 0.3 s never trips the per-read timeout; the deadline stops it."""
    monkeypatch.setattr(releases, "DOWNLOAD_DEADLINE_SECONDS", 1.5)
    assert releases.DOWNLOAD_TIMEOUT_SECONDS > 1.5
    if what == "archive":
        registry(monkeypatch, {VERSION: sha256(release)})
        replies = {ARCHIVE_PATH: Reply(release, trickle=0.3)}
    else:
        registry(monkeypatch, {})
        replies = {
            SUMS_PATH: Reply(f"{sha256(release)}  cnplans-{VERSION}.zip\n".encode(), trickle=0.3)
        }
    started = time.monotonic()
    message, _ = refused(tmp_path, cache, monkeypatch, replies)
    assert time.monotonic() - started < 5
    assert "it took longer than the deadline of 1.5 seconds" in message
    assert "cnplans.loader.releases.DOWNLOAD_DEADLINE_SECONDS" in message
    assert "the download was abandoned and nothing was cached" in message


def test_l3_the_deadline_defaults_to_a_few_minutes() -> None:
    assert 60 <= releases.DOWNLOAD_DEADLINE_SECONDS <= 600


# ------------------------------------------------------------------------------------------
# L4: malformed archives and descriptors
# ------------------------------------------------------------------------------------------


def _descriptor_edit(package: Path, edit: Callable[[dict[str, object]], str]) -> bytes:
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    (package / "datapackage.json").write_text(edit(descriptor), encoding="utf-8")
    return zip_package(package)


def _l4_archive(case: str, package: Path) -> bytes:
    release = zip_package(package)
    if case == "encrypted":
        return patch_central(release, "resources/plans.csv", flags=0x1)
    if case == "deflate64":
        return patch_central(release, "resources/plans.csv", method=9)
    if case == "resources-5":
        return _descriptor_edit(package, lambda d: json.dumps({**d, "resources": 5}))
    if case == "deep-json":
        return _descriptor_edit(
            package, lambda d: json.dumps(d)[:-1] + ', "x": ' + "[" * 3000 + "]" * 3000 + "}"
        )
    if case == "duplicate-key":
        return _descriptor_edit(package, lambda d: json.dumps(d)[:-1] + ', "version": "1.2.3"}')
    if case == "file-then-folder":
        return with_members(release, {"a": b"file", "a/b/c": b"below a file"})
    if case == "long-name":
        return with_members(release, {"resources/" + "x" * 300: b"long"})
    if case == "resource-not-object":
        return _descriptor_edit(package, lambda d: json.dumps({**d, "resources": [5]}))
    raise AssertionError(case)


L4_CASES = {
    "encrypted": "is encrypted",
    "deflate64": "uses compression method 9 (deflate64 is 9)",
    "resources-5": "holds JSON but not a data package descriptor",
    "deep-json": "nests arrays and objects more than 64 deep",
    "duplicate-key": "gives the key 'version' twice in one object",
    "file-then-folder": "its member 'a' is a file, but 'a/b/c' needs a folder of that name",
    "long-name": (
        "is 310 characters long, more than the limit of 255 (cnplans.loader.releases.MAX_NAME_"
    ),
    "resource-not-object": "resource 0 of its datapackage.json is int, not an object",
}


@pytest.mark.parametrize("case", list(L4_CASES))
def test_l4_malformed_release_is_a_release_error(
    tmp_path: Path, cache: Path, package: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    archive = _l4_archive(case, package)
    message = serve_archive(tmp_path, cache, monkeypatch, archive)
    assert L4_CASES[case] in message


@pytest.mark.parametrize("case", list(L4_CASES))
def test_l4_malformed_release_exits_2_with_one_line_from_the_cli(
    tmp_path: Path,
    cache: Path,
    package: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
) -> None:
    archive = _l4_archive(case, package)
    registry(monkeypatch, {VERSION: sha256(archive)})
    with hostile_server({ARCHIVE_PATH: Reply(archive)}) as server, unchanged(tmp_path, cache):
        point_at(monkeypatch, server)
        code = cli.main(["show", "targets", "--release", VERSION])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith("cnplans: ")
    assert L4_CASES[case] in captured.err


# ------------------------------------------------------------------------------------------
# L5: paths out of the release; a cached release that goes bad
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "path", "reason"),
    [
        ("path", "/etc/passwd", "the path is absolute"),
        ("path", "../x.csv", "the path climbs out of the package with '..'"),
        ("path", "file:///etc/passwd", "the path is a URL"),
        ("schema", "/etc/passwd", "the path is absolute"),
    ],
)
def test_l5_descriptor_pointing_outside_the_release_is_never_cached(
    tmp_path: Path,
    cache: Path,
    package: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    path: str,
    reason: str,
) -> None:
    def edit(descriptor: dict[str, object]) -> str:
        resources = descriptor["resources"]
        assert isinstance(resources, list)
        resources[0][key] = path
        return json.dumps(descriptor)

    message = serve_archive(tmp_path, cache, monkeypatch, _descriptor_edit(package, edit))
    assert f"is {path!r}, which points outside the data package: {reason}" in message
    assert "so it was not cached" in message


def _damage_plans(root: Path) -> None:
    (root / "resources" / "plans.csv").write_text("plan_id\nforged-plan\n", encoding="utf-8")


def _remove_plans(root: Path) -> None:
    (root / "resources" / "plans.csv").unlink()


def _garble_descriptor(root: Path) -> None:
    (root / "datapackage.json").write_text("{not json", encoding="utf-8")


def _link_out(root: Path) -> None:
    outside = root.parents[2] / "outside.csv"
    outside.write_text("plan_id\nfrom-outside\n", encoding="utf-8")
    (root / "resources" / "plans.csv").unlink()
    (root / "resources" / "plans.csv").symlink_to(outside)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_damage_plans, "resources/plans.csv was changed or removed after it was cached"),
        (_remove_plans, "lacks resources/plans.csv"),
        (_garble_descriptor, "is not valid JSON"),
        (_link_out, "the path leads outside the package (through a link)"),
    ],
    ids=["changed", "gone", "descriptor", "link-out"],
)
def test_l5_cached_release_that_fails_its_checks_is_evicted_and_downloaded_again(
    tmp_path: Path,
    cache: Path,
    release: bytes,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], None],
    reason: str,
) -> None:
    registry(monkeypatch, {VERSION: sha256(release)})
    with hostile_server({ARCHIVE_PATH: Reply(release)}) as server:
        point_at(monkeypatch, server)
        first = cnplans.load("plans", version=VERSION)
        folder = cache / "releases" / VERSION
        damage(folder)
        with caplog.at_level(logging.WARNING, logger="cnplans.loader.releases"):
            again = cnplans.load("plans", version=VERSION)
        assert server.requests == [ARCHIVE_PATH, ARCHIVE_PATH]
    assert list(again["plan_id"]) == list(first["plan_id"])
    (record,) = [r for r in caplog.records if r.name == "cnplans.loader.releases"]
    line = record.getMessage()
    assert "\n" not in line
    assert f"the cached release {VERSION} failed its checks" in line
    assert reason in line
    assert "it was removed from the cache and will be downloaded again" in line
    assert not [p for p in files_under(cache / "releases") if p.startswith(".")]
    # and the next load is a plain cache hit again
    assert cnplans.load("plans", version=VERSION).equals(again)


@pytest.mark.parametrize("state", ["[]", '{"files": []}', "{", '{"files": {"x": 1}}'])
def test_l5_cached_release_with_a_damaged_record_is_evicted(
    tmp_path: Path,
    cache: Path,
    release: bytes,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    state: str,
) -> None:
    registry(monkeypatch, {VERSION: sha256(release)})
    with hostile_server({ARCHIVE_PATH: Reply(release)}) as server:
        point_at(monkeypatch, server)
        folder = releases.fetch(VERSION)
        (folder / ".cnplans-cache.json").write_text(state, encoding="utf-8")
        with caplog.at_level(logging.WARNING, logger="cnplans.loader.releases"):
            assert releases.fetch(VERSION) == folder
        assert server.requests == [ARCHIVE_PATH, ARCHIVE_PATH]
    assert "it was removed from the cache" in caplog.text


def test_l5_cache_hit_hashes_nothing(
    tmp_path: Path, cache: Path, release: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry(monkeypatch, {VERSION: sha256(release)})
    with hostile_server({ARCHIVE_PATH: Reply(release)}) as server:
        point_at(monkeypatch, server)
        releases.fetch(VERSION)

    def no_hashing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cache hit hashed a file")

    monkeypatch.setattr(hashlib, "file_digest", no_hashing)
    monkeypatch.setattr(hashlib, "sha256", no_hashing)
    assert releases.fetch(VERSION) == cache / "releases" / VERSION


# ------------------------------------------------------------------------------------------
# L6: versions
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["9.9.1\n", "9.9.1\r\n", " 9.9.1", "1." * 100 + "1"])
def test_l6_version_with_anything_around_it_is_refused(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    with unchanged(tmp_path, cache), pytest.raises(ReleaseError, match="is not a release version"):
        cnplans.load("plans", version=version)


# ------------------------------------------------------------------------------------------
# Each row once more from the command line, in a subprocess under time and memory limits
# ------------------------------------------------------------------------------------------


def _sums(archive: bytes) -> Reply:
    return Reply(f"{sha256(archive)}  cnplans-{VERSION}.zip\n".encode())


def _l_row(row: str, package: Path, release: bytes) -> tuple[str, dict[str, Reply], str]:
    """The version asked for, what the server answers, and words the refusal must hold."""
    if row == "L1 bomb":
        archive = with_members(release, {"resources/zeros.bin": ZEROS})
        archive = patch_central(archive, "resources/zeros.bin", size=0x7FFF_FFFF)
        return VERSION, {SUMS_PATH: _sums(archive), ARCHIVE_PATH: Reply(archive)}, "zip bomb"
    if row == "L2 gzip SHA256SUMS":
        bomb = gzip.compress(bytes(64 << 20), compresslevel=9)
        replies = {SUMS_PATH: Reply(bomb, {"Content-Encoding": "gzip"})}
        return VERSION, replies, "Content-Encoding 'gzip'"
    if row == "L3 one byte every 0.3 s":
        replies = {SUMS_PATH: _sums(release), ARCHIVE_PATH: Reply(release, trickle=0.3)}
        return VERSION, replies, "longer than the deadline of 2 seconds"
    if row == "L4 resources is 5":
        archive = _l4_archive("resources-5", package)
        words = L4_CASES["resources-5"]
        return VERSION, {SUMS_PATH: _sums(archive), ARCHIVE_PATH: Reply(archive)}, words
    if row == "L5 a resource at /etc/passwd":

        def edit(descriptor: dict[str, object]) -> str:
            resources = descriptor["resources"]
            assert isinstance(resources, list)
            resources[0]["path"] = "/etc/passwd"
            return json.dumps(descriptor)

        archive = _descriptor_edit(package, edit)
        return VERSION, {SUMS_PATH: _sums(archive), ARCHIVE_PATH: Reply(archive)}, "/etc/passwd"
    assert row == "L6 a version with a newline"
    return "9.9.1\n", {}, "is not a release version"


@pytest.mark.parametrize(
    "row",
    [
        "L1 bomb",
        "L2 gzip SHA256SUMS",
        "L3 one byte every 0.3 s",
        "L4 resources is 5",
        "L5 a resource at /etc/passwd",
        "L6 a version with a newline",
    ],
)
def test_each_row_from_the_command_line_in_bounded_time_and_memory(
    tmp_path: Path, cache: Path, package: Path, release: bytes, row: str
) -> None:
    version, replies, words = _l_row(row, package, release)
    with hostile_server(replies) as server, unchanged(tmp_path, cache):
        env = child_env(
            **{
                releases.RELEASES_URL_ENV: server.base_url + "/v{version}/cnplans-{version}.zip",
                releases.CACHE_DIR_ENV: str(cache),
                releases.DEADLINE_ENV: "2",
            }
        )
        result = run_cnplans("show", "plans", "--release", version, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert words in result.stderr, result.stderr
