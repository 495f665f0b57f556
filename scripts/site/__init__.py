"""The static download site of a release (run ``python -m scripts.site --help``).

``python -m scripts.site --root .`` (or ``nox -s site``) writes ``dist/site/``: a home page that
leads with the data (the overview of targets, filterable, and a chart of the money targets),
then the release's files with sizes and SHA-256 digests, how to cite it and a summary; one page
per table (sortable and filterable rows, then the data dictionary from the Table Schema); one
page per plan. No server, no CDN, nothing fetched when a page is viewed: it works from
``file://`` and offline.

One module per job: :mod:`.package` reads the package, :mod:`.glance` makes the overview of
targets, :mod:`.downloads` finds the files to offer, :mod:`.chart` lays out the SVG chart,
:mod:`.pages` works out what each page shows and :mod:`.render` renders the Jinja2 templates in
``templates/``, :mod:`.check` checks links and markup, :mod:`.build` puts it together,
:mod:`.cli` is ``main()``.
"""
