"""Release tools for the cnplans data package (run ``python -m scripts.release --help``).

One module per job: :mod:`.semver` (version rules), :mod:`.diff` (data diff), :mod:`.changelog`,
:mod:`.stamp` (descriptor bytes/hash/version), :mod:`.artifacts` (zip, xlsx, Parquet, SQLite,
wheel/sdist), :mod:`.checksums`, :mod:`.build`, :mod:`.release` (the release flow and its
order), :mod:`.publish` (GitHub, Zenodo), :mod:`.cli` (``main()``).
"""
