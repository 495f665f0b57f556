"""``python -m scripts.rates update`` against a local HTTP server: good answers, every failure.

The server (``http.server`` in a thread on 127.0.0.1, port 0) plays FRED's graph CSV and the
World Bank API. Every refused or failed update must leave ``exchange_rates.csv`` byte for byte as
it was. Nothing here touches the internet.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cnplans.__main__ import main as cnplans
from cnplans.conversion.fx import read_rates_file
from scripts.rates.cli import main
from scripts.rates.update import render

REPO = Path(__file__).resolve().parents[2]

AUTO = -1  # Content-Length: the body's real length


@dataclass
class Answer:
    """What the server sends for one request."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/csv"
    content_length: int | None = AUTO  # None: no header (HTTP/1.0 body ends at close)
    wait: bool = False  # hold the answer until the test ends (a server that never answers)


@dataclass
class RateServer:
    """A scripted HTTP server: answers in order (the last one repeats), requests recorded."""

    answers: list[Answer] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, User-Agent)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def serve(self, *answers: Answer) -> None:
        self.answers = list(answers)


def _handler(state: RateServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index = len(state.requests)
            state.requests.append((self.path, self.headers.get("User-Agent", "")))
            answer = state.answers[min(index, len(state.answers) - 1)]
            if answer.wait:
                state.release.wait(timeout=10)
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                if answer.content_length is not None:
                    length = len(answer.body) if answer.content_length == AUTO else None
                    self.send_header("Content-Length", str(length or answer.content_length))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer.body)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[RateServer]:
    state = RateServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def rates_file(package: Path) -> Path:
    return package / "resources" / "exchange_rates.csv"


def table_values(path: Path) -> dict[int, str]:
    with path.open(encoding="utf-8") as file:
        return {
            int(r["year"]): r["units_per_usd"]
            for r in csv.DictReader(file)
            if r["provider"] == "federal_reserve" and r["currency"] == "CNY"
        }


def table_rows(path: Path) -> dict[tuple[str, int, str], dict[str, str]]:
    with path.open(encoding="utf-8") as file:
        return {(r["currency"], int(r["year"]), r["provider"]): r for r in csv.DictReader(file)}


def fred_csv(values: dict[int, str], *, end: str = "\n") -> bytes:
    lines = ["observation_date,AEXCHUS"] + [f"{y}-01-01,{v}" for y, v in sorted(values.items())]
    return ("\n".join(lines) + end).encode("utf-8")


def world_bank_json(values: dict[int, float | None]) -> bytes:
    rows = [
        {
            "indicator": {"id": "PA.NUS.FCRF", "value": "Official exchange rate"},
            "country": {"id": "CN", "value": "China"},
            "countryiso3code": "CHN",
            "date": str(year),
            "value": value,
            "unit": "",
            "obs_status": "",
            "decimal": 0,
        }
        for year, value in sorted(values.items(), reverse=True)
    ]
    meta = {"page": 1, "pages": 1, "per_page": 100, "total": len(rows)}
    return json.dumps([meta, rows]).encode("utf-8")


def update(
    package: Path, server: RateServer, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    argv = ["update", str(package / "datapackage.json"), "--backoff", "0", *extra]
    if not any(a == "--url" for a in extra):
        argv += ["--url", server.url]
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(
    package: Path,
    server: RateServer,
    capsys: pytest.CaptureFixture[str],
    rates_file: Path,
    code: int,
    words: str,
    *extra: str,
) -> str:
    before = rates_file.read_bytes()
    got, out, err = update(package, server, capsys, *extra)
    assert got == code, out + err
    assert words in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "exchange_rates.csv is unchanged" in err
    assert rates_file.read_bytes() == before
    return err


# ----------------------------------------------------------------------------------------------
# Good answers
# ----------------------------------------------------------------------------------------------


def test_good_fred_csv_updates_the_table_and_prints_changes(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = table_values(rates_file)
    fetched = dict(old)
    fetched[2008] = "6.9477"  # before the table's first year: not taken without --since
    fetched[2024] = "7.2000"  # a revision
    fetched[2026] = "7.1000"  # a new year
    server.serve(Answer(fred_csv(fetched)))
    day_before = datetime.now(UTC).date().isoformat()
    code, out, err = update(package, server, capsys)
    day_after = datetime.now(UTC).date().isoformat()
    assert code == 0, err

    assert server.requests[0][0] == "/graph/fredgraph.csv?id=AEXCHUS"
    assert server.requests[0][1].startswith("cnplans/")
    assert "added CNY 2026: 7.1000" in out
    assert "revised CNY 2024: 7.1957 -> 7.2000" in out
    assert "2008" not in out
    assert "source of CNY 2012, 2013" in out and "Federal Reserve G.5A <" in out  # relabelled

    rows = table_rows(rates_file)
    assert table_values(rates_file) == {**old, 2024: "7.2000", 2026: "7.1000"}
    assert table_values(rates_file)[2011] == old[2011]  # same number keeps its text (6.4630)
    fetched_rows = [r for (c, y, p), r in rows.items() if p == "federal_reserve" and y >= 2010]
    assert {r["retrieved"] for r in fetched_rows} <= {day_before, day_after}
    assert len({r["retrieved"] for r in fetched_rows}) == 1
    assert {r["series"] for r in fetched_rows} == {"FRED AEXCHUS"}
    assert {r["source_url"] for r in fetched_rows} == {
        f"{server.url}/graph/fredgraph.csv?id=AEXCHUS"
    }
    keys = list(rows)
    assert keys == sorted(keys)  # still sorted by the primary key

    # The targets converted at 2024's rate are now stale, and convert fixes them.
    descriptor = str(package / "datapackage.json")
    assert cnplans(["convert", "--check", descriptor]) == 1
    assert cnplans(["convert", descriptor]) == 0
    assert cnplans(["convert", "--check", descriptor]) == 0


def test_dry_run_prints_changes_and_writes_nothing(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fetched = {**table_values(rates_file), 2026: "7.1000"}
    server.serve(Answer(fred_csv(fetched)))
    before = rates_file.read_bytes()
    code, out, _ = update(package, server, capsys, "--dry-run")
    assert code == 0
    assert "added CNY 2026: 7.1000" in out and "dry run" in out
    assert rates_file.read_bytes() == before


def test_retries_server_errors_then_succeeds(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = Answer(fred_csv({**table_values(rates_file), 2026: "7.1000"}))
    server.serve(Answer(b"busy", status=503), Answer(b"oops", status=500), good)
    code, _, err = update(package, server, capsys, "--retries", "2")
    assert code == 0, err
    assert len(server.requests) == 3
    assert table_values(rates_file)[2026] == "7.1000"


def test_url_comes_from_the_environment(
    package: Path,
    server: RateServer,
    rates_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CNPLANS_FX_URL", server.url)
    server.serve(Answer(fred_csv(table_values(rates_file))))
    capsys.readouterr()
    code = main(["update", str(package / "datapackage.json"), "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    assert len(server.requests) == 1
    assert "no value added or revised" in out


def test_world_bank_rows_are_a_separate_provider(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fed_before = {k: v for k, v in table_rows(rates_file).items() if k[2] == "federal_reserve"}
    values: dict[int, float | None] = {
        year: round(float(v) * 1.001, 6) for year, v in table_values(rates_file).items()
    }
    server.serve(Answer(world_bank_json(values), content_type="application/json"))
    code, out, err = update(package, server, capsys, "--source", "worldbank")
    assert code == 0, err
    path = server.requests[0][0]
    assert path.startswith("/v2/country/CHN/indicator/PA.NUS.FCRF?format=json&date=2010:")
    rows = table_rows(rates_file)
    assert {k: v for k, v in rows.items() if k[2] == "federal_reserve"} == fed_before
    world_bank = {k[1]: v for k, v in rows.items() if k[2] == "world_bank"}
    assert sorted(world_bank) == sorted(values)
    assert {r["series"] for r in world_bank.values()} == {"World Bank PA.NUS.FCRF"}
    assert world_bank[2020]["units_per_usd"] == str(values[2020])
    assert "added CNY 2020" in out
    # The conversion basis is still the Federal Reserve's: targets are not stale.
    assert cnplans(["convert", "--check", str(package / "datapackage.json")]) == 0


# ----------------------------------------------------------------------------------------------
# Failures: the table stays byte for byte as it was
# ----------------------------------------------------------------------------------------------


def test_slow_server_times_out(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.serve(Answer(fred_csv(table_values(rates_file)), wait=True))
    assert_refused(
        package,
        server,
        capsys,
        rates_file,
        2,
        "did not answer within 0.2 s",
        "--read-timeout",
        "0.2",
        "--retries",
        "1",
    )
    assert len(server.requests) == 2  # the timeout was retried once


def test_server_errors_are_retried_then_reported(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.serve(Answer(b"internal error", status=500, content_type="text/plain"))
    err = assert_refused(
        package, server, capsys, rates_file, 2, "answered HTTP 500", "--retries", "2"
    )
    assert "3 attempts" in err
    assert len(server.requests) == 3


def test_not_found_is_not_retried(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.serve(Answer(b"no such series", status=404, content_type="text/plain"))
    err = assert_refused(package, server, capsys, rates_file, 2, "HTTP 404", "--retries", "3")
    assert "attempts" not in err
    assert len(server.requests) == 1


@pytest.mark.parametrize("content_type", ["text/html", "text/csv"])
def test_html_instead_of_csv_is_refused(
    package: Path,
    server: RateServer,
    rates_file: Path,
    capsys: pytest.CaptureFixture[str],
    content_type: str,
) -> None:
    page = b"<!DOCTYPE html>\n<html><body>Please sign in</body></html>\n"
    server.serve(Answer(page, content_type=content_type))
    assert_refused(package, server, capsys, rates_file, 1, "HTML page instead of CSV")


def test_body_cut_short_of_its_content_length_is_refused(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = fred_csv(table_values(rates_file))
    server.serve(Answer(body[: len(body) // 2], content_length=len(body)))
    assert_refused(package, server, capsys, rates_file, 2, "cut off", "--retries", "0")


def test_body_ending_mid_line_without_a_length_is_refused(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = fred_csv(table_values(rates_file), end="")[:-2]  # "2025-01-01,7.18"
    server.serve(Answer(body, content_length=None))
    assert_refused(package, server, capsys, rates_file, 1, "truncated")


def test_body_missing_the_last_years_is_refused(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = {y: v for y, v in table_values(rates_file).items() if y <= 2019}
    server.serve(Answer(fred_csv(values)))
    assert_refused(package, server, capsys, rates_file, 1, "ends at 2019")


@pytest.mark.parametrize(
    ("year", "value", "words"),
    [
        (2020, "69.042", "implausible jump"),
        (2020, "2.1", "implausible jump"),
        (2027, "70.1", "implausible jump"),  # a new year far from the table's last
        (2020, "0", "positive number"),
        (2020, "-6.9", "positive number"),
        (2020, "n/a", "positive number"),
    ],
)
def test_absurd_values_are_refused(
    package: Path,
    server: RateServer,
    rates_file: Path,
    capsys: pytest.CaptureFixture[str],
    year: int,
    value: str,
    words: str,
) -> None:
    values = {**table_values(rates_file), 2026: "7.1", year: value}
    server.serve(Answer(fred_csv(values)))
    assert_refused(package, server, capsys, rates_file, 1, words)


@pytest.mark.parametrize("hole", ["drop", "dot"])
def test_gap_the_table_does_not_have_is_refused(
    package: Path,
    server: RateServer,
    rates_file: Path,
    capsys: pytest.CaptureFixture[str],
    hole: str,
) -> None:
    values = table_values(rates_file)
    if hole == "drop":
        del values[2015]
    else:
        values[2015] = "."  # FRED's missing value
    server.serve(Answer(fred_csv(values)))
    assert_refused(package, server, capsys, rates_file, 1, "no CNY value for 2015")


def test_new_year_after_a_gap_is_refused(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = {**table_values(rates_file), 2027: "7.1"}  # no 2026
    server.serve(Answer(fred_csv(values)))
    assert_refused(package, server, capsys, rates_file, 1, "skips CNY 2026")


def test_wrong_header_is_refused(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = fred_csv(table_values(rates_file)).replace(b"observation_date,AEXCHUS", b"DATE,DEXCHUS")
    server.serve(Answer(body))
    assert_refused(package, server, capsys, rates_file, 1, "expected the header")


def test_unreachable_service_is_reported(
    package: Path, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as probe:
        closed_port = probe.server_address[1]  # closed again when the block ends
    before = rates_file.read_bytes()
    capsys.readouterr()
    code = main(
        [
            "update",
            str(package / "datapackage.json"),
            "--url",
            f"http://127.0.0.1:{closed_port}",
            "--retries",
            "1",
            "--backoff",
            "0",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "could not reach 127.0.0.1" in err and "Traceback" not in err
    assert rates_file.read_bytes() == before


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'[{"page":1,"pages":1,"total":16}, [{"indicator":{"id":"PA.NU', "does not parse"),
        (b'[{"message":[{"id":"120","key":"Invalid value"}]}]', "error message"),
    ],
)
def test_broken_world_bank_answers_are_refused(
    package: Path,
    server: RateServer,
    rates_file: Path,
    capsys: pytest.CaptureFixture[str],
    body: bytes,
    words: str,
) -> None:
    server.serve(Answer(body, content_type="application/json"))
    assert_refused(package, server, capsys, rates_file, 1, words, "--source", "worldbank")


def test_world_bank_null_inside_the_range_is_a_gap(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values: dict[int, float | None] = {y: float(v) for y, v in table_values(rates_file).items()}
    values[2015] = None
    server.serve(Answer(world_bank_json(values), content_type="application/json"))
    assert_refused(
        package, server, capsys, rates_file, 1, "skips CNY 2015", "--source", "worldbank"
    )


def test_world_bank_count_mismatch_is_truncation(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values: dict[int, float | None] = {y: float(v) for y, v in table_values(rates_file).items()}
    document = json.loads(world_bank_json(values))
    document[1] = document[1][:5]
    body = json.dumps(document).encode("utf-8")
    server.serve(Answer(body, content_type="application/json"))
    assert_refused(package, server, capsys, rates_file, 1, "truncated", "--source", "worldbank")


def test_table_renders_back_to_its_own_bytes(package: Path, rates_file: Path) -> None:
    """The updater's writer reproduces the bundled file exactly (no churn on rewrite)."""
    from cnplans.datapackage import read_descriptor, read_schema, resource

    table = read_rates_file(rates_file)
    schema = read_schema(package, resource(read_descriptor(package), "exchange_rates"))
    rendered = render(table.header, table.rows, schema)
    assert rendered == rates_file.read_text(encoding="utf-8")
    text = rates_file.read_text(encoding="utf-8")
    assert next(csv.reader(io.StringIO(text)))[:3] == ["currency", "year", "provider"]


def test_a_revision_changes_only_its_own_line(
    package: Path, server: RateServer, rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows the response repeats unchanged keep their bytes; only the revised row's line moves.

    Every FRED row gets ``retrieved`` and the FRED label, so the comparison is on a World Bank
    update of a table whose World Bank rows are already labelled as the updater labels them.
    """
    values: dict[int, float | None] = {y: float(v) for y, v in table_values(rates_file).items()}
    server.serve(Answer(world_bank_json(values), content_type="application/json"))
    assert update(package, server, capsys, "--source", "worldbank")[0] == 0
    before = rates_file.read_text(encoding="utf-8").splitlines()
    values[2020] = 7.0
    server.serve(Answer(world_bank_json(values), content_type="application/json"))
    code, out, err = update(package, server, capsys, "--source", "worldbank")
    assert code == 0, err
    assert "revised CNY 2020" in out
    after = rates_file.read_text(encoding="utf-8").splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert len(changed) == 1
    assert changed[0][0].startswith('"CNY",2020,"world_bank",') and ",7.0," in changed[0][1]
    assert cnplans(["validate", str(package / "datapackage.json")]) == 0


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda text: text.replace(",note\n", "\n", 1), "the header lacks the column(s) note"),
        (lambda text: text + text.splitlines(keepends=True)[1], "a second row for currency CNY"),
        (lambda text: text.replace(",6.7696,", ",0,", 1), "line 2: column units_per_usd"),
    ],
)
def test_a_table_that_cannot_be_read_is_refused_before_fetching(
    package: Path,
    server: RateServer,
    rates_file: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[str], str],
    words: str,
) -> None:
    rates_file.write_text(edit(rates_file.read_text(encoding="utf-8")), encoding="utf-8")
    before = rates_file.read_bytes()
    code, _, err = update(package, server, capsys)
    assert code == 1 and words in err and len(err.strip().splitlines()) == 1, err
    assert server.requests == []
    assert rates_file.read_bytes() == before


def test_runs_as_a_module_from_the_repository() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.rates", "update", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "usage: python -m scripts.rates update" in done.stdout
    assert "--dry-run" in done.stdout and "--since YEAR" in done.stdout
