"""The contributor's commands: ``new-source``, ``new-plan``, ``draft``, ``add`` and ``fmt``."""
