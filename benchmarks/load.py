"""Benchmark: ``cnplans.load_all()`` against plain ``pandas.read_csv`` of the same files.

Each run starts fresh Python processes (so imports count, as they do for a user), alternating
which side goes first. Prints the median over the runs of three timings and their ratios:

* wall: the whole process, interpreter start-up included;
* import + read: from before ``import`` to the last table read, measured inside the process;
* read only: pandas already imported, just the reading (the loader's own overhead: schemas,
  dtype conversion, key checks).

Usage: ``python benchmarks/load.py [--runs 9]`` from the repository (the checkout's ``src`` is
put first on ``PYTHONPATH``). The target is a ratio of at most 1.5 for import + read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CNPLANS = """
import time
start = time.perf_counter()
import pandas
imported = time.perf_counter()
import cnplans
frames = cnplans.load_all()
done = time.perf_counter()
print(done - start, done - imported, sum(len(f) for f in frames.values()))
"""

PANDAS = """
import sys, time
start = time.perf_counter()
import pandas
imported = time.perf_counter()
frames = [pandas.read_csv(path) for path in sys.argv[1:]]
done = time.perf_counter()
print(done - start, done - imported, sum(len(f) for f in frames))
"""


def _resource_paths() -> list[str]:
    sys.path.insert(0, str(REPO / "src"))
    from cnplans.datapackage.paths import bundled_root

    root = bundled_root()
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    return [str(root / r["path"]) for r in descriptor["resources"]]


def _run(code: str, args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Run one fresh process; return wall, import+read and read-only seconds, and row count."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, check=True, capture_output=True, text=True
    ).stdout
    wall = time.perf_counter() - start
    total, read, rows = out.split()
    return wall, float(total), float(read), int(rows)


def main() -> None:
    """Run the benchmark and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh-process runs per side")
    runs = parser.parse_args().runs
    paths = _resource_paths()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))

    timings: dict[str, list[tuple[float, float, float, int]]] = {"cnplans": [], "pandas": []}
    for i in range(runs):
        order = [("cnplans", CNPLANS, []), ("pandas", PANDAS, paths)]
        for name, code, args in order if i % 2 == 0 else reversed(order):
            timings[name].append(_run(code, args, env))

    rows = {name: values[0][3] for name, values in timings.items()}
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(
        f"{len(paths)} tables, {rows['cnplans']} rows (pandas read {rows['pandas']}); {runs} runs"
    )
    print(f"{'median seconds':<16}{'cnplans':>10}{'pandas':>10}{'ratio':>8}")
    for column, label in enumerate(("wall", "import + read", "read only")):
        ours = statistics.median(t[column] for t in timings["cnplans"])
        theirs = statistics.median(t[column] for t in timings["pandas"])
        print(f"{label:<16}{ours:>10.4f}{theirs:>10.4f}{ours / theirs:>8.2f}")


if __name__ == "__main__":
    main()
