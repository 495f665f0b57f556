"""Check a built site without a browser: links resolve, nothing is fetched, tables have headers.

The builder runs this before it replaces the previous site, so a broken site is never published;
the tests run it too. Checks:

- every local ``href``/``src`` names a file of the site, and its ``#fragment`` an id in that page;
- nothing is loaded from the network (``<link>``, ``<script>``, ``<img>``... and ``url()`` in CSS
  only name local files; ``<a href="https://...">`` links are fine, they load nothing by
  themselves);
- each page has ``<html lang>``, one ``<h1>`` and a ``<main>``;
- each ``<table>`` has a ``<thead>`` whose cells are all ``<th scope="col">``;
- each ``<img>`` has ``alt``; each ``<svg>`` is ``role="img"`` with a ``<title>`` (or hidden).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

SRC_TAGS = ("script", "img", "source", "iframe", "audio", "video", "embed")
# The attribute holding each tag's URL; all but <a> load what they name.
LINK_ATTRIBUTES = {"a": "href", "link": "href", "object": "data", **dict.fromkeys(SRC_TAGS, "src")}
CSS_REMOTE_URL = re.compile(r"url\(\s*['\"]?\s*(?:https?:)?//", re.IGNORECASE)
CSS_REMOTE_IMPORT = re.compile(r"@import\s+['\"]?\s*(?:url\()?\s*['\"]?(?:https?:)?//", re.I)


@dataclass
class _Table:
    has_thead: bool = False
    in_thead: bool = False
    header_cells: int = 0


class PageFacts(HTMLParser):
    """What the checks need to know about one page (parsed from ``path``): ids, links, and the
    problems seen in it."""

    def __init__(self, path: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, int]] = []  # (tag, url, line)
        self.problems: list[str] = []
        self.lang: str | None = None
        self.h1_count = 0
        self.has_main = False
        self.tables: list[_Table] = []
        self.svg_depth = 0
        self.svg_needs_title = False
        self.feed(path.read_text(encoding="utf-8"))
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        line = self.getpos()[0]
        if "id" in a:
            if a["id"] in self.ids:
                self.problems.append(f"line {line}: id {a['id']!r} is used twice")
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        if tag == "html":
            self.lang = a.get("lang") or None
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "main":
            self.has_main = True
        elif tag == "table":
            self.tables.append(_Table())
        elif tag == "thead" and self.tables:
            self.tables[-1].has_thead = self.tables[-1].in_thead = True
        elif tag == "th" and self.tables:
            self.tables[-1].header_cells += 1
            if self.tables[-1].in_thead and a.get("scope") != "col":
                self.problems.append(f'line {line}: a <th> in <thead> without scope="col"')
        elif tag == "img" and "alt" not in a:
            self.problems.append(f"line {line}: <img src={a.get('src', '')!r}> has no alt text")
        elif tag == "svg":
            self.svg_depth += 1
            if self.svg_depth == 1 and a.get("aria-hidden") != "true":
                if a.get("role") != "img":
                    self.problems.append(f'line {line}: <svg> without role="img"')
                self.svg_needs_title = True
        elif tag == "title" and self.svg_depth:
            self.svg_needs_title = False
        if tag in LINK_ATTRIBUTES and LINK_ATTRIBUTES[tag] in a:
            self.links.append((tag, a[LINK_ATTRIBUTES[tag]], line))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag == "thead" and self.tables:
            self.tables[-1].in_thead = False
        elif tag == "table" and self.tables:
            table = self.tables.pop()
            if not table.has_thead:
                self.problems.append(f"line {line}: a <table> without <thead>")
            if not table.header_cells:
                self.problems.append(f"line {line}: a <table> without <th> header cells")
        elif tag == "svg" and self.svg_depth:
            self.svg_depth -= 1
            if self.svg_depth == 0 and self.svg_needs_title:
                self.problems.append(f"line {line}: an <svg> image without <title>")
                self.svg_needs_title = False


def check_site(folder: Path) -> list[str]:
    """Every problem found in the site under ``folder``, as ``page: line N: what`` sentences."""
    pages = {path.resolve(): PageFacts(path) for path in sorted(folder.rglob("*.html"))}
    problems: list[str] = []
    for path, facts in pages.items():
        name = path.relative_to(folder.resolve()).as_posix()
        problems += [f"{name}: {p}" for p in facts.problems]
        if not facts.lang:
            problems.append(f"{name}: <html> has no lang attribute")
        if facts.h1_count != 1:
            problems.append(f"{name}: {facts.h1_count} <h1> headings, expected exactly one")
        if not facts.has_main:
            problems.append(f"{name}: no <main> landmark")
        for tag, url, line in facts.links:
            problem = _link_problem(folder.resolve(), path, pages, tag, url)
            if problem:
                problems.append(f"{name}: line {line}: {problem}")
    for css in sorted(folder.rglob("*.css")):
        text = css.read_text(encoding="utf-8")
        if CSS_REMOTE_URL.search(text) or CSS_REMOTE_IMPORT.search(text):
            problems.append(f"{css.relative_to(folder).as_posix()}: loads something from the web")
    return problems


def _link_problem(
    root: Path, page: Path, pages: dict[Path, PageFacts], tag: str, url: str
) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if tag == "a" and parts.scheme in ("http", "https", "mailto"):
            return None
        return f"<{tag}> loads {url!r} from outside the site; the site must work offline"
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    if not target.is_relative_to(root):
        return f"<{tag}> {url!r} points outside the site folder"
    if not target.is_file():
        return f"<{tag}> {url!r}: no such file in the site"
    if parts.fragment:
        if target not in pages:
            return f"<{tag}> {url!r}: a #fragment into a file that is not an HTML page"
        if unquote(parts.fragment) not in pages[target].ids:
            return f"<{tag}> {url!r}: no element with id {unquote(parts.fragment)!r} in that page"
    return None
