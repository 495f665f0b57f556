"""Release artifacts, one module per format; :mod:`..build` puts them together in dist/."""
