"""The static download site of a release (run ``python -m scripts.site --help``).

``python -m scripts.site --root .`` (or ``nox -s site``) writes ``dist/site/``: a home page with
the release's files, sizes and SHA-256 digests, how to cite it, a chart of the money targets and
a summary; one page per table (data dictionary from the Table Schema, sortable and filterable
rows); one page per plan. No server, no CDN, nothing fetched when a page is viewed: it works from
``file://`` and offline.

One module per job: :mod:`.package` reads the package, :mod:`.downloads` finds the files to
offer, :mod:`.chart` lays out the SVG chart, :mod:`.pages` works out what each page shows and
:mod:`.render` renders the Jinja2 templates in ``templates/``, :mod:`.check` checks links and
markup, :mod:`.build` puts it together, :mod:`.cli` is ``main()``.
"""
