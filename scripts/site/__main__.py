"""``python -m scripts.site``: see :mod:`scripts.site.cli`."""

import sys

from .cli import main

sys.exit(main())
