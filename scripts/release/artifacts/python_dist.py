"""The loader's wheel and sdist, built with ``python -m build`` under SOURCE_DATE_EPOCH.

hatchling dates every archive member from SOURCE_DATE_EPOCH, so two builds are byte-identical.
Build isolation needs the package index; ``--no-build-isolation`` uses the installed hatchling.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import ReleaseStepError

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
            missing = "No module named build" in done.stderr
            hint = " Install the 'release' dependency group (it holds `build`)." if missing else ""
            raise ReleaseStepError(
                f"building the wheel and sdist failed (exit {done.returncode}):{hint}\n"
                + "\n".join(f"  {line}" for line in lines)
            )
        built = sorted(Path(scratch).iterdir())
        names = [p.name for p in built]
        if not all(any(n.endswith(end) for n in names) for end in (".whl", ".tar.gz")):
            raise ReleaseStepError(f"`python -m build` produced {names}, not a wheel and an sdist")
        return [Path(shutil.move(path, folder / path.name)) for path in built]
