"""Release tools for the cnplans data package (``python -m scripts.release --help``).

The flow and the version rules are in scripts/release/README.md.
"""
