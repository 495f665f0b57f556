"""HTTP for the publishers: one place that sends requests, prints them, and hides the token.

``--dry-run`` goes through the same code: each request is printed (method, URL, a payload
summary) and answered with a placeholder. Every message passes through ``redact``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cnplans.datapackage.hashes import file_sha256

from ..errors import ReleaseStepError
from .state import Progress, State

TIMEOUT_SECONDS = 120
MAX_ERROR_CHARS = 400


class PublishError(ReleaseStepError):
    """A request failed; the message is already redacted."""


@dataclass
class Reply:
    status: int
    data: Any


def summarize(payload: Any) -> str:
    """A one-line summary of a JSON payload: keys with short values, long values as sizes."""
    if not isinstance(payload, dict):
        return f"json {type(payload).__name__}"

    def short(value: Any) -> str:
        if isinstance(value, str) and len(value) > 40:
            return f"<{len(value)} chars>"
        if isinstance(value, dict):
            return "{" + (", ".join(value) if len(value) <= 8 else f"{len(value)} keys") + "}"
        return f"[{len(value)} items]" if isinstance(value, list) else repr(value)

    return "json " + (", ".join(f"{k}={short(v)}" for k, v in payload.items()) or "{}")


@dataclass
class Client:
    """Sends (or, in a dry run, prints) requests with ``Authorization: Bearer <token>``."""

    token: str | None
    dry_run: bool
    printer: Callable[[str], None]
    headers: dict[str, str] = field(default_factory=dict)
    session: Any = None

    def redact(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text

    def say(self, text: str) -> None:
        self.printer(self.redact(text))

    def send(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        upload: Path | None = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        dry: Any = None,
    ) -> Reply:
        """Send one request and return its status and JSON body (None when there is none).

        A status outside ``ok`` raises :class:`PublishError`. In a dry run nothing is sent and
        the reply is ``Reply(200, dry)``.
        """
        shown = url + ("?" + urlencode(params) if params else "")
        data = None
        what = summarize(json) if json is not None else ""
        if upload is not None:
            data = upload.read_bytes()
            what = f"file {upload.name} ({len(data)} bytes, sha256 {file_sha256(upload)[:16]}…)"
        if self.dry_run:
            self.say(f"[dry run] {method} {shown}" + (f"  {what}" if what else ""))
            return Reply(200, dry)
        import requests

        self.session = self.session or requests.Session()
        headers = dict(self.headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if upload is not None:
            headers["Content-Type"] = "application/octet-stream"
        try:
            response = self.session.request(
                method, url, params=params, json=json, data=data, headers=headers,
                timeout=TIMEOUT_SECONDS,
            )  # fmt: skip
        except requests.RequestException as exc:
            raise PublishError(self.redact(f"{method} {shown} failed: {exc}")) from None
        self.say(f"{method} {shown} → {response.status_code}" + (f"  ({what})" if what else ""))
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if response.status_code not in ok:
            text = response.text[:MAX_ERROR_CHARS]
            raise PublishError(
                self.redact(f"{method} {shown} answered {response.status_code}: {text}")
            )
        return Reply(response.status_code, body)


def upload_all(
    artifacts: list[Path],
    present: Mapping[str, dict[str, Any]],
    same: Callable[[dict[str, Any], Path], bool],
    upload: Callable[[Path, dict[str, Any] | None], object],
    record: dict[str, Any],
    state: State,
    progress: Progress,
) -> None:
    """Upload every artifact the service lacks or holds differently (``present``: name -> file).

    ``upload(path, remote)`` sends one, ``remote`` being the differing copy or None; each upload
    is recorded in the state file at once, so a rerun resumes after it.
    """
    for path in artifacts:
        step = f"upload {path.name}"
        remote = present.get(path.name)
        if remote is not None and same(remote, path):
            progress.skipped.append(step)
            continue
        upload(path, remote)
        record[path.name] = {"size": path.stat().st_size}
        state.save()
        progress.done.append(step)
