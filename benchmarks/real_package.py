"""Benchmark: validating the real package, against frictionless and through nox.

``cnplans validate`` against ``frictionless validate`` of ``datapackage.json`` (alternated
fresh processes, medians, their ratio), and ``nox -s validate`` after a discarded first run
(nox from ``PATH``, else ``python -m nox``). Prints figures against goals; never fails on them.

Usage: ``python benchmarks/real_package.py [--runs 7] [--nox-runs 3]``.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys

from timing import REPO, Runs, alternate, arguments, machine, run


def main() -> None:
    """Run both measurements and print their medians and ratios."""
    parser = arguments(__doc__, 7, "runs of each validator")
    parser.add_argument("--nox-runs", type=int, default=3, help="timed runs of nox -s validate")
    args = parser.parse_args()
    print(f"machine: {machine()}")

    python = sys.executable
    results = alternate(
        {t: [python, "-m", t, "validate", "datapackage.json"] for t in ("cnplans", "frictionless")},
        args.runs,
        expect=(0, 1),  # timed whatever they find
        cwd=REPO,
    )
    cn, fl = results["cnplans"].median, results["frictionless"].median
    print(f"real package, fresh processes, median of {args.runs}:")
    print(f"  cnplans validate      {cn:.3f} s")
    print(f"  frictionless validate {fl:.3f} s")
    print(f"  ratio cnplans / frictionless {cn / fl:.2f} (goal: at most 1.2)")

    if found := shutil.which("nox"):
        nox = [found]
    elif importlib.util.find_spec("nox"):
        nox = [sys.executable, "-m", "nox"]
    else:
        print("nox -s validate: nox is neither on PATH nor importable; not measured")
        return
    command = [*nox, "-s", "validate"]
    timed = Runs()
    for i in range(args.nox_runs + 1):  # the first run (it may set up the session) is discarded
        run(command, timed if i else Runs(), cwd=REPO, plain=True)
    each = ", ".join(f"{s:.2f}" for s in timed.seconds)
    print(
        f"{' '.join(command)} after a first run: {each} s; median {timed.median:.2f} s "
        "(goal: under 2 s)"
    )


if __name__ == "__main__":
    main()
