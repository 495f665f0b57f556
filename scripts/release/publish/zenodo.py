"""A Zenodo deposition of the artifacts, published to get a DOI (Zenodo REST deposit API).

Resumable: the deposition is found by the saved id (else by title and version), files with the
same size and MD5 are kept, and a published deposition is not published again.
``--zenodo-new-version-of ID`` makes it a new version of an earlier one (one concept DOI).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pooch

from .http import Client, PublishError, upload_all
from .state import Progress, State

ZENODO_URL = "https://zenodo.org"
PAGE_SIZE = 100


@dataclass(frozen=True)
class ZenodoTarget:
    url: str = ZENODO_URL
    new_version_of: str | None = None

    def api(self, path: str) -> str:
        return f"{self.url.rstrip('/')}/api/deposit/depositions{path}"


def plan(artifacts: list[Path]) -> list[str]:
    return [
        "create the deposition",
        *[f"upload {p.name}" for p in artifacts],
        "set the metadata",
        "publish the deposition",
    ]


def deposition_metadata(
    descriptor: dict[str, Any],
    citation: dict[str, Any],
    base: dict[str, Any],
    *,
    related_urls: list[str],
) -> dict[str, Any]:
    """Deposition metadata from .zenodo.json (``base``), datapackage.json and CITATION.cff."""
    metadata = dict(base)
    licenses = descriptor.get("licenses") or [{}]
    metadata.update(
        title=descriptor.get("title", metadata.get("title")),
        description=descriptor.get("description", metadata.get("description")),
        version=descriptor.get("version"),
        license=str(licenses[0].get("name", metadata.get("license", ""))).lower(),
        upload_type=metadata.get("upload_type", "dataset"),
        access_right=metadata.get("access_right", "open"),
        creators=[_creator(a) for a in citation.get("authors", [])] or metadata.get("creators"),
    )
    if descriptor.get("keywords"):
        metadata["keywords"] = list(descriptor["keywords"])
    if citation.get("date-released"):
        metadata["publication_date"] = str(citation["date-released"])
    related = list(metadata.get("related_identifiers", []))
    known = {r.get("identifier") for r in related}
    for url in related_urls:
        if url and url not in known:
            related.append({"identifier": url, "relation": "isSupplementTo", "scheme": "url"})
    if related:
        metadata["related_identifiers"] = related
    return metadata


def _creator(author: dict[str, Any]) -> dict[str, str]:
    """A CFF author as a Zenodo creator ("Family, Given" for persons, the name for entities)."""
    if author.get("name"):
        creator = {"name": str(author["name"])}
    else:
        given, family = author.get("given-names", ""), author.get("family-names", "")
        creator = {"name": f"{family}, {given}".strip(", ")}
    if author.get("affiliation"):
        creator["affiliation"] = str(author["affiliation"])
    if author.get("orcid"):
        creator["orcid"] = str(author["orcid"]).rsplit("/", 1)[-1]
    return creator


def publish(
    client: Client,
    target: ZenodoTarget,
    artifacts: list[Path],
    metadata: dict[str, Any],
    state: State,
    progress: Progress,
) -> dict[str, str]:
    """Create or resume the deposition, publish it, and return its ``doi`` (and ``conceptdoi``)."""
    saved = state.section("zenodo")
    deposition = _existing(client, target, saved, metadata)
    if deposition is not None and deposition.get("submitted"):
        progress.skipped += progress.planned
        return _identifiers(deposition, saved, state)
    if deposition is None:
        deposition = _create(client, target)
        progress.done.append("create the deposition")
    else:
        progress.skipped.append("create the deposition")
    saved.update(deposition_id=deposition["id"])
    state.save()

    bucket = str(deposition.get("links", {}).get("bucket", ""))
    if not bucket:
        raise PublishError(f"Zenodo deposition {deposition['id']} has no bucket link for uploads")
    listing = client.send("GET", bucket, dry={"contents": []}).data or {}
    present = {str(o.get("key")): o for o in listing.get("contents", [])}
    names = {p.name for p in artifacts}
    for key in sorted(set(present) - names):  # e.g. files a new version copied from the last
        client.send("DELETE", f"{bucket}/{key}", ok=(204, 404))

    def upload(path: Path, _: object) -> None:
        client.send("PUT", f"{bucket}/{path.name}", upload=path, ok=(200, 201), dry={})

    upload_all(artifacts, present, _same, upload, saved.setdefault("files", {}), state, progress)
    client.send(
        "PUT", target.api(f"/{deposition['id']}"), json={"metadata": metadata}, dry=deposition
    )
    progress.done.append("set the metadata")
    url = target.api(f"/{deposition['id']}/actions/publish")
    dry = {"id": deposition["id"], "doi": "{doi}", "conceptdoi": "{conceptdoi}", "submitted": True}
    reply = client.send("POST", url, ok=(200, 202), dry=dry)
    progress.done.append("publish the deposition")
    return _identifiers(reply.data or {}, saved, state)


def _existing(
    client: Client, target: ZenodoTarget, saved: dict[str, Any], metadata: dict[str, Any]
) -> dict[str, Any] | None:
    """The deposition an earlier run created: by the saved id, else by title and version."""
    known = saved.get("deposition_id")
    if known is not None:
        reply = client.send("GET", target.api(f"/{known}"), ok=(200, 404, 410), dry=None)
        if reply.status == 200 and isinstance(reply.data, dict):
            return reply.data
    reply = client.send("GET", target.api(""), params={"size": PAGE_SIZE}, dry=[])
    wanted = (metadata.get("title"), metadata.get("version"))
    for deposition in reply.data or []:
        found = deposition.get("metadata", {})
        if (found.get("title"), found.get("version")) == wanted:
            return dict(deposition)
    return None


def _create(client: Client, target: ZenodoTarget) -> dict[str, Any]:
    placeholder_bucket = f"{target.url.rstrip('/')}/api/files/{{bucket_id}}"
    dry = {"id": "{deposition_id}", "links": {"bucket": placeholder_bucket}, "submitted": False}
    if target.new_version_of is None:
        return dict(client.send("POST", target.api(""), json={}, ok=(201,), dry=dry).data)
    reply = client.send(
        "POST",
        target.api(f"/{target.new_version_of}/actions/newversion"),
        ok=(201,),
        dry={"links": {"latest_draft": target.api("/{deposition_id}")}},
    )
    draft_url = (reply.data or {}).get("links", {}).get("latest_draft")
    if not draft_url:
        raise PublishError(
            f"Zenodo made no new version of deposition {target.new_version_of} (no latest_draft)"
        )
    return dict(client.send("GET", str(draft_url), dry=dry).data)


def _identifiers(deposition: dict[str, Any], saved: dict[str, Any], state: State) -> dict[str, str]:
    doi = str(deposition.get("doi") or deposition.get("metadata", {}).get("doi") or "")
    if not doi:
        raise PublishError(f"Zenodo published deposition {deposition.get('id')} but sent no DOI")
    found = {"doi": doi}
    if deposition.get("conceptdoi"):
        found["conceptdoi"] = str(deposition["conceptdoi"])
    saved.update(published=True, **found)
    state.save()
    return found


def _same(existing: dict[str, Any], path: Path) -> bool:
    """A bucket object is the same file: same size and MD5 (Zenodo reports ``md5:<hex>``)."""
    if existing.get("size") != path.stat().st_size:
        return False
    return str(existing.get("checksum", "")) == f"md5:{pooch.file_hash(str(path), alg='md5')}"
