"""The Jinja2 environment that renders ``templates/*.j2``: escaping on, no undefined names.

Every template writes HTML or SVG, so autoescaping is on for all of them: a value read from the
data reaches a page only escaped. ``StrictUndefined`` turns a misspelt name into an error at build
time instead of an empty string on the page.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


def px(value: float) -> str:
    """A coordinate with one decimal, as the chart writes them: ``285.0``."""
    return f"{value:.1f}"


@functools.cache
def environment() -> jinja2.Environment:
    """The one environment of the site (templates are compiled once per build)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["px"] = px
    return env


def render(template: str, **context: Any) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return environment().get_template(template).render(**context)
