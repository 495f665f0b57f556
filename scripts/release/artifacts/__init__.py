"""Release artifacts, one module per format; :mod:`.build` puts them together in dist/.

Every artifact is reproducible: built twice from the same tree with the same SOURCE_DATE_EPOCH,
it has the same bytes (same Python, pandas, pyarrow, openpyxl, SQLite and zlib versions).
"""
