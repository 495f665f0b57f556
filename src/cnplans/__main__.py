"""``python -m cnplans`` runs the command line."""

import sys

from cnplans.cli import main

sys.exit(main())
