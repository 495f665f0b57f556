"""A GitHub release for tag ``vX.Y.Z`` with every artifact attached (REST API v3).

Resumable: the release is found by tag (drafts included) before one is created; an asset with
the same size (and sha256, when GitHub reports one) is kept, any other is replaced. The release
is a draft until every asset is attached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnplans.datapackage.hashes import file_sha256

from .http import Client, PublishError, upload_all
from .state import Progress, State

API_URL = "https://api.github.com"
UPLOADS_URL = "https://uploads.github.com"
HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
PAGE_SIZE = 100
MAX_PAGES = 20


@dataclass(frozen=True)
class GitHubTarget:
    repo: str  # owner/name
    api_url: str = API_URL
    uploads_url: str = UPLOADS_URL

    def api(self, path: str) -> str:
        return f"{self.api_url.rstrip('/')}/repos/{self.repo}{path}"


def plan(artifacts: list[Path]) -> list[str]:
    return ["create the release", *[f"upload {p.name}" for p in artifacts], "publish the release"]


def publish(
    client: Client,
    target: GitHubTarget,
    version: str,
    artifacts: list[Path],
    notes: str,
    state: State,
    progress: Progress,
) -> str:
    """Create or resume the release and return its web address."""
    tag = f"v{version}"
    saved = state.section("github")
    found = client.send(
        "GET", target.api(f"/git/ref/tags/{tag}"), ok=(200, 404), dry={"ref": f"refs/tags/{tag}"}
    )
    if found.status == 404:
        raise PublishError(
            f"the tag {tag} is not in {target.repo} on GitHub; push it first "
            f"(git push origin {tag}), otherwise GitHub would tag whatever its default branch holds"
        )
    release = _find_release(client, target, tag)
    if release is None:
        releases = f"{target.uploads_url.rstrip('/')}/repos/{target.repo}/releases"
        uploads = f"{releases}/{{release_id}}/assets{{?name,label}}"
        dry = {"id": "{release_id}", "draft": True, "html_url": "{html_url}", "upload_url": uploads}
        new = dict(
            tag_name=tag, name=f"cnplans {version}", body=notes, draft=True, prerelease=False
        )
        release = client.send("POST", target.api("/releases"), json=new, ok=(201,), dry=dry).data
        progress.done.append("create the release")
    else:
        progress.skipped.append("create the release")
    saved.update(release_id=release["id"], html_url=release.get("html_url"), tag=tag)
    state.save()

    upload_url = re.sub(r"\{\?[^}]*\}$", "", str(release["upload_url"]))  # drop "{?name,label}"

    def upload(path: Path, asset: dict[str, Any] | None) -> None:
        if asset is not None:
            client.say(f"replacing {path.name}: the attached copy is incomplete or different")
            client.send("DELETE", target.api(f"/releases/assets/{asset['id']}"), ok=(204, 404))
        client.send(
            "POST", upload_url, params={"name": path.name}, upload=path, ok=(201,),
            dry={"id": "{asset_id}", "name": path.name},
        )  # fmt: skip

    assets = target.api(f"/releases/{release['id']}/assets")
    reply = client.send("GET", assets, params={"per_page": PAGE_SIZE}, dry=[])
    existing = {str(a.get("name")): a for a in (reply.data or [])}
    upload_all(artifacts, existing, _same, upload, saved.setdefault("assets", {}), state, progress)

    if release.get("draft", False):
        url = target.api(f"/releases/{release['id']}")
        dry = {**release, "draft": False}
        release = client.send("PATCH", url, json={"draft": False}, dry=dry).data
        progress.done.append("publish the release")
    else:
        progress.skipped.append("publish the release")
    saved.update(published=True, html_url=release.get("html_url"))
    state.save()
    return str(release.get("html_url", ""))


def _find_release(client: Client, target: GitHubTarget, tag: str) -> dict[str, Any] | None:
    """The release (draft or not) whose tag is ``tag``; drafts are only found by listing."""
    for page in range(1, MAX_PAGES + 1):
        reply = client.send(
            "GET", target.api("/releases"), params={"per_page": PAGE_SIZE, "page": page}, dry=[]
        )
        releases = reply.data or []
        if not isinstance(releases, list):
            raise PublishError(f"GitHub answered the release list with {type(releases).__name__}")
        for release in releases:
            if release.get("tag_name") == tag:
                return dict(release)
        if len(releases) < PAGE_SIZE:
            return None
    return None


def _same(asset: dict[str, Any], path: Path) -> bool:
    """An attached asset is complete and the same file (size, and sha256 when reported)."""
    if asset.get("state", "uploaded") != "uploaded" or asset.get("size") != path.stat().st_size:
        return False
    digest = asset.get("digest")
    if isinstance(digest, str) and digest.startswith("sha256:"):
        return digest == "sha256:" + file_sha256(path)
    return True
