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

Where the archive comes from: the URL pattern in ``datapackage.json`` (``cnplans.release_url``,
with ``{version}``), or the environment variable ``CNPLANS_RELEASES_URL`` (same pattern syntax).
Where the cache is: ``CNPLANS_CACHE_DIR``, else the user cache folder (:func:`pooch.os_cache`).

The cache only ever holds complete, checked releases: the archive is downloaded and unpacked in
a temporary folder inside the cache folder and renamed into place in one step; any failure
removes that folder. What is refused, each with a one-line :class:`ReleaseError` that names the
limit (a module constant here, which a program may raise):

- downloads (:class:`Download`): a response with a ``Content-Encoding`` (only ``identity`` is
  asked for), a ``SHA256SUMS`` over :data:`MAX_SUMS_BYTES` or an archive over
  :data:`MAX_ARCHIVE_BYTES`, a server silent for :data:`DOWNLOAD_TIMEOUT_SECONDS`, a transfer
  longer than :data:`DOWNLOAD_DEADLINE_SECONDS`, more than :data:`MAX_REDIRECTS` redirects;
- archives (:func:`extract_safely`): a member that would land outside the folder (absolute
  paths, ``..``, symbolic links), an encrypted member, a compression other than stored or
  deflate, a name longer than :data:`MAX_NAME_CHARS`, the same file twice or a file where a
  folder goes, and zip bombs: more than :data:`MAX_MEMBERS` members, more than
  :data:`MAX_UNPACKED_BYTES` in all, a member expanding more than :data:`MAX_RATIO` times;
- the release's ``datapackage.json``: not the one JSON form every package file has
  (:func:`cnplans.datapackage.parse_json`: no duplicate keys, no deep nesting), another
  version, a resource or schema path that is not a file inside the release
  (:func:`cnplans.datapackage.inside`).

A cached release is checked again, cheaply, on every use (:func:`cached_release`): its
descriptor is read and each file it lists is compared by size and modification time with the
record written when it was cached. One that fails (a file changed or gone, an unreadable
descriptor) is evicted, with a one-line warning, and downloaded again.

Nothing here imports pooch or requests at module level.

>>> from cnplans.loader import releases
>>> releases.release_url("1.2.3", pattern="https://example.org/v{version}/cnplans-{version}.zip")
'https://example.org/v1.2.3/cnplans-1.2.3.zip'
"""

from __future__ import annotations

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
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urljoin, urlparse

from cnplans.datapackage.errors import CnplansError

RELEASES_URL_ENV = "CNPLANS_RELEASES_URL"
CACHE_DIR_ENV = "CNPLANS_CACHE_DIR"
# The longest the server may keep us waiting, to connect or for the next bytes (requests' timeout).
DOWNLOAD_TIMEOUT_SECONDS: float = 60
# The longest one whole download may take, however steadily the bytes trickle in.
DOWNLOAD_DEADLINE_SECONDS: float = 300
DEADLINE_ENV = "CNPLANS_DOWNLOAD_DEADLINE_SECONDS"  # overrides it, e.g. for a slow connection
# The largest download accepted: a release archive (a few megabytes today) and its SHA256SUMS.
MAX_ARCHIVE_BYTES = 512 << 20
MAX_SUMS_BYTES = 1 << 20
MAX_REDIRECTS = 10
# Zip-bomb limits, far above any real release (the data are well under a megabyte unpacked),
# checked on the sizes the archive declares and again on the bytes actually written.
MAX_MEMBERS = 10_000
MAX_UNPACKED_BYTES = 1 << 30  # 1 GiB for the whole archive
MAX_RATIO = 200  # how many times one member may expand; deflate tops out near 1000 for bombs
RATIO_MIN_BYTES = 1 << 20  # members smaller than 1 MiB may expand any number of times
MAX_NAME_CHARS = 255  # a member's whole name ("cnplans-1.2.3/resources/plans.csv" is 33)
MAX_VERSION_CHARS = 64

# X.Y.Z with an optional pre-release/post-release/local suffix; never a path separator or "..".
_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(?:[-+.]?[0-9A-Za-z]+)*")
_CHUNK = 1 << 16
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_STATE_NAME = ".cnplans-cache.json"  # in a cached release: the size and mtime of its files
_LIMITS = "cnplans.loader.releases"

log = logging.getLogger(__name__)


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


class ReleaseError(CnplansError, RuntimeError):
    """A release cannot be downloaded, verified or unpacked; nothing was added to the cache."""


def check_version(version: str) -> str:
    """Return ``version`` if it looks like ``X.Y.Z`` (it becomes part of a URL and a folder).

    The whole text must match: ``'9.9.1\\n'`` is refused.

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

    A cached release that fails its checks (its descriptor unreadable, a file it lists gone or
    changed since it was cached) is evicted: removed, with a one-line warning, so that the next
    :func:`fetch` downloads it again. The check reads the descriptor and looks at each listed
    file's size and modification time; it hashes nothing (the loader checks the hash of each
    table it reads).
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
    """Folder holding release ``version``'s data package, downloading it on first use.

    A cached release is returned without any network access. Otherwise the archive is
    downloaded, verified and unpacked; any failure raises :class:`ReleaseError` and leaves the
    cache as it was.
    """
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
        unpacked = _retrieve(url, _archive_name(url, version), digest, origin, work)
        root = _package_root(unpacked, url)
        files = check_release(root, version, url)
        _write_state(root, files)
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
    import io

    from cnplans.datapackage.hashes import SUMS_NAME, ChecksumError, parse_sha256sums

    recorded = registry().get(version)
    if recorded is not None:
        return recorded, "cnplans/releases.json"
    sums_url = urljoin(url, SUMS_NAME)
    name = _archive_name(url, version)
    output = io.BytesIO()
    Download(f"the checksums of release {version}", MAX_SUMS_BYTES, "MAX_SUMS_BYTES")(
        sums_url, output, None
    )
    try:
        sums = parse_sha256sums(output.getvalue().decode("utf-8"), label=sums_url)
    except UnicodeDecodeError:
        raise ReleaseError(f"{sums_url} is not a UTF-8 text file of sha256 sums") from None
    except ChecksumError as exc:
        raise ReleaseError(
            f"{exc}; the release cannot be verified, so it was not downloaded"
        ) from None
    digest = sums.get(name)
    if digest is None:
        raise ReleaseError(
            f"{sums_url} lists no sha256 for {name}; the release cannot be verified, so it was "
            "not downloaded"
        )
    log.info("release %s is not in releases.json; verifying it against %s", version, sums_url)
    return digest, f"{sums_url} (not in the package's own registry)"


class Download:
    """A pooch downloader (``downloader(url, output_file, pooch)``) built on requests.

    pooch's own :class:`pooch.HTTPDownloader` is not enough against a hostile server: its
    timeout is per read only (one byte every few seconds keeps it going for ever), it has no
    size cap (a 300 MB "SHA256SUMS" is read whole), and requests decodes any
    ``Content-Encoding`` it is sent (a 1 MB gzip becomes 1 GiB). This one asks for
    ``Accept-Encoding: identity`` and refuses any other encoding unread, refuses more than
    ``max_bytes`` as soon as ``Content-Length`` says so or once that many bytes have arrived,
    and abandons the transfer after :data:`DOWNLOAD_DEADLINE_SECONDS` in all. Failures are
    :class:`ReleaseError` sentences about ``what`` ("the release archive"); whoever gave
    ``output_file`` removes a partial file (pooch does, and :func:`fetch` removes its folder).
    """

    def __init__(self, what: str, max_bytes: int, limit_name: str) -> None:
        self.what, self.max_bytes, self.limit_name = what, max_bytes, limit_name

    def __call__(self, url: str, output_file: str | IO[bytes], pooch: Any) -> None:
        deadline = time.monotonic() + deadline_seconds()
        response = self._open(url, deadline)
        with response:
            self._check_headers(url, response.headers)
            if isinstance(output_file, str):
                with open(output_file, "wb") as out:
                    self._stream(url, response.raw, out, deadline)
            else:
                self._stream(url, response.raw, output_file, deadline)

    def _open(self, url: str, deadline: float) -> Any:
        """The response to ``url``, its headers read, following redirects by hand.

        requests would read (and decode) the body of every redirect response whole before
        following it; here each one is closed unread.
        """
        import http.client

        import requests
        import urllib3

        timeout = min(DOWNLOAD_TIMEOUT_SECONDS, deadline_seconds())
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if time.monotonic() > deadline:
                raise ReleaseError(self._too_slow(url, 0))
            try:
                response = requests.get(
                    current,
                    stream=True,
                    timeout=timeout,
                    allow_redirects=False,
                    headers={"Accept-Encoding": "identity"},
                )
                if not response.is_redirect:
                    try:
                        response.raise_for_status()
                    except BaseException:
                        response.close()
                        raise
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

    def _check_headers(self, url: str, headers: Any) -> None:
        encoding = str(headers.get("Content-Encoding", "")).strip().lower()
        if encoding not in ("", "identity"):
            raise ReleaseError(
                f"cannot download {self.what} from {url}: the server sent it with "
                f"Content-Encoding {encoding[:40]!r}, which was not asked for (cnplans asks for "
                "'identity' only, so that the bytes checked are the bytes sent); it was refused "
                "unread and nothing was cached"
            )
        length = str(headers.get("Content-Length", "")).strip()
        if length.isdigit() and int(length) > self.max_bytes:
            raise ReleaseError(self._too_large(url, f"the server announces {int(length):,}"))

    def _stream(self, url: str, raw: Any, out: IO[bytes], deadline: float) -> None:
        import urllib3

        read = getattr(raw, "read1", None) or raw.read  # read1: returns what has arrived
        received = 0
        while True:
            if time.monotonic() > deadline:
                raise ReleaseError(self._too_slow(url, received))
            try:
                chunk = read(_CHUNK, decode_content=False)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise ReleaseError(_network_message(url, self.what, exc)) from None
            if not chunk:
                break
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
            f"{DEADLINE_ENV} to raise it) with "
            f"{received:,} bytes received, so the download was abandoned and nothing was "
            f"cached. Try again later, or point {RELEASES_URL_ENV} at a mirror"
        )


def extract_safely(archive: Path, destination: Path) -> None:
    """Unpack a zip archive into ``destination`` (created), refusing any archive that is unsafe.

    Every member is checked before anything is written: names that could write outside
    ``destination`` (absolute, drive letters, backslashes, ``..``, symlinks), encrypted or
    unsupported members, names too long or clashing, and the zip-bomb limits ``MAX_MEMBERS``,
    ``MAX_UNPACKED_BYTES`` and ``MAX_RATIO`` on the declared sizes. The bytes actually written
    are counted against the same limits while unpacking, in case a size was forged. On any
    refusal ``destination`` is removed again.
    """
    _check_member_count(archive)
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            _check_count(len(members), archive)
            for info in members:
                _check_member(info, archive)
            _check_layout(members, archive)
            _check_sizes(members, archive)
            destination.mkdir(parents=True, exist_ok=False)
            try:
                _unpack_members(zf, members, archive, destination)
            except BaseException:
                shutil.rmtree(destination, ignore_errors=True)
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
        if isinstance(exc, ReleaseError):
            raise
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
                if written >= RATIO_MIN_BYTES and written > MAX_RATIO * max(info.compress_size, 1):
                    _refuse_bomb(archive, _ratio_problem(info, written))
                out.write(chunk)


def _unpack(fname: str, action: str, pooch: Any) -> str:
    """pooch processor: unpack the verified archive beside it, into ``unpacked/``."""
    destination = Path(fname).parent / "unpacked"
    extract_safely(Path(fname), destination)
    return str(destination)


def _check_member_count(archive: Path) -> None:
    """Refuse too many members before :mod:`zipfile` reads them all into memory.

    ``zipfile.ZipFile`` parses the whole central directory when it opens an archive, so the
    count is read by hand from the end-of-central-directory record (and its zip64 form), 22 or
    56 bytes at fixed offsets. Anything this cannot read is left to zipfile to refuse.
    """
    size = archive.stat().st_size
    with archive.open("rb") as file:
        tail_size = min(size, 22 + 0xFFFF + 20)
        file.seek(size - tail_size)
        tail = file.read(tail_size)
        end = tail.rfind(b"PK\x05\x06")
        if end < 0 or end + 22 > len(tail):
            return
        (count,) = struct.unpack_from("<H", tail, end + 10)
        locator = end - 20
        if count == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
            (offset,) = struct.unpack_from("<Q", tail, locator + 8)
            if offset + 56 <= size:
                file.seek(offset)
                record = file.read(56)
                if record[:4] == b"PK\x06\x06":
                    (count,) = struct.unpack_from("<Q", record, 32)
    _check_count(count, archive)


def _check_count(count: int, archive: Path) -> None:
    if count > MAX_MEMBERS:
        _refuse_bomb(
            archive,
            f"it has {count} members, more than the limit of {MAX_MEMBERS} ({_LIMITS}.MAX_MEMBERS)",
        )


def _check_member(info: zipfile.ZipInfo, archive: Path) -> None:
    name = info.filename
    mode = info.external_attr >> 16
    problem = None
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        problem = "is an absolute path, which could write outside the cache folder"
    elif "\\" in name:
        problem = "contains a backslash, which could write outside the cache folder"
    elif ".." in PurePosixPath(name).parts:
        problem = "climbs out of the folder with '..', which could write outside the cache folder"
    elif stat.S_ISLNK(mode):
        problem = "is a symbolic link, which could write outside the cache folder"
    elif not PurePosixPath(name).parts:
        problem = "names no file"
    elif _CONTROL.search(name):
        problem = "contains a control character"
    elif len(name) > MAX_NAME_CHARS or any(
        len(part.encode("utf-8")) > 255 for part in PurePosixPath(name).parts
    ):
        problem = (
            f"is {len(name)} characters long, more than the limit of {MAX_NAME_CHARS} "
            f"({_LIMITS}.MAX_NAME_CHARS) or 255 bytes a folder or file name"
        )
    elif info.flag_bits & 0x1:
        problem = "is encrypted; a release is never encrypted"
    elif info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        problem = (
            f"uses compression method {info.compress_type} (deflate64 is 9); a release uses "
            "deflate or none"
        )
    if problem is not None:
        raise ReleaseError(
            f"{archive.name} was refused: its member {_short(name)} {problem}; nothing was unpacked"
        )


def _check_layout(members: list[zipfile.ZipInfo], archive: Path) -> None:
    """Refuse the same file twice, or a file where another member needs a folder (``a``,
    ``a/b``). Names are compared case-folded, as a case-insensitive disk would."""
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
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            _refuse_bomb(archive, _ratio_problem(info, info.file_size))


def _ratio_problem(info: zipfile.ZipInfo, size: int) -> str:
    ratio = size / max(info.compress_size, 1)
    return (
        f"its member {_short(info.filename)} expands {ratio:.0f} times "
        f"({info.compress_size} to {size} bytes or more), more than the limit of {MAX_RATIO} "
        f"({_LIMITS}.MAX_RATIO)"
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
    """Download ``url`` into ``work`` with pooch, check its sha256, unpack it; return that folder.

    pooch downloads (with :class:`Download`) into a temporary file and keeps it only if the
    sha256 matches; only then does the processor unpack it.
    """
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
    if (unpacked / "datapackage.json").is_file():
        return unpacked
    entries = list(unpacked.iterdir())
    if len(entries) == 1 and (entries[0] / "datapackage.json").is_file():
        return entries[0]
    raise ReleaseError(
        f"the archive from {url} has no datapackage.json at its top level or in a single "
        "top-level folder; it is not a cnplans release"
    )


def check_release(
    root: Path, version: str, source: str, outcome: str = "so it was not cached"
) -> list[str]:
    """Check the release unpacked in ``root``; return the files it lists (relative paths).

    Its ``datapackage.json`` must be a descriptor read the way every package file is
    (:func:`cnplans.datapackage.read_descriptor`: bounded, no duplicate keys, no deep
    nesting), of ``version``, whose every resource ``path`` and ``schema`` file is a regular
    file inside ``root`` (:func:`cnplans.datapackage.inside`) and whose schema files are JSON
    of the same kind. ``source`` (a URL or a folder) names the release in a
    :class:`ReleaseError`, which ends with ``outcome``.
    """
    from cnplans import datapackage
    from cnplans.datapackage.paths import DESCRIPTOR_NAME

    try:
        descriptor = datapackage.read_descriptor(root / DESCRIPTOR_NAME)
    except datapackage.PackageError as exc:
        raise ReleaseError(f"the release from {source} is unusable, {outcome}: {exc}") from None
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
                f"the release from {source} is unusable, {outcome}: resource {index} of its "
                f"{DESCRIPTOR_NAME} is {type(resource).__name__}, not an object"
            )
        name = resource.get("name", index)
        declared = [("path", resource.get("path"))]
        if not isinstance(resource.get("schema"), dict):  # a schema given inline is no file
            declared.append(("schema", resource.get("schema")))
        for key, relative in declared:
            what = f"the {key} of resource {_short(str(name))} in its {DESCRIPTOR_NAME}"
            try:
                path = datapackage.inside(root, relative, what)
                if not path.is_file():
                    raise ReleaseError(
                        f"the archive from {source} lacks {relative}, which its "
                        f"{DESCRIPTOR_NAME} lists; it is incomplete, {outcome}"
                    )
                if key == "schema":
                    datapackage.parse_json(datapackage.read_text(path), str(relative))
            except datapackage.PackageError as exc:
                raise ReleaseError(
                    f"the release from {source} is unusable, {outcome}: {exc}"
                ) from None
            files.append(str(relative))
    return files


def _write_state(root: Path, files: list[str]) -> None:
    """Record the size and modification time of each listed file, for :func:`cached_release`."""
    state = {}
    for relative in files:
        status = (root / relative).stat()
        state[relative] = [status.st_size, status.st_mtime_ns]
    (root / _STATE_NAME).write_text(json.dumps({"files": state}), encoding="utf-8")


def _check_cached(folder: Path, version: str) -> None:
    """Cheap checks of a cached release: a ReleaseError saying why it can no longer be used."""
    from cnplans import datapackage

    files = check_release(folder, version, str(folder), "so it can no longer be used")
    state_file = folder / _STATE_NAME
    if not state_file.exists():  # cached by an earlier cnplans: the checks above are all
        return
    try:
        recorded = datapackage.parse_json(
            datapackage.read_text(state_file, MAX_SUMS_BYTES), str(state_file)
        )["files"]
        current = {}
        for relative in files:
            status = (folder / relative).stat()
            current[relative] = [status.st_size, status.st_mtime_ns]
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
    from cnplans.datapackage.paths import bundled_descriptor

    path = bundled_descriptor()
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    pattern = descriptor.get("cnplans", {}).get("release_url")
    if not isinstance(pattern, str):
        raise ReleaseError(
            f"{path} has no 'cnplans.release_url' pattern; set {RELEASES_URL_ENV} to the URL of "
            "release archives, with {version} where the version goes"
        )
    return pattern
