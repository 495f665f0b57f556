"""A GitHub release for tag ``vX.Y.Z`` with every artifact attached (REST API v3).

Resumable: the release is looked up by tag (drafts included) before one is created, and an
asset already attached with the same size (and sha256, where GitHub reports a digest) is not
uploaded again; a partial or different asset is deleted and uploaded anew. The release is
created as a draft and published only once every asset is attached, so nobody downloads a
release that is missing files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnplans.datapackage.hashes import file_sha256

from .http import Client, PublishError
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
        placeholder = "{release_id}"
        reply = client.send(
            "POST",
            target.api("/releases"),
            json={
                "tag_name": tag,
                "name": f"cnplans {version}",
                "body": notes,
                "draft": True,
                "prerelease": False,
            },
            ok=(201,),
            dry={
                "id": placeholder,
                "draft": True,
                "html_url": "{html_url}",
                "upload_url": (
                    f"{target.uploads_url.rstrip('/')}/repos/{target.repo}/releases/"
                    f"{placeholder}/assets{{?name,label}}"
                ),
            },
        )
        release = reply.data
        progress.did("create the release")
    else:
        progress.had("create the release")
    saved.update(release_id=release["id"], html_url=release.get("html_url"), tag=tag)
    state.save()

    existing = _assets(client, target, release["id"])
    upload_url = re.sub(r"\{\?[^}]*\}$", "", str(release["upload_url"]))  # drop "{?name,label}"
    uploaded = saved.setdefault("assets", {})
    for path in artifacts:
        step = f"upload {path.name}"
        asset = existing.get(path.name)
        if asset is not None and _same(asset, path):
            progress.had(step)
            continue
        if asset is not None:
            client.say(f"replacing {path.name}: the attached copy is incomplete or different")
            client.send("DELETE", target.api(f"/releases/assets/{asset['id']}"), ok=(204, 404))
        client.send(
            "POST", upload_url, params={"name": path.name}, upload=path, ok=(201,),
            dry={"id": "{asset_id}", "name": path.name},
        )  # fmt: skip
        uploaded[path.name] = {"size": path.stat().st_size}
        state.save()
        progress.did(step)

    if release.get("draft", False):
        reply = client.send(
            "PATCH",
            target.api(f"/releases/{release['id']}"),
            json={"draft": False},
            dry={**release, "draft": False},
        )
        release = reply.data
        progress.did("publish the release")
    else:
        progress.had("publish the release")
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


def _assets(client: Client, target: GitHubTarget, release_id: Any) -> dict[str, dict[str, Any]]:
    reply = client.send(
        "GET", target.api(f"/releases/{release_id}/assets"), params={"per_page": PAGE_SIZE}, dry=[]
    )
    return {str(a.get("name")): a for a in (reply.data or [])}


def _same(asset: dict[str, Any], path: Path) -> bool:
    """An attached asset is complete and the same file (size, and sha256 when reported)."""
    if asset.get("state", "uploaded") != "uploaded" or asset.get("size") != path.stat().st_size:
        return False
    digest = asset.get("digest")
    if isinstance(digest, str) and digest.startswith("sha256:"):
        return digest == "sha256:" + file_sha256(path)
    return True
