"""The Jinja2 environment of ``templates/*.j2``: autoescaping on (every template writes HTML or
SVG), and ``StrictUndefined``, so a misspelt name fails the build instead of printing nothing."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


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
    env.filters["px"] = lambda value: f"{value:.1f}"  # a chart coordinate: 285.0
    return env


def render(template: str, **context: Any) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return environment().get_template(template).render(**context)
