"""The Jinja2 environment of ``templates/*.j2``: autoescaping on (every template writes HTML or
SVG), and ``StrictUndefined``, so a misspelt name fails the build instead of printing nothing."""

from __future__ import annotations

from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"
ENVIRONMENT = jinja2.Environment(  # the one environment: templates are compiled once per build
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENVIRONMENT.filters["px"] = lambda value: f"{value:.1f}"  # a chart coordinate: 285.0
