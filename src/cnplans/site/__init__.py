"""A static download site for each release, built from the data package with the standard library.

``python -m cnplans.site`` (or ``nox -s site``) writes ``dist/site/``: a home page with the
release's files, sizes and SHA-256 digests, how to cite it, a chart of the money targets and a
summary; one page per table (data dictionary from the Table Schema, sortable and filterable rows);
one page per plan. No server, no CDN, nothing fetched when a page is viewed: it works from
``file://`` and offline.

Modules: :mod:`~cnplans.site.package` reads the package, :mod:`~cnplans.site.downloads` finds
the files to offer, :mod:`~cnplans.site.chart` draws the SVG chart,
:mod:`~cnplans.site.templates` and :mod:`~cnplans.site.pages` write the HTML,
:mod:`~cnplans.site.check` checks links and markup, :mod:`~cnplans.site.build` puts it together.
"""

from __future__ import annotations

from cnplans.site.build import BuildReport, build_site, main
from cnplans.site.check import check_site
from cnplans.site.package import SiteError

__all__ = ["BuildReport", "SiteError", "build_site", "check_site", "main"]
