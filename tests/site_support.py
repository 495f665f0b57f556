"""Helpers shared by the site tests: a copy of the package, a fake release, page parsing.

Expectations are computed here with the standard library (csv, hashlib, html.parser) from the
files themselves, not with the site builder's own readers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from scripts.release.artifacts.overview_csv import file_name as overview_file_name
from scripts.release.artifacts.sqlite import database_name

REPO = Path(__file__).resolve().parents[1]
PACKAGE_PARTS = ("datapackage.json", "schemas", "resources", "sources")


def copy_package(destination: Path) -> Path:
    """A writable copy of the real package (descriptor, schemas, resources, sources)."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in PACKAGE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copy2(source, destination / part)
    for path in destination.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return destination


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def fake_release(package_root: Path, dist: Path, version: str, name: str = "cnplans") -> Path:
    """A release folder as the release builder lays it out: ``dist/<name>-<version>/`` with a
    zip of the package's CSVs under one top-level folder, the SQLite file and overview CSV named
    as the release names them, a Parquet file and ``SHA256SUMS``. Returns that folder."""
    folder = dist / f"{name}-{version}"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / f"{name}-{version}.zip", "w") as archive:
        archive.write(package_root / "datapackage.json", f"{folder.name}/datapackage.json")
        for csv_path in sorted((package_root / "resources").glob("*.csv")):
            archive.write(csv_path, f"{folder.name}/resources/{csv_path.name}")
    (folder / database_name(version)).write_bytes(b"not really SQLite, only bytes to hash\n")
    (folder / overview_file_name("targets")).write_bytes(b'"target_id"\n"a-stand-in"\n')
    (folder / f"{name}-{version}-targets.parquet").write_bytes(b"PAR1 stand-in bytes PAR1")
    lines = [f"{sha256(p)}  {p.name}\n" for p in sorted(folder.iterdir())]
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
    return folder


@dataclass
class DownloadRow:
    """One row of the home page's download table."""

    href: str
    label: str
    size_bytes: int
    sha256: str


class _DownloadParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[DownloadRow] = []
        self.in_row = False
        self.cell = -1
        self.current: dict[str, str] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and "download" in (a.get("class") or "").split():
            self.in_row, self.cell, self.current = True, -1, {}
        elif self.in_row and tag == "td":
            self.cell += 1
            self.text = []
            if a.get("data-bytes"):
                self.current["bytes"] = a["data-bytes"] or ""
        elif self.in_row and tag == "a" and self.cell == 0:
            self.current["href"] = a.get("href") or ""

    def handle_data(self, data: str) -> None:
        if self.in_row:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self.in_row and tag == "td":
            text = "".join(self.text).strip()
            if self.cell == 1:
                self.current["label"] = text
            elif self.cell == 3:
                self.current["sha256"] = text
        elif self.in_row and tag == "tr":
            self.in_row = False
            c = self.current
            self.rows.append(DownloadRow(c["href"], c["label"], int(c["bytes"]), c["sha256"]))


def download_rows(index_html: Path) -> list[DownloadRow]:
    """The download table of a built home page."""
    parser = _DownloadParser()
    parser.feed(index_html.read_text(encoding="utf-8"))
    return parser.rows


@dataclass
class Elements:
    """Start tags of a page with their attributes, in document order."""

    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


class _ElementParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found = Elements()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.tags.append((tag, {k: v or "" for k, v in attrs}))


def elements(page: Path) -> Elements:
    parser = _ElementParser()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


class _TableTextParser(HTMLParser):
    """Caption, header and body cell texts of every table of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.heads: list[list[str]] = []  # the <thead> cell texts of each table
        self.headings: list[str] = []
        self.stack: list[str] = []
        self.caption: list[str] | None = None
        self.cell: list[str] | None = None
        self.heading: list[str] | None = None
        self.in_body = False
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(("", []))
            self.heads.append([])
        elif tag == "thead":
            self.in_head = True
        elif tag == "caption":
            self.caption = []
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.tables[-1][1].append([])
        elif tag in ("td", "th") and (self.in_body or self.in_head):
            self.cell = []
        elif tag == "h2":
            self.heading = []

    def handle_data(self, data: str) -> None:
        for collector in (self.caption, self.cell, self.heading):
            if collector is not None:
                collector.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self.caption is not None:
            self.tables[-1] = ("".join(self.caption).strip(), self.tables[-1][1])
            self.caption = None
        elif tag in ("td", "th") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            (self.tables[-1][1][-1] if self.in_body else self.heads[-1]).append(text)
            self.cell = None
        elif tag == "thead":
            self.in_head = False
        elif tag == "tbody":
            self.in_body = False
        elif tag == "h2" and self.heading is not None:
            self.headings.append(" ".join("".join(self.heading).split()))
            self.heading = None


def _table(page: Path, caption: str) -> tuple[list[str], list[list[str]]]:
    parser = _TableTextParser()
    parser.feed(page.read_text(encoding="utf-8"))
    for (found_caption, rows), head in zip(parser.tables, parser.heads, strict=True):
        if found_caption == caption:
            return head, rows
    captions = [c for c, _ in parser.tables]
    raise LookupError(f"{page} has no table captioned {caption!r} (captions: {captions})")


def table_texts(page: Path, caption: str) -> list[list[str]]:
    """Body rows (cell texts, whitespace collapsed) of the table whose caption is ``caption``."""
    return _table(page, caption)[1]


def header_texts(page: Path, caption: str) -> list[str]:
    """The column headers of the table whose caption is ``caption``."""
    return _table(page, caption)[0]


def headings(page: Path) -> list[str]:
    """Texts of the page's <h2> headings."""
    parser = _TableTextParser()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.headings
