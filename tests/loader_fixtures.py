"""Small synthetic data packages built from the real schemas, and a local HTTP server.

Shared by test_loader*.py, test_releases*.py and test_cli_data*.py. The rows are placeholders
for exercising the loader (ids like ``plan-sx``), not facts.
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import io
import json
import shutil
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Hand-written rows; fields not given are filled from the schema by ``_fill``.
ROWS: dict[str, list[dict[str, str]]] = {
    "sources": [{"source_id": "src-a", "title": "Source A", "language": "en"}],
    "regions": [
        {"region_id": "140000", "level": "province", "iso_3166_2": "CN-SX", "parent_id": ""},
        {"region_id": "140100", "level": "prefecture_city", "parent_id": "140000"},
        {"region_id": "140122", "level": "county", "parent_id": "140100"},
        {"region_id": "310000", "level": "municipality", "iso_3166_2": "CN-SH", "parent_id": ""},
    ],
    "plans": [
        {"plan_id": "plan-sx", "region_id": "140000", "period_start": "2021", "period_end": ""},
        {"plan_id": "plan-ty", "region_id": "140100", "period_start": "", "period_end": "2025"},
        {"plan_id": "plan-sh", "region_id": "310000", "title": "NA"},
    ],
    "targets": [
        {"target_id": "t-sx", "plan_id": "plan-sx", "value": "1.5", "target_year": "2025"},
        {"target_id": "t-ty", "plan_id": "plan-ty", "value": "230000000000", "value_max": ""},
        {"target_id": "t-sh", "plan_id": "plan-sh", "value": "20", "target_year": ""},
    ],
    "clusters": [{"cluster_id": "c-sx", "plan_id": "plan-sx"}],
    "cluster_regions": [
        {"cluster_id": "c-sx", "region_id": "140122"},
        {"cluster_id": "c-sx", "region_id": "140100"},
    ],
    "projects": [{"project_id": "p-sh", "plan_id": "plan-sh", "project_count": "12"}],
    "measures": [
        {"measure_id": "m-sh-1", "plan_id": "plan-sh", "ordinal": "1"},
        {"measure_id": "m-sx", "plan_id": "plan-sx", "ordinal": ""},
    ],
    "exchange_rates": [
        {"currency": "CNY", "year": "2024", "units_per_usd": "7.5", "retrieved": "2025-01-31"},
        {"currency": "CNY", "year": "2023", "source_url": "https://example.org/a/b"},
    ],
}

_PLACEHOLDER = {
    "integer": "1",
    "year": "2024",
    "number": "2.5",
    "boolean": "true",
    "date": "2024-01-31",
}


def schema_fields(table: str) -> list[dict[str, object]]:
    """The real schema's field descriptors of ``table``."""
    fields = json.loads((REPO / "schemas" / f"{table}.json").read_text(encoding="utf-8"))["fields"]
    return list(fields)


def _fill(table: str, row: dict[str, str], index: int) -> dict[str, str]:
    filled = {}
    for f in schema_fields(table):
        name = str(f["name"])
        constraints = f.get("constraints", {})
        assert isinstance(constraints, dict)
        if name in row:
            filled[name] = row[name]
        elif name == "source_id":
            filled[name] = "src-a"
        elif "enum" in constraints:
            filled[name] = str(constraints["enum"][0]) if constraints.get("required") else ""
        elif constraints.get("required"):
            filled[name] = _PLACEHOLDER.get(str(f.get("type")), f"{name} {index}")
        else:
            filled[name] = ""
    return filled


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def make_package(
    root: Path,
    rows: dict[str, list[dict[str, str]]] | None = None,
    *,
    version: str | None = None,
) -> Path:
    """Write a data package in ``root``: the real descriptor and schemas, synthetic rows.

    ``rows`` replaces the default rows of the tables it names (missing fields are filled).
    """
    root.mkdir(parents=True, exist_ok=True)
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    if version is not None:
        descriptor["version"] = version
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    shutil.copytree(REPO / "schemas", root / "schemas", dirs_exist_ok=True)
    tables = {**ROWS, **(rows or {})}
    for resource in descriptor["resources"]:
        name = resource["name"]
        header = [str(f["name"]) for f in schema_fields(name)]
        filled = [_fill(name, row, i) for i, row in enumerate(tables.get(name, []))]
        write_csv(root / resource["path"], header, filled)
    return root


def zip_package(
    root: Path, *, folder: str | None = None, extra: dict[str, bytes] | None = None
) -> bytes:
    """A release archive of the package in ``root`` (members at the top or under ``folder``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                relative = path.relative_to(root).as_posix()
                zf.write(path, f"{folder}/{relative}" if folder else relative)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Route:
    body: bytes
    truncate_at: int | None = None  # announce the full length, send only this many bytes


@dataclass
class Server:
    """Routes served by a local HTTP server, and the paths it was asked for."""

    base_url: str
    routes: dict[str, Route]
    requests: list[str] = field(default_factory=list)


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[Server]:
    """Serve ``routes`` (URL path -> Route) on 127.0.0.1 in a thread until the block ends."""
    state: Server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if route.truncate_at is None:
                self.wfile.write(route.body)
            else:
                self.wfile.write(route.body[: route.truncate_at])
                self.wfile.flush()
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Server(f"http://127.0.0.1:{httpd.server_address[1]}", routes)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def files_under(folder: Path) -> list[str]:
    """Every file and folder below ``folder`` (relative), to check a cache is clean."""
    if not folder.exists():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
