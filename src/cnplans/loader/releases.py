"""Published releases: download once, verify the sha256, unpack safely into the cache.

``cnplans.load(name, version="X.Y.Z")`` calls :func:`fetch`, which returns the folder of that
release's data package. The first call downloads the release archive with
:func:`pooch.retrieve`, which checks it against its sha256 before anything is unpacked; later
calls read the cache without any network.

Where the sha256 comes from, strongest first:

1. ``releases.json`` shipped inside this package: the hashes of published releases, recorded by
   the release process. An archive that does not match is refused.
2. For a version not in that registry, the ``SHA256SUMS`` file published beside the archive.
   This is weaker: it guards against a truncated or corrupted download, but whoever can replace
   the archive on the server can replace ``SHA256SUMS`` too.

The archive's URL is :func:`release_url`'s, the cache folder :func:`cache_dir`'s. The cache only
holds complete, checked releases, unpacked in a temporary folder and renamed into place. Hostile
servers and archives are refused with a one-line :class:`ReleaseError` naming the limit (a module
constant a program may raise): see :class:`Download`, :func:`extract_safely` and
:func:`check_release`. Nothing here imports pooch or requests at module level.

>>> from cnplans.loader import releases
>>> releases.release_url("1.2.3", pattern="https://example.org/v{version}/cnplans-{version}.zip")
'https://example.org/v1.2.3/cnplans-1.2.3.zip'
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import shutil
import stat
import struct
import tempfile
import time
import zipfile
import zlib
from contextlib import nullcontext
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urljoin, urlparse

from cnplans import datapackage
from cnplans.datapackage import paths
from cnplans.datapackage.errors import CnplansError
from cnplans.datapackage.paths import DESCRIPTOR_NAME

RELEASES_URL_ENV = "CNPLANS_RELEASES_URL"
CACHE_DIR_ENV = "CNPLANS_CACHE_DIR"
DOWNLOAD_TIMEOUT_SECONDS: float = 60  # the longest wait to connect or for the next bytes
DOWNLOAD_DEADLINE_SECONDS: float = 300  # the longest one whole download may take
DEADLINE_ENV = "CNPLANS_DOWNLOAD_DEADLINE_SECONDS"  # overrides it, e.g. for a slow connection
MAX_ARCHIVE_BYTES = 512 << 20
MAX_SUMS_BYTES = 1 << 20
MAX_REDIRECTS = 10
# Zip-bomb limits, far above any real release, checked on the declared sizes and on the bytes
# actually written.
MAX_MEMBERS = 10_000
MAX_UNPACKED_BYTES = 1 << 30  # for the whole archive
MAX_RATIO = 200  # how many times one member may expand
RATIO_MIN_BYTES = 1 << 20  # smaller members may expand any number of times
MAX_NAME_CHARS = 255  # a member's whole name
MAX_VERSION_CHARS = 64

# X.Y.Z with an optional suffix; never a path separator or "..".
_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(?:[-+.]?[0-9A-Za-z]+)*")
_CHUNK = 1 << 16
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_STATE_NAME = ".cnplans-cache.json"  # in a cached release: the size and mtime of its files
_LIMITS = "cnplans.loader.releases"

log = logging.getLogger(__name__)


class ReleaseError(CnplansError, RuntimeError):
    """A release cannot be downloaded, verified or unpacked; nothing was added to the cache."""


def deadline_seconds() -> float:
    """The whole-transfer deadline: ``$CNPLANS_DOWNLOAD_DEADLINE_SECONDS`` or the default.

    >>> deadline_seconds() == DOWNLOAD_DEADLINE_SECONDS or DEADLINE_ENV in os.environ
    True
    """
    configured = os.environ.get(DEADLINE_ENV)
    if not configured:
        return DOWNLOAD_DEADLINE_SECONDS
    try:
        value = float(configured)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise ReleaseError(
            f"{DEADLINE_ENV} is {configured!r}; expected a positive number of seconds"
        )
    return value


def check_version(version: str) -> str:
    """Return ``version`` if the whole of it looks like ``X.Y.Z`` (it goes into a URL and a folder).

    >>> check_version("1.2.3")
    '1.2.3'
    >>> check_version("1.2.3\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cnplans.loader.releases.ReleaseError: '1.2.3\\n' is not a release version; expected X.Y.Z ...
    """
    if (
        not isinstance(version, str)
        or len(version) > MAX_VERSION_CHARS
        or not _VERSION.fullmatch(version)
    ):
        shown = repr(version) if len(repr(version)) <= 80 else repr(version)[:77] + "..."
        raise ReleaseError(f"{shown} is not a release version; expected X.Y.Z such as '0.1.0'")
    return version


def release_url(version: str, *, pattern: str | None = None) -> str:
    """The download URL of release ``version``.

    The pattern is, first found: ``pattern``, ``$CNPLANS_RELEASES_URL``, or the bundled
    descriptor's ``cnplans.release_url``; ``{version}`` in it is replaced.
    """
    check_version(version)
    if pattern is None:
        pattern = os.environ.get(RELEASES_URL_ENV) or _descriptor_pattern()
    if "{version}" not in pattern:
        raise ReleaseError(
            f"the release URL pattern {pattern!r} has no '{{version}}' placeholder; set "
            f"{RELEASES_URL_ENV} to a URL such as https://host/v{{version}}/cnplans-{{version}}.zip"
        )
    return pattern.replace("{version}", version)


def cache_dir() -> Path:
    """Folder that holds downloaded releases (``$CNPLANS_CACHE_DIR`` or pooch's user cache)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    import pooch

    return Path(pooch.os_cache("cnplans"))


def registry() -> dict[str, str]:
    """Recorded sha256 of each published release archive, from the shipped ``releases.json``."""
    from cnplans.datapackage.hashes import SHA256

    text = resources.files("cnplans.loader").joinpath("releases.json").read_text(encoding="utf-8")
    entries = json.loads(text)
    if not isinstance(entries, dict):
        raise ReleaseError("cnplans/releases.json must be a JSON object {version: sha256}")
    for version, digest in entries.items():
        if not isinstance(digest, str) or not SHA256.match(digest):
            raise ReleaseError(
                f"cnplans/releases.json: the hash of {version!r} is {digest!r}; expected 64 "
                "lowercase hexadecimal digits"
            )
    return dict(entries)


def cached_release(version: str) -> Path | None:
    """The cached folder of release ``version``, or None if it is not (or no longer) cached.

    A cached release whose descriptor cannot be read, or a file of which is gone or changed
    (by size and modification time; nothing is hashed) since it was cached, is evicted: removed
    with a one-line warning, so that :func:`fetch` downloads it again.
    """
    folder = cache_dir() / "releases" / check_version(version)
    if not folder.is_dir() and not folder.is_symlink():
        return None
    try:
        _check_cached(folder, version)
    except ReleaseError as problem:
        _evict(folder, str(problem))
        return None
    return folder


def fetch(version: str) -> Path:
    """Folder holding release ``version``'s data package, downloaded, verified and unpacked on
    first use; any failure raises :class:`ReleaseError` and leaves the cache as it was."""
    cached = cached_release(version)
    if cached is not None:
        return cached
    url = release_url(version)
    releases_dir = cache_dir() / "releases"
    try:
        releases_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".partial-{version}-", dir=releases_dir))
    except OSError as exc:
        raise ReleaseError(
            f"cannot create the cache folder {releases_dir}: {exc.strerror or exc}; set "
            f"{CACHE_DIR_ENV} to a writable folder"
        ) from None
    try:
        digest, origin = expected_sha256(version, url)
        root = _package_root(_retrieve(url, _archive_name(url, version), digest, origin, work), url)
        files = check_release(root, version, url)
        (root / _STATE_NAME).write_text(json.dumps({"files": _stamps(root, files)}), "utf-8")
        final = releases_dir / version
        try:
            root.rename(final)
        except OSError:
            if cached_release(version) is None:  # not another process finishing first
                raise
        log.info("cnplans release %s cached in %s", version, final)
        return final
    except OSError as exc:
        raise ReleaseError(
            f"cannot unpack release {version} into the cache folder {releases_dir}: "
            f"{exc.strerror or exc}; nothing was cached. Free some space, or set "
            f"{CACHE_DIR_ENV} to a writable folder"
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def expected_sha256(version: str, url: str) -> tuple[str, str]:
    """The sha256 the archive must have, and where it comes from (for messages)."""
    from cnplans.datapackage.hashes import SUMS_NAME, ChecksumError, parse_sha256sums

    recorded = registry().get(version)
    if recorded is not None:
        return recorded, "cnplans/releases.json"
    sums_url = urljoin(url, SUMS_NAME)
    name = _archive_name(url, version)
    output = io.BytesIO()
    what = f"the checksums of release {version}"
    Download(what, MAX_SUMS_BYTES, "MAX_SUMS_BYTES")(sums_url, output, None)
    unverified = "the release cannot be verified, so it was not downloaded"
    try:
        digest = parse_sha256sums(output.getvalue().decode("utf-8"), label=sums_url).get(name)
    except UnicodeDecodeError:
        raise ReleaseError(f"{sums_url} is not a UTF-8 text file of sha256 sums") from None
    except ChecksumError as exc:
        raise ReleaseError(f"{exc}; {unverified}") from None
    if digest is None:
        raise ReleaseError(f"{sums_url} lists no sha256 for {name}; {unverified}")
    log.info("release %s is not in releases.json; verifying it against %s", version, sums_url)
    return digest, f"{sums_url} (not in the package's own registry)"


class Download:
    """A pooch downloader (``downloader(url, output_file, pooch)``) that a hostile server cannot
    keep busy or fill the disk with.

    :class:`pooch.HTTPDownloader` times out per read only, has no size cap, and lets requests
    decode any ``Content-Encoding``. This one asks for ``identity`` and refuses any other
    encoding unread, follows at most :data:`MAX_REDIRECTS` redirects without reading their
    bodies, refuses more than ``max_bytes`` (announced or arrived), and stops after
    :func:`deadline_seconds` in all. Failures are :class:`ReleaseError` sentences about
    ``what``; whoever gave ``output_file`` removes a partial file.
    """

    def __init__(self, what: str, max_bytes: int, limit_name: str) -> None:
        self.what, self.max_bytes, self.limit_name = what, max_bytes, limit_name

    def __call__(self, url: str, output_file: str | IO[bytes], pooch: Any) -> None:
        deadline = time.monotonic() + deadline_seconds()
        with self._open(url, deadline) as response:
            encoding = str(response.headers.get("Content-Encoding", "")).strip().lower()
            if encoding not in ("", "identity"):
                raise ReleaseError(
                    f"cannot download {self.what} from {url}: the server sent it with "
                    f"Content-Encoding {encoding[:40]!r}, which was not asked for (cnplans asks "
                    "for 'identity' only, so that the bytes checked are the bytes sent); it was "
                    "refused unread and nothing was cached"
                )
            length = str(response.headers.get("Content-Length", "")).strip()
            if length.isdigit() and int(length) > self.max_bytes:
                raise ReleaseError(self._too_large(url, f"the server announces {int(length):,}"))
            file = output_file
            with open(file, "wb") if isinstance(file, str) else nullcontext(file) as out:
                self._stream(url, response.raw, out, deadline)

    def _open(self, url: str, deadline: float) -> Any:
        """The response to ``url``, following redirects by hand, each closed unread."""
        import http.client

        import requests
        import urllib3

        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if time.monotonic() > deadline:
                raise ReleaseError(self._too_slow(url, 0))
            try:
                response = requests.get(
                    current,
                    stream=True,
                    timeout=min(DOWNLOAD_TIMEOUT_SECONDS, deadline_seconds()),
                    allow_redirects=False,
                    headers={"Accept-Encoding": "identity"},
                )
                if not response.is_redirect:
                    if not response.ok:
                        response.close()
                        response.raise_for_status()
                    return response
                location = response.headers["Location"]
                response.close()
            except (
                requests.exceptions.RequestException,
                urllib3.exceptions.HTTPError,
                http.client.HTTPException,
                OSError,
                ValueError,
            ) as exc:
                raise ReleaseError(_network_message(current, self.what, exc)) from None
            current = urljoin(current, location)
        raise ReleaseError(
            f"cannot download {self.what} from {url}: the server redirected it more than "
            f"{MAX_REDIRECTS} times ({_LIMITS}.MAX_REDIRECTS), so it was abandoned and nothing "
            "was cached"
        )

    def _stream(self, url: str, raw: Any, out: IO[bytes], deadline: float) -> None:
        import urllib3

        read = getattr(raw, "read1", None) or raw.read  # read1: returns what has arrived
        received, chunk = 0, b"first"
        while chunk:
            if time.monotonic() > deadline:
                raise ReleaseError(self._too_slow(url, received))
            try:
                chunk = read(_CHUNK, decode_content=False)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise ReleaseError(_network_message(url, self.what, exc)) from None
            received += len(chunk)
            if received > self.max_bytes:
                raise ReleaseError(self._too_large(url, f"more than {self.max_bytes:,} arrived"))
            out.write(chunk)
        if time.monotonic() > deadline:
            raise ReleaseError(self._too_slow(url, received))

    def _too_large(self, url: str, found: str) -> str:
        return (
            f"cannot download {self.what} from {url}: {found} bytes, more than the limit of "
            f"{self.max_bytes:,} bytes ({_LIMITS}.{self.limit_name}, which a program may "
            "raise if a release is really this large); it was refused and nothing was cached"
        )

    def _too_slow(self, url: str, received: int) -> str:
        return (
            f"cannot download {self.what} from {url}: it took longer than the deadline of "
            f"{deadline_seconds():g} seconds ({_LIMITS}.DOWNLOAD_DEADLINE_SECONDS; set "
            f"{DEADLINE_ENV} to raise it) with {received:,} bytes received, so the download was "
            f"abandoned and nothing was cached. Try again later, or point {RELEASES_URL_ENV} at "
            "a mirror"
        )


def extract_safely(archive: Path, destination: Path) -> None:
    """Unpack a zip archive into ``destination`` (created), refusing any archive that is unsafe.

    Every member is checked before anything is written: names that could write outside
    ``destination`` (absolute, drive letters, backslashes, ``..``, symlinks), encrypted or
    unsupported members, names too long or clashing, and the zip-bomb limits ``MAX_MEMBERS``,
    ``MAX_UNPACKED_BYTES`` and ``MAX_RATIO`` on the declared sizes. The bytes actually written
    are counted against the same limits, in case a size was forged. On any refusal
    ``destination`` is removed again.
    """
    _check_count(_declared_member_count(archive), archive)
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            _check_count(len(members), archive)
            for info in members:
                if (problem := _member_problem(info)) is not None:
                    name = _short(info.filename)
                    raise ReleaseError(
                        f"{archive.name} was refused: its member {name} {problem}; nothing was "
                        "unpacked"
                    )
            _check_layout(members, archive)
            _check_sizes(members, archive)
            destination.mkdir(parents=True, exist_ok=False)
            try:
                _unpack_members(zf, members, archive, destination)
            except BaseException:
                shutil.rmtree(destination, ignore_errors=True)
                raise
    except ReleaseError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        ValueError,
        RuntimeError,
        struct.error,
    ) as exc:
        raise ReleaseError(f"{archive.name} is not a valid zip archive: {exc}") from None
    except OSError as exc:
        raise ReleaseError(
            f"{archive.name} cannot be unpacked into {destination}: {exc.strerror or exc}; "
            "nothing was cached"
        ) from None


def _unpack_members(
    zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], archive: Path, destination: Path
) -> None:
    total = 0
    for info in members:
        target = destination.joinpath(*PurePosixPath(info.filename).parts)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with zf.open(info) as source, target.open("xb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                total += len(chunk)
                if total > MAX_UNPACKED_BYTES:
                    _refuse_bomb(
                        archive,
                        f"its members unpack to more than {MAX_UNPACKED_BYTES:,} bytes in all, "
                        f"the limit ({_LIMITS}.MAX_UNPACKED_BYTES)",
                    )
                _check_ratio(info, written, archive)
                out.write(chunk)


def _unpack(fname: str, action: str, pooch: Any) -> str:
    """pooch processor: unpack the verified archive beside it, into ``unpacked/``."""
    destination = Path(fname).parent / "unpacked"
    extract_safely(Path(fname), destination)
    return str(destination)


def _declared_member_count(archive: Path) -> int:
    """The member count of the end-of-central-directory record (or its zip64 form), read
    before :mod:`zipfile` parses the whole central directory; 0 when it cannot be read."""
    size = archive.stat().st_size
    with archive.open("rb") as file:
        tail_size = min(size, 22 + 0xFFFF + 20)
        file.seek(size - tail_size)
        tail = file.read(tail_size)
        end = tail.rfind(b"PK\x05\x06")
        if end < 0 or end + 22 > len(tail):
            return 0
        (count,) = struct.unpack_from("<H", tail, end + 10)
        locator = end - 20
        if count == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
            (offset,) = struct.unpack_from("<Q", tail, locator + 8)
            if offset + 56 <= size:
                file.seek(offset)
                record = file.read(56)
                if record[:4] == b"PK\x06\x06":
                    (count,) = struct.unpack_from("<Q", record, 32)
    return int(count)


def _check_count(count: int, archive: Path) -> None:
    if count > MAX_MEMBERS:
        _refuse_bomb(
            archive,
            f"it has {count} members, more than the limit of {MAX_MEMBERS} ({_LIMITS}.MAX_MEMBERS)",
        )


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = PurePosixPath(name).parts
    outside = "which could write outside the cache folder"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return f"is an absolute path, {outside}"
    if "\\" in name:
        return f"contains a backslash, {outside}"
    if ".." in parts:
        return f"climbs out of the folder with '..', {outside}"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"is a symbolic link, {outside}"
    if not parts:
        return "names no file"
    if _CONTROL.search(name):
        return "contains a control character"
    if len(name) > MAX_NAME_CHARS or any(len(part.encode("utf-8")) > 255 for part in parts):
        return (
            f"is {len(name)} characters long, more than the limit of {MAX_NAME_CHARS} "
            f"({_LIMITS}.MAX_NAME_CHARS) or 255 bytes a folder or file name"
        )
    if info.flag_bits & 0x1:
        return "is encrypted; a release is never encrypted"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return (
            f"uses compression method {info.compress_type} (deflate64 is 9); a release uses "
            "deflate or none"
        )
    return None


def _check_layout(members: list[zipfile.ZipInfo], archive: Path) -> None:
    """Refuse the same file twice, or a file where another member needs a folder (``a``,
    ``a/b``), comparing names case-folded as a case-insensitive disk would."""
    files: dict[str, str] = {}
    folders: dict[str, str] = {}
    for info in members:
        parts = [part.casefold() for part in PurePosixPath(info.filename).parts]
        for depth in range(1, len(parts)):
            folders.setdefault("/".join(parts[:depth]), info.filename)
        key = "/".join(parts)
        if info.is_dir():
            folders.setdefault(key, info.filename)
        elif key in files:
            raise ReleaseError(
                f"{archive.name} was refused: it holds the file {_short(info.filename)} twice "
                f"(also as {_short(files[key])}); nothing was unpacked"
            )
        else:
            files[key] = info.filename
    for key, name in files.items():
        if key in folders:
            raise ReleaseError(
                f"{archive.name} was refused: its member {_short(name)} is a file, but "
                f"{_short(folders[key])} needs a folder of that name; nothing was unpacked"
            )


def _check_sizes(members: list[zipfile.ZipInfo], archive: Path) -> None:
    """Refuse a zip bomb by its declared sizes: too many bytes in all, or too much expansion."""
    total = sum(info.file_size for info in members)
    if total > MAX_UNPACKED_BYTES:
        _refuse_bomb(
            archive,
            f"its members declare {total} bytes in all, more than the limit of "
            f"{MAX_UNPACKED_BYTES} ({_LIMITS}.MAX_UNPACKED_BYTES)",
        )
    for info in members:
        _check_ratio(info, info.file_size, archive)


def _check_ratio(info: zipfile.ZipInfo, size: int, archive: Path) -> None:
    """Refuse a member of ``size`` bytes unpacked that expands more than :data:`MAX_RATIO`."""
    if size >= RATIO_MIN_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
        _refuse_bomb(
            archive,
            f"its member {_short(info.filename)} expands "
            f"{size / max(info.compress_size, 1):.0f} times ({info.compress_size} to {size} "
            f"bytes or more), more than the limit of {MAX_RATIO} ({_LIMITS}.MAX_RATIO)",
        )


def _refuse_bomb(archive: Path, problem: str) -> None:
    raise ReleaseError(
        f"{archive.name} was refused: {problem}, as a zip bomb would; a cnplans release is "
        "far smaller, so nothing was unpacked"
    )


def _short(name: str) -> str:
    """``name`` quoted for a message, cut to 80 characters."""
    return repr(name) if len(name) <= 80 else repr(name[:77] + "...")


def _archive_name(url: str, version: str) -> str:
    return PurePosixPath(urlparse(url).path).name or f"cnplans-{version}.zip"


def _retrieve(url: str, name: str, digest: str, origin: str, work: Path) -> Path:
    """Download ``url`` into ``work`` with pooch, check its sha256, unpack it; return the folder."""
    import pooch
    import requests

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)  # pooch would print the temporary path it downloads to
    try:
        unpacked = pooch.retrieve(
            url,
            known_hash=f"sha256:{digest}",
            fname=name,
            path=work,
            downloader=Download("the release archive", MAX_ARCHIVE_BYTES, "MAX_ARCHIVE_BYTES"),
            processor=_unpack,
        )
    except ValueError as exc:  # pooch: the hash does not match (the processor raises no ValueError)
        raise ReleaseError(
            f"the archive downloaded from {url} does not match the sha256 from {origin}; it may "
            f"be truncated, corrupted or tampered with, so it was refused and nothing was "
            f"cached ({exc})"
        ) from None
    except requests.exceptions.RequestException as exc:
        raise ReleaseError(_network_message(url, "the release archive", exc)) from None
    finally:
        logger.setLevel(level)
    return Path(unpacked)


def _network_message(url: str, what: str, exc: Any) -> str:
    import requests
    import urllib3

    if isinstance(
        exc, (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)
    ) or any(isinstance(arg, urllib3.exceptions.TimeoutError) for arg in exc.args):
        return (
            f"cannot download {what} from {url}: the server sent nothing for "
            f"{min(DOWNLOAD_TIMEOUT_SECONDS, deadline_seconds()):g} seconds, so the "
            f"download was abandoned and nothing was cached ({_LIMITS}.DOWNLOAD_TIMEOUT_SECONDS)"
            f". Try again later, or point {RELEASES_URL_ENV} at a mirror"
        )
    return (
        f"cannot download {what} from {url} ({exc}); nothing was cached. Check that the version "
        f"is published and that you are online, or point {RELEASES_URL_ENV} at a mirror"
    )


def _package_root(unpacked: Path, url: str) -> Path:
    """The folder holding datapackage.json: the archive's top level or its single folder."""
    if (unpacked / DESCRIPTOR_NAME).is_file():
        return unpacked
    entries = list(unpacked.iterdir())
    if len(entries) == 1 and (entries[0] / DESCRIPTOR_NAME).is_file():
        return entries[0]
    raise ReleaseError(
        f"the archive from {url} has no {DESCRIPTOR_NAME} at its top level or in a single "
        "top-level folder; it is not a cnplans release"
    )


def check_release(
    root: Path, version: str, source: str, outcome: str = "so it was not cached"
) -> list[str]:
    """Check the release unpacked in ``root``; return the files it lists (relative paths).

    Its descriptor must be readable (:func:`cnplans.datapackage.read_descriptor`), of
    ``version``, and each resource's ``path`` and ``schema`` file a regular file inside
    ``root`` (:func:`cnplans.datapackage.inside`), the schemas JSON. ``source`` names the
    release in a :class:`ReleaseError`, which ends with ``outcome``.
    """
    unusable = f"the release from {source} is unusable, {outcome}"
    try:
        descriptor = datapackage.read_descriptor(root / DESCRIPTOR_NAME)
    except datapackage.PackageError as exc:
        raise ReleaseError(f"{unusable}: {exc}") from None
    found = descriptor.get("version")
    if found != version:
        raise ReleaseError(
            f"the archive from {source} holds version {found!r}, not {version!r}; it cannot "
            f"stand for release {version}, {outcome}"
        )
    files = [DESCRIPTOR_NAME]
    for index, resource in enumerate(descriptor["resources"]):
        if not isinstance(resource, dict):
            raise ReleaseError(
                f"{unusable}: resource {index} of its {DESCRIPTOR_NAME} is "
                f"{type(resource).__name__}, not an object"
            )
        declared = [("path", resource.get("path"))]
        if not isinstance(resource.get("schema"), dict):  # a schema given inline is no file
            declared.append(("schema", resource.get("schema")))
        for key, relative in declared:
            what = f"the {key} of resource {_short(str(resource.get('name', index)))} in its "
            try:
                path = datapackage.inside(root, relative, what + DESCRIPTOR_NAME)
                if not path.is_file():
                    raise ReleaseError(
                        f"the archive from {source} lacks {relative}, which its "
                        f"{DESCRIPTOR_NAME} lists; it is incomplete, {outcome}"
                    )
                if key == "schema":
                    datapackage.parse_json(datapackage.read_text(path), str(relative))
            except datapackage.PackageError as exc:
                raise ReleaseError(f"{unusable}: {exc}") from None
            files.append(str(relative))
    return files


def _stamps(root: Path, files: list[str]) -> dict[str, list[int]]:
    """The size and modification time of each of ``files``, as a cached release records them."""
    return {
        name: [(root / name).stat().st_size, (root / name).stat().st_mtime_ns] for name in files
    }


def _check_cached(folder: Path, version: str) -> None:
    """Cheap checks of a cached release: a ReleaseError saying why it can no longer be used."""
    files = check_release(folder, version, str(folder), "so it can no longer be used")
    state_file = folder / _STATE_NAME
    if not state_file.exists():  # cached by an earlier cnplans: the checks above are all
        return
    try:
        text = datapackage.read_text(state_file, MAX_SUMS_BYTES)
        recorded = datapackage.parse_json(text, str(state_file))["files"]
        current = _stamps(folder, files)
    except (datapackage.PackageError, OSError, KeyError, TypeError) as exc:
        raise ReleaseError(f"{state_file} cannot be used: {exc}") from None
    if not isinstance(recorded, dict):
        raise ReleaseError(f"{state_file} cannot be used: 'files' is not an object")
    changed = sorted(
        name for name in set(recorded) | set(current) if recorded.get(name) != current.get(name)
    )
    if changed:
        raise ReleaseError(f"{folder / changed[0]} was changed or removed after it was cached")


def _evict(folder: Path, reason: str) -> None:
    """Remove a cached release that failed its checks, saying so in one line."""
    trash = folder.with_name(f".evicted-{folder.name}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        folder.rename(trash)
    except FileNotFoundError:  # another process evicted it first
        return
    except OSError as exc:
        raise ReleaseError(
            f"the cached release {folder} failed its checks ({reason}) and cannot be removed "
            f"({exc.strerror or exc}); delete it by hand"
        ) from None
    if trash.is_symlink():
        trash.unlink()
    else:
        shutil.rmtree(trash, ignore_errors=True)
    log.warning(
        "cnplans: the cached release %s failed its checks (%s); it was removed from the cache "
        "and will be downloaded again",
        folder.name,
        reason,
    )


def _descriptor_pattern() -> str:
    path = paths.bundled_descriptor()
    pattern = datapackage.read_descriptor(path).get("cnplans", {}).get("release_url")
    if not isinstance(pattern, str):
        raise ReleaseError(
            f"{path} has no 'cnplans.release_url' pattern; set {RELEASES_URL_ENV} to the URL of "
            "release archives, with {version} where the version goes"
        )
    return pattern
