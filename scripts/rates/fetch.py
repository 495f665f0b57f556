"""HTTP for the rate updater: one GET with timeouts, bounded retries and an honest User-Agent.

urllib3's ``Retry`` on the ``requests`` session retries connection errors, read timeouts and the
answers 429, 500, 502, 503 and 504 with exponential backoff (honouring ``Retry-After``), and
urllib3 refuses a body shorter than its ``Content-Length``. The timeouts are ``requests``' own:
for connecting, and for each wait on the server, per attempt. What is left here is to turn
every failure into a :class:`FetchError` whose message is one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util import Retry

from .sources import Fetched

RETRY_STATUSES = (429, 500, 502, 503, 504)


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


def fetch(url: str, settings: FetchSettings | None = None) -> Fetched:
    """GET ``url`` and return its body; :class:`FetchError` with one sentence on any failure."""
    settings = settings or FetchSettings()
    host = urlsplit(url).netloc or url
    attempts = settings.retries + 1
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    retry = Retry(
        total=settings.retries,
        other=0,
        backoff_factor=settings.backoff,
        status_forcelist=RETRY_STATUSES,
        raise_on_status=False,  # hand back the last answer, so that its status is reported
    )
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=retry))
        session.mount("https://", HTTPAdapter(max_retries=retry))
        session.headers["User-Agent"] = user_agent()
        try:
            response = session.get(url, timeout=(settings.connect_timeout, settings.read_timeout))
        except requests.exceptions.ConnectTimeout:
            raise FetchError(
                f"could not connect to {host} within {settings.connect_timeout:g} s ({tries})"
            ) from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            raise FetchError(
                f"the response from {host} was cut off before its end (truncated body)"
            ) from None
        except requests.exceptions.RequestException as error:
            raise FetchError(_sentence(error, url, host, settings, tries)) from None
    if response.status_code >= 400:
        retried = response.status_code in RETRY_STATUSES and attempts > 1
        raise FetchError(
            f"{host} answered HTTP {response.status_code} {response.reason or ''}".rstrip()
            + f" for {url}"
            + (f" ({tries})" if retried else "")
        )
    headers = response.headers
    return Fetched(
        url=response.url,
        body=response.content,
        content_type=headers.get("Content-Type", "").split(";")[0].strip().lower(),
        framed="Content-Length" in headers
        or "chunked" in headers.get("Transfer-Encoding", "").lower(),
    )


def _sentence(
    error: requests.exceptions.RequestException,
    url: str,
    host: str,
    settings: FetchSettings,
    tries: str,
) -> str:
    """What went wrong, from the urllib3 error inside ``error`` (a MaxRetryError's last reason)."""
    inner = error.args[0] if error.args and isinstance(error.args[0], BaseException) else error
    cause = getattr(inner, "reason", None) or inner
    if isinstance(error, requests.exceptions.ReadTimeout) or isinstance(cause, ReadTimeoutError):
        return f"{host} did not answer within {settings.read_timeout:g} s ({tries})"
    if isinstance(error, requests.exceptions.ConnectionError):
        return f"could not reach {host} ({cause.__cause__ or cause}; {tries})"
    return f"fetching {url} failed: {error}"
