"""cnplans: Chinese regional industrial development plans as typed pandas DataFrames.

Importing this package is cheap: pandera, frictionless and requests are imported only by the
commands that need them.
"""

from __future__ import annotations

from importlib import metadata


def _read_version() -> str:
    try:
        return metadata.version("cnplans")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        import json

        from cnplans.paths import bundled_descriptor

        return str(json.loads(bundled_descriptor().read_text(encoding="utf-8"))["version"])


__version__ = _read_version()

__all__ = ["__version__"]
