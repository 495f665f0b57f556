"""Helpers for the release tests: packages in temporary git repositories, and a local server.

Nothing here touches the real repository's git state or its dist/: packages are copied (or
written from scratch) into ``tmp_path`` and committed there. The fake GitHub/Zenodo server
listens on 127.0.0.1 in a thread and records every request it gets.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from scripts.release.snapshot import Snapshot, read

REPO = Path(__file__).resolve().parents[1]
# What a release needs from the real repository (tracked files of the package and the loader).
REAL_PARTS = (
    "datapackage.json",
    "schemas",
    "resources",
    "sources",
    "src",
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "CITATION.cff",
    ".zenodo.json",
    ".gitignore",
    ".gitattributes",
)
EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z, a fixed SOURCE_DATE_EPOCH for the tests


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def init_repo(root: Path) -> Path:
    """Make ``root`` a git repository with everything in it committed."""
    git(root, "init", "--quiet")
    git(root, "config", "user.name", "Release Test")
    git(root, "config", "user.email", "release-test@example.org")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "config", "tag.gpgsign", "false")
    commit_all(root, "initial data")
    return root


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "--allow-empty", "-m", message)


def copy_real_package(destination: Path) -> Path:
    """A git repository holding a copy of the real package, the loader and the release metadata."""
    destination.mkdir(parents=True)
    for part in REAL_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(
                source, destination / part, ignore=shutil.ignore_patterns("__pycache__")
            )
        elif source.is_file():
            shutil.copy2(source, destination / part)
    return init_repo(destination)


# ------------------------------------------------------------------------------------------
# CSV editing
# ------------------------------------------------------------------------------------------


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")


def set_cell(path: Path, row: int, column: str, value: str) -> str:
    """Set data row ``row`` (0-based) of ``column``; return the old value."""
    rows = read_rows(path)
    index = rows[0].index(column)
    old = rows[row + 1][index]
    rows[row + 1][index] = value
    schema = path.parent.parent / "schemas" / f"{path.stem}.json"
    if schema.is_file():  # keep the package's CSV form (text cells quoted), as `cnplans fmt` does
        from cnplans.datapackage.csv_form import table_text
        from cnplans.datapackage.table_schema import TableSchema

        text = table_text(rows[0], rows[1:], TableSchema.from_path(schema))
        path.write_text(text, encoding="utf-8", newline="")
    else:
        write_rows(path, rows)
    return old


def drop_field(root: Path, table: str, name: str) -> None:
    """Remove a field from a table's schema and its CSV column."""
    schema_path = root / "schemas" / f"{table}.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["fields"] = [f for f in schema["fields"] if f["name"] != name]
    schema_path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    rows = read_rows(root / "resources" / f"{table}.csv")
    index = rows[0].index(name)
    write_rows(root / "resources" / f"{table}.csv", [r[:index] + r[index + 1 :] for r in rows])


# ------------------------------------------------------------------------------------------
# In-memory packages for the classifier and changelog tests
# ------------------------------------------------------------------------------------------

BASE_SCHEMAS: dict[str, dict[str, Any]] = {
    "regions": {
        "fields": [
            {"name": "region_id", "type": "string", "constraints": {"required": True}},
            {"name": "name", "type": "string"},
            {"name": "level", "type": "string", "constraints": {"enum": ["province", "city"]}},
        ],
        "primaryKey": ["region_id"],
    },
    "targets": {
        "fields": [
            {"name": "target_id", "type": "string"},
            {"name": "region_id", "type": "string"},
            {"name": "value", "type": "number", "constraints": {"minimum": 0}},
            {"name": "unit", "type": "string"},
        ],
        "primaryKey": ["target_id"],
        "foreignKeys": [
            {"fields": ["region_id"], "reference": {"resource": "regions", "fields": ["region_id"]}}
        ],
    },
}
BASE_ROWS = {
    "regions": "region_id,name,level\n140000,Shanxi,province\n310000,Shanghai,province\n"
    "140100,Taiyuan,city\n",
    "targets": "target_id,region_id,value,unit\nt1,140000,100,CNY\nt2,310000,5,percent\n",
}


def package(
    schemas: dict[str, dict[str, Any]] | None = None,
    rows: dict[str, str] | None = None,
    **descriptor_extra: Any,
) -> Snapshot:
    """A snapshot built in memory from schemas and CSV texts."""
    schemas = copy.deepcopy(BASE_SCHEMAS) if schemas is None else schemas
    rows = dict(BASE_ROWS) if rows is None else rows
    descriptor = {
        "name": "p",
        "version": "1.0.0",
        "resources": [
            {"name": n, "path": f"resources/{n}.csv", "schema": f"schemas/{n}.json"}
            for n in schemas
        ],
        **descriptor_extra,
    }
    files = {"datapackage.json": json.dumps(descriptor).encode()}
    for name, schema in schemas.items():
        files[f"schemas/{name}.json"] = json.dumps(schema).encode()
        files[f"resources/{name}.csv"] = rows[name].encode()
    return read(files.get, "test")


# ------------------------------------------------------------------------------------------
# A small synthetic package with every cell type the artifacts must keep
# ------------------------------------------------------------------------------------------

PLACES_SCHEMA = {
    "fields": [
        {
            "name": "place_id",
            "type": "string",
            "title": "Place",
            "constraints": {"required": True, "unique": True, "pattern": "^[a-z]+$"},
        },
        {
            "name": "name_zh",
            "type": "string",
            "title": "Chinese name",
            "constraints": {"required": True},
        },
        {
            "name": "kind",
            "type": "string",
            "constraints": {"required": True, "enum": ["city", "province"]},
        },
        {"name": "population", "type": "integer", "description": "People."},
        {"name": "area_km2", "type": "number"},
        {"name": "founded", "type": "date"},
        {"name": "coastal", "type": "boolean"},
        {"name": "census_year", "type": "year"},
    ],
    "primaryKey": ["place_id"],
    "missingValues": [""],
}
VISITS_SCHEMA = {
    "fields": [
        {"name": "visit_id", "type": "string", "constraints": {"required": True}},
        {"name": "place_id", "type": "string", "constraints": {"required": True}},
        {"name": "note", "type": "string"},
    ],
    "primaryKey": ["visit_id"],
    "foreignKeys": [
        {"fields": ["place_id"], "reference": {"resource": "places", "fields": ["place_id"]}}
    ],
    "missingValues": [""],
}
PLACES_ROWS = [
    ["place_id", "name_zh", "kind", "population", "area_km2", "founded", "coastal", "census_year"],
    ["shanghai", "上海市", "city", "24870895", "6340.5", "1927-07-07", "true", "2020"],
    ["shanxi", "山西省", "province", "34915616", "156700", "", "false", "2020"],
    ["taiyuan", "太原市", "city", "", "6988.0", "1949-04-24", "", ""],
]
VISITS_ROWS = [
    ["visit_id", "place_id", "note"],
    ["v1", "shanghai", "first | visit"],
    ["v2", "taiyuan", ""],
]
TITLE = "Synthetic places"


def write_synthetic_package(root: Path, version: str = "1.0.0") -> Path:
    """Write a two-table package (with release metadata) into ``root`` and commit it."""
    (root / "schemas").mkdir(parents=True)
    (root / "resources").mkdir()
    for name, schema, rows in (
        ("places", PLACES_SCHEMA, PLACES_ROWS),
        ("visits", VISITS_SCHEMA, VISITS_ROWS),
    ):
        (root / "schemas" / f"{name}.json").write_text(json.dumps(schema, indent=2), "utf-8")
        write_rows(root / "resources" / f"{name}.csv", rows)
    descriptor = {
        "name": "synthetic",
        "title": TITLE,
        "description": "Places for the release tests.",
        "version": version,
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": [
            {
                "name": n,
                "title": n.title(),
                "path": f"resources/{n}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": f"schemas/{n}.json",
            }
            for n in ("places", "visits")
        ],
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n", "utf-8")
    write_release_metadata(root, version)
    return init_repo(root)


def write_release_metadata(root: Path, version: str) -> None:
    (root / "README.md").write_text("# Synthetic\n\nA test package.\n", "utf-8")
    (root / "LICENSE").write_text("Test licence text.\n", "utf-8")
    (root / "CHANGELOG.md").write_text("# Changelog\n", "utf-8")
    (root / ".gitignore").write_text("dist/\n__pycache__/\n", "utf-8")
    (root / "CITATION.cff").write_text(
        f'cff-version: 1.2.0\nmessage: "Cite"\ntitle: "{TITLE}"\nauthors:\n'
        f'  - name: "test contributors"\nversion: "{version}"\nlicense: CC-BY-4.0\n',
        "utf-8",
    )
    zenodo = {"title": TITLE, "upload_type": "dataset", "license": "cc-by-4.0", "version": version}
    (root / ".zenodo.json").write_text(json.dumps(zenodo, indent=2) + "\n", "utf-8")
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "synthetic"\nversion = "{version}"\n', "utf-8"
    )


# ------------------------------------------------------------------------------------------
# A fake GitHub + Zenodo that records requests
# ------------------------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    authorization: str
    body_bytes: int


@dataclass
class FakeServices:
    """In-memory GitHub releases and Zenodo depositions, with failure injection."""

    base: str = ""
    requests: list[Recorded] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    releases: list[dict[str, Any]] = field(default_factory=list)
    depositions: dict[int, dict[str, Any]] = field(default_factory=dict)
    buckets: dict[str, dict[str, bytes]] = field(default_factory=dict)
    fail_upload_number: int | None = None  # the n-th upload (1-based, across runs) fails
    uploads: int = 0
    next_id: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, method: str, pattern: str) -> int:
        return sum(1 for r in self.requests if r.method == method and re.search(pattern, r.path))

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _upload_fails(self) -> bool:
        self.uploads += 1
        return self.uploads == self.fail_upload_number

    def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        with self.lock:
            self.requests.append(Recorded(method, url, headers.get("Authorization", ""), len(body)))
            parsed = urlparse(url)
            query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            data = json.loads(body) if body and "json" in headers.get("Content-Type", "") else None
            if parsed.path.startswith("/repos/") or parsed.path.startswith("/uploads/"):
                return self._github(method, parsed.path, query, data, body, headers)
            return self._zenodo(method, parsed.path, query, data, body, headers)

    # GitHub --------------------------------------------------------------------------------
    def _github(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        data: Any,
        body: bytes,
        headers: dict[str, str],
    ) -> tuple[int, Any]:
        if match := re.fullmatch(r"/repos/[^/]+/[^/]+/git/ref/tags/(.+)", path):
            return (200, {"ref": f"refs/tags/{match[1]}"}) if match[1] in self.tags else (404, {})
        if re.fullmatch(r"/repos/[^/]+/[^/]+/releases", path):
            if method == "GET":
                page = int(query.get("page", "1"))
                return 200, self.releases if page == 1 else []
            release_id = self._id()
            release = {
                "id": release_id,
                "tag_name": data["tag_name"],
                "name": data["name"],
                "body": data["body"],
                "draft": data["draft"],
                "assets": [],
                "html_url": f"{self.base}/o/r/releases/tag/{data['tag_name']}",
                "upload_url": (
                    f"{self.base}/uploads/repos/o/r/releases/{release_id}/assets{{?name,label}}"
                ),
            }
            self.releases.append(release)
            return 201, release
        if match := re.fullmatch(r"/repos/[^/]+/[^/]+/releases/(\d+)/assets", path):
            return 200, self._release(int(match[1]))["assets"]
        if match := re.fullmatch(r"/repos/[^/]+/[^/]+/releases/assets/(\d+)", path):
            for release in self.releases:
                release["assets"] = [a for a in release["assets"] if a["id"] != int(match[1])]
            return 204, None
        if match := re.fullmatch(r"/repos/[^/]+/[^/]+/releases/(\d+)", path):
            release = self._release(int(match[1]))
            release.update(data)
            return 200, release
        if match := re.fullmatch(r"/uploads/repos/[^/]+/[^/]+/releases/(\d+)/assets", path):
            release = self._release(int(match[1]))
            asset = {
                "id": self._id(),
                "name": query["name"],
                "size": len(body),
                "state": "uploaded",
                "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
            }
            if self._upload_fails():  # GitHub leaves a broken asset behind
                release["assets"].append({**asset, "state": "starter", "size": 0, "digest": None})
                return 500, {"message": f"upload failed; you sent {headers.get('Authorization')}"}
            release["assets"].append(asset)
            return 201, asset
        return 404, {"message": f"no route {method} {path}"}

    def _release(self, release_id: int) -> dict[str, Any]:
        return next(r for r in self.releases if r["id"] == release_id)

    # Zenodo --------------------------------------------------------------------------------
    def _zenodo(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        data: Any,
        body: bytes,
        headers: dict[str, str],
    ) -> tuple[int, Any]:
        if path == "/api/deposit/depositions":
            if method == "GET":
                return 200, list(self.depositions.values())
            return 201, self._new_deposition({})
        if match := re.fullmatch(r"/api/deposit/depositions/(\d+)", path):
            deposition = self.depositions.get(int(match[1]))
            if deposition is None:
                return 404, {"message": "not found"}
            if method == "PUT":
                deposition["metadata"] = data["metadata"]
            return 200, deposition
        if match := re.fullmatch(r"/api/deposit/depositions/(\d+)/actions/publish", path):
            deposition = self.depositions[int(match[1])]
            deposition.update(
                submitted=True,
                doi=f"10.5072/zenodo.{deposition['id']}",
                conceptdoi="10.5072/zenodo.1",
            )
            return 202, deposition
        if match := re.fullmatch(r"/api/deposit/depositions/(\d+)/actions/newversion", path):
            old = self.depositions[int(match[1])]
            new = self._new_deposition(dict(self.buckets[self._bucket_id(old)]))
            return 201, {
                **old,
                "links": {
                    **old["links"],
                    "latest_draft": f"{self.base}/api/deposit/depositions/{new['id']}",
                },
            }
        if match := re.fullmatch(r"/api/files/(b\d+)", path):
            contents = [
                {"key": k, "size": len(v), "checksum": "md5:" + hashlib.md5(v).hexdigest()}
                for k, v in self.buckets[match[1]].items()
            ]
            return 200, {"contents": contents}
        if match := re.fullmatch(r"/api/files/(b\d+)/(.+)", path):
            bucket = self.buckets[match[1]]
            if method == "DELETE":
                bucket.pop(match[2], None)
                return 204, None
            if self._upload_fails():
                return 500, {"message": f"storage error; token was {headers.get('Authorization')}"}
            bucket[match[2]] = body
            return 201, {"key": match[2], "size": len(body)}
        return 404, {"message": f"no route {method} {path}"}

    def _new_deposition(self, files: dict[str, bytes]) -> dict[str, Any]:
        deposition_id = self._id()
        bucket = f"b{deposition_id}"
        self.buckets[bucket] = files
        deposition = {
            "id": deposition_id,
            "submitted": False,
            "metadata": {},
            "links": {"bucket": f"{self.base}/api/files/{bucket}"},
        }
        self.depositions[deposition_id] = deposition
        return deposition

    @staticmethod
    def _bucket_id(deposition: dict[str, Any]) -> str:
        return str(deposition["links"]["bucket"]).rsplit("/", 1)[-1]


@contextmanager
def fake_services() -> Iterator[FakeServices]:
    """Run :class:`FakeServices` on 127.0.0.1 (a free port) for the duration of a test."""
    services = FakeServices()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = services.handle(self.command, self.path, dict(self.headers), body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    services.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield services
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
