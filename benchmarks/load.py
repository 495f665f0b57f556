"""Benchmark: ``cnplans.load_all()`` against plain ``pandas.read_csv`` of the same files.

Fresh processes, alternated; the medians of wall, import + read and read only (pandas already
imported) seconds and their ratios (target: at most 1.5 for import + read).

Usage: ``python benchmarks/load.py [--runs 9]`` from the repository.
"""

from __future__ import annotations

import os
import platform

from timing import arguments, csv_paths, import_and_read, print_import_and_read

from cnplans.datapackage.paths import bundled_root

CNPLANS = "import cnplans\nrows = sum(len(f) for f in cnplans.load_all().values())"
PANDAS = "rows = sum(len(pandas.read_csv(path)) for path in sys.argv[1:])"


def main() -> None:
    """Run the benchmark and print medians and ratios."""
    runs = arguments(__doc__, 9, "fresh-process runs per side").parse_args().runs
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
