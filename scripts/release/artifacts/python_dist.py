"""The loader's wheel and sdist, built with ``python -m build`` under SOURCE_DATE_EPOCH.

hatchling uses SOURCE_DATE_EPOCH for every timestamp in both archives, so two builds of the same
tree are byte-identical. With build isolation (the default) ``build`` installs hatchling into a
fresh environment, which needs the package index; ``--no-build-isolation`` uses the hatchling
installed next to the release tools instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import ReleaseError

MAX_OUTPUT_LINES = 30


def build(root: Path, folder: Path, epoch: int, *, isolation: bool = True) -> list[Path]:
    """Build the wheel and sdist of the project in ``root`` into ``folder``; return them."""
    with tempfile.TemporaryDirectory(prefix="cnplans-python-dist-") as scratch:
        command = [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", scratch]
        if not isolation:
            command.append("--no-isolation")
        command.append(str(root))
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
        done = subprocess.run(
            command, capture_output=True, text=True, encoding="utf-8", errors="replace", env=env
        )
        if done.returncode != 0:
            lines = (done.stdout + done.stderr).strip().splitlines()[-MAX_OUTPUT_LINES:]
            hint = (
                " Install the 'test' dependency group (it holds `build`)."
                if "No module named build" in done.stderr
                else ""
            )
            raise ReleaseError(
                f"building the wheel and sdist failed (exit {done.returncode}):{hint}\n"
                + "\n".join(f"  {line}" for line in lines)
            )
        built = sorted(Path(scratch).iterdir())
        if not any(p.suffix == ".whl" for p in built) or not any(
            p.name.endswith(".tar.gz") for p in built
        ):
            raise ReleaseError(
                f"`python -m build` produced {[p.name for p in built]}, not a wheel and an sdist"
            )
        moved = []
        for path in built:
            target = folder / path.name
            target.write_bytes(path.read_bytes())
            moved.append(target)
    return moved
