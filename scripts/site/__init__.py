"""The static download site of a release (``python -m scripts.site --root .``, or ``nox -s site``).

Writes ``dist/site/``: a home page that leads with the data (the overview of targets, a chart of
the money targets), then the release's files with sizes and SHA-256 digests, how to cite it and
a summary; one page per table (rows, then the data dictionary) and one per plan. Nothing is
fetched when a page is viewed: it works from ``file://`` and offline.
"""
