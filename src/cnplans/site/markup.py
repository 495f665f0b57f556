"""A tiny HTML builder that escapes every value it is given unless it is already markup.

Pages are assembled from :func:`el` calls, so a value read from the data can only reach the page
through :func:`esc`: there is no way to forget escaping a cell, a title or an attribute.

>>> str(el("a", "x < y", href="t.html#plan-a&b"))
'<a href="t.html#plan-a&amp;b">x &lt; y</a>'
>>> str(el("input", type="search", hidden=True, value=None))
'<input type="search" hidden>'
"""

from __future__ import annotations

import html
from collections.abc import Iterable

# Elements that have no closing tag.
VOID_ELEMENTS = frozenset({"br", "hr", "img", "input", "link", "meta", "col", "source", "wbr"})


class Html(str):
    """Text that is already HTML (escaped or built by :func:`el`); never escaped again."""

    __slots__ = ()


def esc(value: object) -> Html:
    """Escape ``value`` for use as HTML text or a quoted attribute value (markup passes through)."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def concat(parts: Iterable[object]) -> Html:
    """Join parts into one piece of markup, escaping the parts that are plain text."""
    return Html("".join(_flatten(parts)))


def _flatten(children: Iterable[object]) -> Iterable[str]:
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, str | int | float):
            yield esc(child)
        elif isinstance(child, Iterable):
            yield from _flatten(child)
        else:
            raise TypeError(f"cannot place a {type(child).__name__} in HTML: {child!r}")


def attributes(attrs: dict[str, object]) -> str:
    """Render attributes: ``class_`` -> ``class``, ``data_sort`` -> ``data-sort``, True -> bare."""
    out = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        if value is True:
            out.append(f" {name}")
        else:
            out.append(f' {name}="{esc(value)}"')
    return "".join(out)


def el(tag: str, *children: object, **attrs: object) -> Html:
    """One element with escaped text children and attributes; Html children are kept as they are."""
    opening = f"<{tag}{attributes(attrs)}>"
    if tag in VOID_ELEMENTS:
        if any(child is not None for child in children):
            raise ValueError(f"<{tag}> cannot have children")
        return Html(opening)
    return Html(f"{opening}{concat(children)}</{tag}>")
