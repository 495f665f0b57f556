"""The rate services the updater reads, and the checks on what they send back.

Each :class:`RateSource` knows its URL, the label its figures get in the table (``series``,
``provider``) and how to turn a response body into ``{year: value text}``, keeping each value as
the text the service wrote. Parsing refuses anything that is not what the service documents: an
HTML page (a login wall, an error page), another header, a year that does not parse, a value
that is not a positive number, a body that stops mid-line or holds fewer rows than announced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


class ResponseRejected(ValueError):
    """What a service sent back is not usable; the table must stay as it was."""


@dataclass(frozen=True)
class Fetched:
    """A response body and what the transport knows about it."""

    url: str
    body: bytes
    content_type: str  # lower-cased, without parameters ("" when absent)
    framed: bool  # the body's length was declared (Content-Length or chunked) and met


@dataclass(frozen=True)
class RateSource:
    """One rate service: where to fetch, how to label, how to parse."""

    title: str  # for messages
    provider: str  # the table's ``provider`` value
    series: str  # the table's ``series`` value
    currency: str  # ISO 4217 code of the currency the series prices, per US dollar
    base_url: str  # scheme and host; ``--url`` / CNPLANS_FX_URL replace it
    path: str  # path and query, with the first and last years as {since} and {until}
    parse: Callable[[Fetched], dict[int, str]]
    note: str  # the table's ``note`` for fetched rows
    first_year: int = 1960  # {since} when the table has no year yet

    def url(self, base_url: str | None, since: int | None, until: int) -> str:
        """The URL to fetch: ``base_url`` (or the service's own) followed by the path."""
        path = self.path.format(since=self.first_year if since is None else since, until=until)
        return (base_url or self.base_url).rstrip("/") + path


_POSITIVE = re.compile(r"^(?=.*[1-9])[0-9]+(\.[0-9]+)?$")  # digits, not all zeros


def _text(fetched: Fetched, expected: str) -> tuple[str, str]:
    """(host, body text) of a response that is UTF-8 text and not an HTML page."""
    host = urlsplit(fetched.url).netloc or fetched.url
    if "html" in fetched.content_type or fetched.body[:512].lstrip().startswith(b"<"):
        raise ResponseRejected(
            f"{host} sent an HTML page instead of {expected} (an error or login page?)"
        )
    try:
        return host, fetched.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ResponseRejected(f"{host} sent {expected} that is not UTF-8 text") from None


def _add(values: dict[int, str], year: int, value: str | None, where: str) -> None:
    """Record ``value`` for ``year`` (None: the service has no value that year)."""
    if year in values:
        raise ResponseRejected(f"{where}: a second value for {year}")
    if value is not None and not _POSITIVE.match(value):
        raise ResponseRejected(f"{where}: expected a positive number, found {value!r}")
    if value is not None:
        values[year] = value


# FRED graph CSV: "observation_date,AEXCHUS" then "2020-01-01,6.9042"; "." marks a missing value.
FRED_SERIES_ID = "AEXCHUS"


def parse_fred_csv(fetched: Fetched) -> dict[int, str]:
    """Year -> value text from FRED's graph CSV of an annual series (missing values left out)."""
    host, text = _text(fetched, "CSV")
    if not text.strip():
        raise ResponseRejected(f"{host} sent an empty body instead of CSV")
    if not text.endswith("\n") and not fetched.framed:
        raise ResponseRejected(
            f"the CSV from {host} ends in the middle of a line and its length was not "
            "declared: the body looks truncated"
        )
    lines = text.splitlines()
    expected_header = f"observation_date,{FRED_SERIES_ID}"
    if lines[0].strip() != expected_header:
        raise ResponseRejected(
            f"the CSV from {host} starts with {lines[0][:80]!r}, expected the header "
            f"{expected_header!r}"
        )
    values: dict[int, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        where = f"line {number} of the CSV from {host}"
        cells = line.strip().split(",")
        if len(cells) != 2:
            raise ResponseRejected(f"{where}: expected 2 cells, found {len(cells)}: {line[:80]!r}")
        date, value = cells
        if not re.fullmatch(r"[0-9]{4}-01-01", date):
            raise ResponseRejected(
                f"{where}: expected the date of an annual observation (YYYY-01-01), found {date!r}"
            )
        _add(values, int(date[:4]), None if value == "." else value, where)
    if not values:
        raise ResponseRejected(f"the CSV from {host} has a header but no values")
    return values


# World Bank API: [{"page": 1, "pages": 1, ..., "total": 16}, [{"date": "2020", "value": 6.9}, ...]]
WORLD_BANK_INDICATOR = "PA.NUS.FCRF"
WORLD_BANK_COUNTRY = "CHN"


def parse_world_bank_json(fetched: Fetched) -> dict[int, str]:
    """Year -> value text from the World Bank API's JSON for one country and indicator."""
    host, text = _text(fetched, "JSON")
    try:  # numbers stay the text the service wrote, so the table stores exactly that
        document = json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as error:
        raise ResponseRejected(
            f"the JSON from {host} does not parse ({error.msg}, character {error.pos}): "
            "the body is truncated or not JSON"
        ) from None
    first = document[0] if isinstance(document, list) and document else None
    if isinstance(first, dict) and len(document) == 1 and "message" in first:
        raise ResponseRejected(f"{host} answered with an error message: {first['message']}")
    if not (isinstance(first, dict) and len(document) == 2):
        raise ResponseRejected(
            f"the JSON from {host} is not the documented two-element array [meta, observations]"
        )
    meta, rows = document
    if str(meta.get("pages", "1")) != "1":
        raise ResponseRejected(
            f"the World Bank answer has {meta.get('pages')} pages; the updater asks for one page "
            "and reads only that"
        )
    if not isinstance(rows, list) or not rows:
        raise ResponseRejected(f"the JSON from {host} has no observations")
    total = meta.get("total")
    if total is not None and str(total) != str(len(rows)):
        raise ResponseRejected(
            f"the JSON from {host} announces {total} observations but holds {len(rows)}: "
            "the body looks truncated"
        )
    values: dict[int, str] = {}
    for index, row in enumerate(rows, start=1):
        where = f"observation {index} of the JSON from {host}"
        if not isinstance(row, dict):
            raise ResponseRejected(f"{where}: expected an object, found {type(row).__name__}")
        indicator = row.get("indicator")
        found = (
            indicator.get("id") if isinstance(indicator, dict) else None,
            row.get("countryiso3code"),
        )
        if found != (WORLD_BANK_INDICATOR, WORLD_BANK_COUNTRY):
            raise ResponseRejected(
                f"{where}: expected indicator {WORLD_BANK_INDICATOR} for {WORLD_BANK_COUNTRY}, "
                f"found {found[0]!r} for {found[1]!r}"
            )
        date = row.get("date")
        if not (isinstance(date, str) and re.fullmatch(r"[0-9]{4}", date)):
            raise ResponseRejected(f"{where}: expected a year as date, found {date!r}")
        value = row.get("value")
        _add(values, int(date), None if value is None else str(value), where)
    if not values:
        raise ResponseRejected(f"the JSON from {host} has observations but no values")
    return values


SOURCES: dict[str, RateSource] = {  # by --source choice
    "fred": RateSource(
        title="FRED",
        provider="federal_reserve",
        series=f"FRED {FRED_SERIES_ID}",
        currency="CNY",
        base_url="https://fred.stlouisfed.org",
        path=f"/graph/fredgraph.csv?id={FRED_SERIES_ID}",
        parse=parse_fred_csv,
        note="annual average of daily noon buying rates in New York (Federal Reserve H.10/G.5A)",
    ),
    "worldbank": RateSource(
        title="the World Bank",
        provider="world_bank",
        series=f"World Bank {WORLD_BANK_INDICATOR}",
        currency="CNY",
        base_url="https://api.worldbank.org",
        path=f"/v2/country/{WORLD_BANK_COUNTRY}/indicator/{WORLD_BANK_INDICATOR}"
        "?format=json&date={since}:{until}&per_page=100",
        parse=parse_world_bank_json,
        note="official exchange rate, local currency units per US dollar, period average "
        "(World Bank, from IMF International Financial Statistics); a different series from "
        "the Federal Reserve's",
    ),
}
