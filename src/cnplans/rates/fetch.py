"""HTTP for the rate updater: one GET with timeouts, bounded retries and an honest User-Agent.

Retries (urllib3 ``Retry`` on a ``requests`` Session) cover connection errors, read timeouts and
the answers 429, 500, 502, 503 and 504, with exponential backoff; other failures are final. Every
failure becomes a :class:`FetchError` whose message is one sentence. The body is read in full
(up to :data:`MAX_BODY_BYTES`) and its length checked against ``Content-Length``, so a
connection that drops early is reported as a truncated response, not parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cnplans.rates.sources import Fetched

RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_BODY_BYTES = 5 * 1024 * 1024  # an annual series is a few kilobytes


class FetchError(RuntimeError):
    """The rate service could not be reached or answered with an error."""


@dataclass(frozen=True)
class FetchSettings:
    """How patient to be: timeouts in seconds, retries after the first attempt, backoff factor."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5  # seconds; waits grow as backoff * 2 ** (retry - 1)


def user_agent() -> str:
    """``cnplans/<version> (exchange-rate updater) python-requests/<version>``."""
    from cnplans import __version__

    return f"cnplans/{__version__} (exchange-rate updater) python-requests/{requests.__version__}"


def _session(settings: FetchSettings) -> requests.Session:
    retry = Retry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        other=0,
        backoff_factor=settings.backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,  # hand back the last answer, so its status can be reported
        respect_retry_after_header=True,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent()
    return session


def fetch(url: str, settings: FetchSettings | None = None) -> Fetched:
    """GET ``url`` and return its body; :class:`FetchError` with one sentence on any failure."""
    settings = settings or FetchSettings()
    host = urlsplit(url).netloc or url
    attempts = settings.retries + 1
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    session = _session(settings)
    try:
        with session.get(
            url,
            timeout=(settings.connect_timeout, settings.read_timeout),
            stream=True,
            allow_redirects=True,
        ) as response:
            if response.status_code >= 400:
                retried = response.status_code in RETRY_STATUSES and attempts > 1
                raise FetchError(
                    f"{host} answered HTTP {response.status_code} {response.reason or ''}".rstrip()
                    + f" for {url}"
                    + (f" ({tries})" if retried else "")
                )
            body = bytearray()
            for chunk in response.iter_content(chunk_size=65536):
                body.extend(chunk)
                if len(body) > MAX_BODY_BYTES:
                    raise FetchError(
                        f"{host} sent more than {MAX_BODY_BYTES // (1024 * 1024)} MB for {url}; "
                        "an annual rate series is far smaller"
                    )
            headers = response.headers
            content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
            declared = headers.get("Content-Length")
            encoded = headers.get("Content-Encoding", "identity").lower() != "identity"
            if (
                declared is not None
                and not encoded
                and declared.isdigit()
                and int(declared) != len(body)
            ):
                raise FetchError(
                    f"the response from {host} was cut off: Content-Length says "
                    f"{declared} bytes, {len(body)} arrived"
                )
            chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
            return Fetched(
                url=response.url,
                body=bytes(body),
                content_type=content_type,
                framed=declared is not None or chunked,
            )
    except FetchError:
        raise
    except requests.exceptions.ConnectTimeout:
        raise FetchError(
            f"could not connect to {host} within {settings.connect_timeout:g} s ({tries})"
        ) from None
    except requests.exceptions.ReadTimeout:
        raise FetchError(
            f"{host} did not answer within {settings.read_timeout:g} s ({tries})"
        ) from None
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
        raise FetchError(
            f"the response from {host} was cut off before its end (truncated body)"
        ) from None
    except requests.exceptions.ConnectionError as error:
        reason = _reason(error)
        if "timed out" in reason.lower() or "timeout" in reason.lower():
            raise FetchError(
                f"{host} did not answer within {settings.read_timeout:g} s ({tries})"
            ) from None
        if "incomplete" in reason.lower() or "IncompleteRead" in reason:
            raise FetchError(
                f"the response from {host} was cut off before its end (truncated body)"
            ) from None
        raise FetchError(f"could not reach {host} ({reason}; {tries})") from None
    except requests.exceptions.RequestException as error:
        raise FetchError(f"fetching {url} failed: {_reason(error)}") from None
    finally:
        session.close()


def _reason(error: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error, as short text."""
    inner: BaseException = error
    seen = 0
    while seen < 5:
        seen += 1
        nxt = inner.args[0] if inner.args and isinstance(inner.args[0], BaseException) else None
        nxt = nxt or getattr(inner, "reason", None)
        if not isinstance(nxt, BaseException):
            break
        inner = nxt
    text = str(inner)
    if text.startswith("HTTP") and "): " in text:  # "HTTPConnection(host=..., port=...): why"
        text = text.split("): ", 1)[1]
    return text if len(text) <= 160 else text[:157] + "..."
