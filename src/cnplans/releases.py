"""Published releases: download once with pooch, verify the sha256, unpack safely into the cache.

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

The cache only ever holds complete releases: the archive is downloaded and unpacked in a
temporary folder inside the cache folder and renamed into place in one step. The archive is
refused whole, before anything is written, if a member would land outside that folder (absolute
paths, ``..``, symlinks) or if it looks like a zip bomb (too many members, too many bytes in
all, or a member that expands too much). A server that sends nothing for
``DOWNLOAD_TIMEOUT_SECONDS`` fails the download.

Nothing here imports pooch or requests at module level.

>>> from cnplans import releases
>>> releases.release_url("1.2.3", pattern="https://example.org/v{version}/cnplans-{version}.zip")
'https://example.org/v1.2.3/cnplans-1.2.3.zip'
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import zipfile
import zlib
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlparse

from cnplans.errors import CnplansError

RELEASES_URL_ENV = "CNPLANS_RELEASES_URL"
CACHE_DIR_ENV = "CNPLANS_CACHE_DIR"
# The longest the server may keep us waiting, to connect or for the next bytes (requests' timeout).
DOWNLOAD_TIMEOUT_SECONDS: float = 60
# Zip-bomb limits, far above any real release (the data are well under a megabyte unpacked).
MAX_MEMBERS = 10_000
MAX_UNPACKED_BYTES = 1 << 30  # 1 GiB for the whole archive, as its members declare their sizes
MAX_RATIO = 200  # how many times one member may expand; deflate tops out near 1000 for bombs
RATIO_MIN_BYTES = 1 << 20  # members smaller than 1 MiB may expand any number of times

# X.Y.Z with an optional pre-release/post-release/local suffix; never a path separator or "..".
_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(?:[-+.]?[0-9A-Za-z]+)*$")

log = logging.getLogger(__name__)


class ReleaseError(CnplansError, RuntimeError):
    """A release cannot be downloaded, verified or unpacked; nothing was added to the cache."""


def check_version(version: str) -> str:
    """Return ``version`` if it looks like ``X.Y.Z`` (it becomes part of a URL and a folder)."""
    if not isinstance(version, str) or not _VERSION.match(version):
        raise ReleaseError(f"{version!r} is not a release version; expected X.Y.Z such as '0.1.0'")
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
    from cnplans.hashes import SHA256

    text = resources.files("cnplans").joinpath("releases.json").read_text(encoding="utf-8")
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
    """The cached folder of release ``version``, or None if it was never downloaded."""
    folder = cache_dir() / "releases" / check_version(version)
    return folder if (folder / "datapackage.json").is_file() else None


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
    except OSError as exc:
        raise ReleaseError(
            f"cannot create the cache folder {releases_dir}: {exc}; set {CACHE_DIR_ENV} to a "
            "writable folder"
        ) from None
    work = Path(tempfile.mkdtemp(prefix=f".partial-{version}-", dir=releases_dir))
    try:
        digest, origin = expected_sha256(version, url)
        unpacked = _retrieve(url, _archive_name(url, version), digest, origin, work)
        root = _package_root(unpacked, url)
        _check_release(root, version, url)
        final = releases_dir / version
        try:
            root.rename(final)
        except OSError:
            if cached_release(version) is None:  # not another process finishing first
                raise
        log.info("cnplans release %s cached in %s", version, final)
        return final
    finally:
        shutil.rmtree(work, ignore_errors=True)


def expected_sha256(version: str, url: str) -> tuple[str, str]:
    """The sha256 the archive must have, and where it comes from (for messages)."""
    from cnplans.hashes import SUMS_NAME, ChecksumError, parse_sha256sums

    recorded = registry().get(version)
    if recorded is not None:
        return recorded, "cnplans/releases.json"
    sums_url = urljoin(url, SUMS_NAME)
    name = _archive_name(url, version)
    data = _http_get(sums_url, what=f"the checksums of release {version}")
    try:
        sums = parse_sha256sums(data.decode("utf-8"), label=sums_url)
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


def extract_safely(archive: Path, destination: Path) -> None:
    """Unpack a zip archive into ``destination`` (created), refusing any archive that is unsafe.

    Every member is checked before anything is written: absolute names, drive letters,
    backslashes, ``..`` components and symlinks (which could write outside ``destination``),
    and the zip-bomb limits ``MAX_MEMBERS``, ``MAX_UNPACKED_BYTES`` and ``MAX_RATIO`` make the
    whole archive refused. The sizes checked are those the archive declares; :mod:`zipfile`
    never writes more than a member's declared size (it stops there, and the CRC check fails).
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            for info in members:
                _check_member(info, archive)
            _check_sizes(members, archive)
            destination.mkdir(parents=True, exist_ok=False)
            for info in members:
                target = destination.joinpath(*PurePosixPath(info.filename).parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, target.open("xb") as out:
                    shutil.copyfileobj(source, out)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise ReleaseError(f"{archive.name} is not a valid zip archive: {exc}") from None
    except FileExistsError as exc:
        raise ReleaseError(f"{archive.name} holds the same file twice: {exc.filename}") from None


def _unpack(fname: str, action: str, pooch: Any) -> str:
    """pooch processor: unpack the verified archive beside it, into ``unpacked/``."""
    destination = Path(fname).parent / "unpacked"
    extract_safely(Path(fname), destination)
    return str(destination)


def _check_member(info: zipfile.ZipInfo, archive: Path) -> None:
    name = info.filename
    mode = info.external_attr >> 16
    problem = None
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        problem = "is an absolute path"
    elif "\\" in name:
        problem = "contains a backslash"
    elif ".." in PurePosixPath(name).parts:
        problem = "climbs out of the folder with '..'"
    elif stat.S_ISLNK(mode):
        problem = "is a symbolic link"
    if problem is not None:
        raise ReleaseError(
            f"{archive.name} was refused: its member {name!r} {problem}, which could write "
            "outside the cache folder; nothing was unpacked"
        )


def _check_sizes(members: list[zipfile.ZipInfo], archive: Path) -> None:
    """Refuse a zip bomb: too many members, too many bytes in all, or one that expands too much."""
    total = sum(info.file_size for info in members)
    problem = None
    if len(members) > MAX_MEMBERS:
        problem = f"it has {len(members)} members, more than the limit of {MAX_MEMBERS}"
    elif total > MAX_UNPACKED_BYTES:
        problem = (
            f"its members declare {total} bytes in all, more than the limit of {MAX_UNPACKED_BYTES}"
        )
    else:
        for info in members:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size >= RATIO_MIN_BYTES and ratio > MAX_RATIO:
                problem = (
                    f"its member {info.filename!r} expands {ratio:.0f} times "
                    f"({info.compress_size} to {info.file_size} bytes), more than the limit of "
                    f"{MAX_RATIO}"
                )
                break
    if problem is not None:
        raise ReleaseError(
            f"{archive.name} was refused: {problem}, as a zip bomb would; a cnplans release is "
            "far smaller, so nothing was unpacked"
        )


def _archive_name(url: str, version: str) -> str:
    return PurePosixPath(urlparse(url).path).name or f"cnplans-{version}.zip"


def _retrieve(url: str, name: str, digest: str, origin: str, work: Path) -> Path:
    """Download ``url`` into ``work`` with pooch, check its sha256, unpack it; return that folder.

    pooch downloads into a temporary file and keeps it only if the sha256 matches; only then does
    the processor unpack it.
    """
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(
        progressbar=sys.stderr.isatty(), timeout=DOWNLOAD_TIMEOUT_SECONDS
    )
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)  # pooch would print the temporary path it downloads to
    try:
        unpacked = pooch.retrieve(
            url,
            known_hash=f"sha256:{digest}",
            fname=name,
            path=work,
            downloader=downloader,
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


def _http_get(url: str, *, what: str) -> bytes:
    """The body at ``url`` (a small text such as SHA256SUMS), in memory."""
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=False, timeout=DOWNLOAD_TIMEOUT_SECONDS)
    output = io.BytesIO()
    try:
        downloader(url, output, None)
    except requests.exceptions.RequestException as exc:
        raise ReleaseError(_network_message(url, what, exc)) from None
    return output.getvalue()


def _network_message(url: str, what: str, exc: Any) -> str:
    import requests
    import urllib3

    if isinstance(exc, requests.exceptions.Timeout) or any(
        isinstance(arg, urllib3.exceptions.TimeoutError) for arg in exc.args
    ):
        return (
            f"cannot download {what} from {url}: the server sent nothing for "
            f"{DOWNLOAD_TIMEOUT_SECONDS:g} seconds, so the download was abandoned and nothing "
            f"was cached. Try again later, or point {RELEASES_URL_ENV} at a mirror"
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


def _check_release(root: Path, version: str, url: str) -> None:
    try:
        descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReleaseError(f"the datapackage.json of {url} is not valid JSON: {exc}") from None
    found = descriptor.get("version") if isinstance(descriptor, dict) else None
    if found != version:
        raise ReleaseError(
            f"the archive from {url} holds version {found!r}, not {version!r}; refusing to cache "
            "it under the wrong version"
        )
    for resource in descriptor.get("resources", []):
        relative = resource.get("path") if isinstance(resource, dict) else None
        if isinstance(relative, str) and not (root / relative).is_file():
            raise ReleaseError(
                f"the archive from {url} lacks {relative}, which its datapackage.json lists; "
                "it is incomplete, so it was not cached"
            )


def _descriptor_pattern() -> str:
    from cnplans.paths import bundled_descriptor

    path = bundled_descriptor()
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    pattern = descriptor.get("cnplans", {}).get("release_url")
    if not isinstance(pattern, str):
        raise ReleaseError(
            f"{path} has no 'cnplans.release_url' pattern; set {RELEASES_URL_ENV} to the URL of "
            "release archives, with {version} where the version goes"
        )
    return pattern
