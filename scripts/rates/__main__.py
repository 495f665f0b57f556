"""``python -m scripts.rates``: see :mod:`scripts.rates.cli`."""

import sys

from .cli import main

sys.exit(main())
