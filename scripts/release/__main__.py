"""``python -m scripts.release``: see :mod:`scripts.release.cli`."""

import sys

from .cli import main

sys.exit(main())
