"""Validation of the cnplans data package (``cnplans validate``).

Modules, one job each: :mod:`.problems` (the Problem record and its reporters), :mod:`.reading`
(bounded CSV reading with physical line numbers), :mod:`.conversion` (text cells to the type
map's dtypes), :mod:`.pandera_schema` (Table Schema -> pandera schema), :mod:`.package`
(descriptor, path safety, loading), :mod:`.rows`, :mod:`.rules` and :mod:`.provenance` (the
checks), :mod:`.checks` (the list of checks, and how to add one), :mod:`.runner` and
:mod:`.command`. Importing this package is cheap: the heavy modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Problem", "validate_package"]
_MODULES = {"Problem": "problems", "validate_package": "runner"}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"cnplans.validation.{_MODULES[name]}"), name)
    raise AttributeError(f"module 'cnplans.validation' has no attribute {name!r}")
