"""HTTP for the rate updater: one GET with timeouts, bounded retries and an honest User-Agent.

urllib3's ``Retry`` retries connection errors, read timeouts and the answers 429, 500, 502, 503
and 504 with exponential backoff (honouring ``Retry-After``), and refuses a body shorter than its
``Content-Length``. What is left here is to turn every failure into one sentence.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from requests import exceptions
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util import Retry

from cnplans import __version__

from .sources import Fetched

RETRY_STATUSES = (429, 500, 502, 503, 504)
USER_AGENT = f"cnplans/{__version__} (exchange-rate updater) python-requests/{requests.__version__}"


class FetchError(RuntimeError):
    """The rate service could not be reached or answered with an error."""


def fetch(
    url: str, connect_timeout: float, read_timeout: float, retries: int, backoff: float
) -> Fetched:
    """GET ``url`` and return its body; :class:`FetchError` with one sentence on any failure.

    The timeouts (seconds) are per attempt; the n-th retry waits about ``backoff * 2**(n-1)``.
    """
    host = urlsplit(url).netloc or url
    tries = f"{retries + 1} attempt{'s' if retries else ''}"
    retry = Retry(
        total=retries,
        other=0,
        backoff_factor=backoff,
        status_forcelist=RETRY_STATUSES,
        raise_on_status=False,  # hand back the last answer, so that its status is reported
    )
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=retry))
        session.mount("https://", HTTPAdapter(max_retries=retry))
        session.headers["User-Agent"] = USER_AGENT
        try:
            response = session.get(url, timeout=(connect_timeout, read_timeout))
        except exceptions.ConnectTimeout:
            message = f"could not connect to {host} within {connect_timeout:g} s ({tries})"
            raise FetchError(message) from None
        except (exceptions.ChunkedEncodingError, exceptions.ContentDecodingError):
            message = f"the response from {host} was cut off before its end (truncated body)"
            raise FetchError(message) from None
        except exceptions.RequestException as error:
            # the urllib3 error inside: a MaxRetryError's last reason
            first = error.args[0] if error.args else None
            inner = first if isinstance(first, BaseException) else error
            cause = getattr(inner, "reason", None) or inner
            if isinstance(error, exceptions.ReadTimeout) or isinstance(cause, ReadTimeoutError):
                message = f"{host} did not answer within {read_timeout:g} s ({tries})"
            elif isinstance(error, exceptions.ConnectionError):
                message = f"could not reach {host} ({cause.__cause__ or cause}; {tries})"
            else:
                message = f"fetching {url} failed: {error}"
            raise FetchError(message) from None
    if response.status_code >= 400:
        retried = response.status_code in RETRY_STATUSES and retries > 0
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
