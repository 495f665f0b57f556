"""Published releases: download once, verify against a sha256, unpack safely into the cache.

``cnplans.load(name, version="X.Y.Z")`` calls :func:`fetch`, which returns the folder of that
release's data package. The first call downloads the release archive with pooch and checks it
against its sha256 before anything is unpacked; later calls read the cache without any network.

Where the sha256 comes from, strongest first:

1. ``releases.json`` shipped inside this package: the hashes of published releases, recorded by
   the release process. An archive that does not match is refused.
2. For a version not in that registry, the ``SHA256SUMS`` file published beside the archive.
   This is weaker: it guards against a truncated or corrupted download, but whoever can replace
   the archive on the server can replace ``SHA256SUMS`` too.

Where the archive comes from: the URL pattern in ``datapackage.json`` (``cnplans.release_url``,
with ``{version}``), or the environment variable ``CNPLANS_RELEASES_URL`` (same pattern syntax).
Where the cache is: ``CNPLANS_CACHE_DIR``, else the user cache folder (platformdirs).

The cache only ever holds complete releases: the archive is downloaded and unpacked in a
temporary folder inside the cache folder and renamed into place in one step; members that would
land outside that folder (absolute paths, ``..``, symlinks) make the whole archive refused.

Nothing here imports pooch or requests at module level.

>>> from cnplans import releases
>>> releases.release_url("1.2.3", pattern="https://example.org/v{version}/cnplans-{version}.zip")
'https://example.org/v1.2.3/cnplans-1.2.3.zip'
>>> releases.parse_sha256sums("{0}  cnplans-1.2.3.zip\\n".format("ab" * 32))["cnplans-1.2.3.zip"]
'abababababababababababababababababababababababababababababababab'
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
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlparse

RELEASES_URL_ENV = "CNPLANS_RELEASES_URL"
CACHE_DIR_ENV = "CNPLANS_CACHE_DIR"
SUMS_NAME = "SHA256SUMS"
DOWNLOAD_TIMEOUT_SECONDS = 60

# X.Y.Z with an optional pre-release/post-release/local suffix; never a path separator or "..".
_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(?:[-+.]?[0-9A-Za-z]+)*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

log = logging.getLogger(__name__)


class ReleaseError(RuntimeError):
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
    """Folder that holds downloaded releases (``$CNPLANS_CACHE_DIR`` or the user cache)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("cnplans", appauthor=False))


def registry() -> dict[str, str]:
    """Recorded sha256 of each published release archive, from the shipped ``releases.json``."""
    text = resources.files("cnplans").joinpath("releases.json").read_text(encoding="utf-8")
    entries = json.loads(text)
    if not isinstance(entries, dict):
        raise ReleaseError("cnplans/releases.json must be a JSON object {version: sha256}")
    for version, digest in entries.items():
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise ReleaseError(
                f"cnplans/releases.json: the hash of {version!r} is {digest!r}; expected 64 "
                "lowercase hexadecimal digits"
            )
    return dict(entries)


def parse_sha256sums(text: str) -> dict[str, str]:
    """Map file name -> sha256 from ``sha256sum`` output ("<hex>  <name>" or "<hex> *<name>")."""
    sums = {}
    for line in text.splitlines():
        match = re.match(r"^([0-9a-fA-F]{64}) [ *](.+)$", line.strip())
        if match:
            sums[PurePosixPath(match.group(2).strip()).name] = match.group(1).lower()
    return sums


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
        archive = _download(url, _archive_name(url, version), digest, origin, work)
        unpacked = work / "unpacked"
        extract_safely(archive, unpacked)
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
    recorded = registry().get(version)
    if recorded is not None:
        return recorded, "cnplans/releases.json"
    sums_url = urljoin(url, SUMS_NAME)
    name = _archive_name(url, version)
    buffer = io.BytesIO()
    _http_get(sums_url, buffer, what=f"the checksums of release {version}")
    try:
        text = buffer.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        raise ReleaseError(f"{sums_url} is not a UTF-8 text file of sha256 sums") from None
    digest = parse_sha256sums(text).get(name)
    if digest is None:
        raise ReleaseError(
            f"{sums_url} lists no sha256 for {name}; the release cannot be verified, so it was "
            "not downloaded"
        )
    log.info("release %s is not in releases.json; verifying it against %s", version, sums_url)
    return digest, f"{sums_url} (not in the package's own registry)"


def extract_safely(archive: Path, destination: Path) -> None:
    """Unpack a zip archive into ``destination``, refusing any member that would escape it.

    Every member is checked before anything is written: absolute names, drive letters,
    backslashes, ``..`` components and symlinks make the whole archive refused.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            for info in members:
                _check_member(info, archive)
            destination.mkdir(parents=True, exist_ok=False)
            for info in members:
                target = destination.joinpath(*PurePosixPath(info.filename).parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, target.open("xb") as out:
                    shutil.copyfileobj(source, out)
    except zipfile.BadZipFile as exc:
        raise ReleaseError(f"{archive.name} is not a valid zip archive: {exc}") from None
    except FileExistsError as exc:
        raise ReleaseError(f"{archive.name} holds the same file twice: {exc.filename}") from None


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


def _archive_name(url: str, version: str) -> str:
    return PurePosixPath(urlparse(url).path).name or f"cnplans-{version}.zip"


def _download(url: str, name: str, digest: str, origin: str, work: Path) -> Path:
    """Download ``url`` to ``work/name`` with pooch, which deletes it unless the sha256 matches."""
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(
        progressbar=sys.stderr.isatty(), timeout=DOWNLOAD_TIMEOUT_SECONDS
    )
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)  # pooch would print the temporary path it downloads to
    try:
        fetched = pooch.retrieve(
            url, known_hash=f"sha256:{digest}", fname=name, path=work, downloader=downloader
        )
    except ValueError as exc:  # pooch: the hash does not match
        raise ReleaseError(
            f"the archive downloaded from {url} does not match the sha256 from {origin}; it may "
            f"be truncated, corrupted or tampered with, so it was refused and nothing was "
            f"cached ({exc})"
        ) from None
    except requests.exceptions.RequestException as exc:
        raise ReleaseError(_network_message(url, "the release archive", exc)) from None
    finally:
        logger.setLevel(level)
    return Path(fetched)


def _http_get(url: str, output: io.BytesIO, *, what: str) -> None:
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=False, timeout=DOWNLOAD_TIMEOUT_SECONDS)
    try:
        downloader(url, output, None)
    except requests.exceptions.RequestException as exc:
        raise ReleaseError(_network_message(url, what, exc)) from None


def _network_message(url: str, what: str, exc: Any) -> str:
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
