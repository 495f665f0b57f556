"""``python -m cnplans`` runs the command line."""

from cnplans.cli import run

run()
