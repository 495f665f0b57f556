"""cnplans: Chinese regional industrial development plans as typed pandas DataFrames.

Importing this package is cheap: pandera, frictionless and requests are imported only by the
commands that need them, and ``__version__`` is read from the installed metadata on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnplans.conversion.fx import to_currency
    from cnplans.loader import describe, load, load_all, package, tables
    from cnplans.loader.overviews import overview


def _read_version() -> str:
    from importlib import metadata  # (imported on first use: it takes tens of milliseconds)

    try:
        return metadata.version("cnplans")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        from cnplans.datapackage import PackageError, read_descriptor
        from cnplans.datapackage.paths import bundled_descriptor

        try:
            return str(read_descriptor(bundled_descriptor()).get("version", "unknown"))
        except (PackageError, OSError):  # a copy of src/ without the data beside it
            return "unknown"


__all__ = [
    "__version__",
    "describe",
    "load",
    "load_all",
    "overview",
    "package",
    "tables",
    "to_currency",
]

# Public functions imported on first use, so that ``import cnplans`` does not import pandas.
_LAZY = dict.fromkeys(("describe", "load", "load_all", "package", "tables"), "cnplans.loader")
_LAZY |= {"to_currency": "cnplans.conversion.fx", "overview": "cnplans.loader.overviews"}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "__version__":  # read on first use, then an ordinary attribute
        globals()[name] = version = _read_version()
        return version
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'cnplans' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)


def __dir__() -> list[str]:
    """Only the public API, so that ``dir(cnplans)`` and tab completion show what to use."""
    return sorted(__all__)
