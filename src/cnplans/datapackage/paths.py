"""Where the package's data lives: inside an installed wheel, or at the top of a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DESCRIPTOR_NAME = "datapackage.json"
# The largest file any command reads (a table, a schema, a source text), unless told otherwise.
MAX_FILE_BYTES = 200 * 1024 * 1024


def bundled_root() -> Path:
    """Folder holding ``datapackage.json``, ``schemas/`` and ``resources/`` for the bundled data.

    A wheel carries them in ``cnplans/data``; a source checkout (editable install, tests) has them
    two levels above ``src/cnplans`` (three above this module).
    """
    installed = Path(str(resources.files("cnplans"))) / "data"
    if (installed / DESCRIPTOR_NAME).is_file():
        return installed
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / DESCRIPTOR_NAME).is_file():
        return checkout
    raise FileNotFoundError(
        "cnplans cannot find its bundled data: neither the installed package nor the source "
        f"checkout has {DESCRIPTOR_NAME}. Reinstall cnplans."
    )


def bundled_descriptor() -> Path:
    """Path of the bundled ``datapackage.json``."""
    return bundled_root() / DESCRIPTOR_NAME
