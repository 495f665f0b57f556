"""``python -m cnplans.site``: build the static download site."""

from __future__ import annotations

import sys

from cnplans.site.build import main

if __name__ == "__main__":
    sys.exit(main())
