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

import os
import platform
import sys

from timing import REPO, arguments, csv_paths, import_and_read, print_import_and_read

CNPLANS = "import cnplans\nrows = sum(len(f) for f in cnplans.load_all().values())"
PANDAS = "rows = sum(len(pandas.read_csv(path)) for path in sys.argv[1:])"


def main() -> None:
    """Run the benchmark and print medians and ratios."""
    runs = arguments(__doc__, 9, "fresh-process runs per side").parse_args().runs
    sys.path.insert(0, str(REPO / "src"))
    from cnplans.datapackage.paths import bundled_root

    paths = csv_paths(bundled_root())
    results = import_and_read(runs, cnplans=(CNPLANS, []), pandas=(PANDAS, paths))
    rows = {name: r.stdout[0].split()[2] for name, r in results.items()}
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(
        f"{len(paths)} tables, {rows['cnplans']} rows (pandas read {rows['pandas']}); {runs} runs"
    )
    print_import_and_read(results)


if __name__ == "__main__":
    main()
