"""HTTP for the publishers: one place that sends requests, prints them, and hides the token.

``--dry-run`` goes through the same code: every request is printed (method, URL, a summary of
the payload) and answered with a placeholder instead of being sent. Nothing printed or raised
here ever contains the token: it travels only in the Authorization header and every message
passes through :class:`Redactor`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cnplans.datapackage.hashes import file_sha256

from ..errors import ReleaseError

TIMEOUT_SECONDS = 120
MAX_ERROR_CHARS = 400


class PublishError(ReleaseError):
    """A request failed; the message is already redacted."""


class Redactor:
    """Replaces every secret in a text with ``***``."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


@dataclass
class Reply:
    status: int
    data: Any


def summarize(payload: Any) -> str:
    """A one-line summary of a JSON payload: keys with short values, long values as sizes."""
    if not isinstance(payload, dict):
        return f"json {type(payload).__name__}"
    if not payload:
        return "json {}"
    parts = []
    for key, value in payload.items():
        if isinstance(value, str):
            parts.append(f"{key}={value!r}" if len(value) <= 40 else f"{key}=<{len(value)} chars>")
        elif isinstance(value, dict):
            parts.append(
                f"{key}={{{', '.join(value)}}}"
                if len(value) <= 8
                else f"{key}={{{len(value)} keys}}"
            )
        elif isinstance(value, list):
            parts.append(f"{key}=[{len(value)} items]")
        else:
            parts.append(f"{key}={value!r}")
    return "json " + ", ".join(parts)


class Client:
    """Sends (or, in a dry run, prints) requests with ``Authorization: <scheme> <token>``."""

    def __init__(
        self,
        *,
        token: str | None,
        dry_run: bool,
        say: Callable[[str], None],
        headers: dict[str, str] | None = None,
        scheme: str = "Bearer",
    ) -> None:
        self.dry_run = dry_run
        self.redact = Redactor([token])
        self._say = say
        self._headers = dict(headers or {})
        if token:
            self._headers["Authorization"] = f"{scheme} {token}"
        self._session: Any = None

    def say(self, text: str) -> None:
        self._say(self.redact(text))

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
        dry_status: int = 200,
    ) -> Reply:
        """Send one request and return its status and JSON body (None when there is none).

        A status outside ``ok`` raises :class:`PublishError`. In a dry run nothing is sent and
        the reply is ``Reply(dry_status, dry)``.
        """
        shown = url + ("?" + urlencode(params) if params else "")
        if upload is not None:
            data = upload.read_bytes()
            what = f"file {upload.name} ({len(data)} bytes, sha256 {file_sha256(upload)[:16]}…)"
        else:
            data = None
            what = summarize(json) if json is not None else ""
        if self.dry_run:
            self.say(f"[dry run] {method} {shown}" + (f"  {what}" if what else ""))
            return Reply(dry_status, dry)
        import requests

        if self._session is None:
            self._session = requests.Session()
        headers = dict(self._headers)
        if upload is not None:
            headers["Content-Type"] = "application/octet-stream"
        try:
            response = self._session.request(
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
