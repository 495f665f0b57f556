"""Benchmark: validating the real package, against frictionless and through nox.

* ``cnplans validate datapackage.json`` against ``frictionless validate datapackage.json`` in
  the repository, fresh processes alternating which goes first, ``--runs`` times (default 7):
  the medians and their ratio cnplans / frictionless (goal: at most 1.2);
* ``nox -s validate``, the plain command a contributor types, run once and discarded (it may
  create or update its virtual environment), then ``--nox-runs`` times: the wall time of each
  and their median (goal: under 2 s). nox is the one on ``PATH``, else ``python -m nox``; when
  neither is there, it says so.

It prints figures and never fails on them. Usage: ``python benchmarks/real_package.py [--runs 7]
[--nox-runs 3]``.
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
        {
            "cnplans": [python, "-m", "cnplans", "validate", "datapackage.json"],
            "frictionless": [python, "-m", "frictionless", "validate", "datapackage.json"],
        },
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
    run(command, Runs(), cwd=REPO, plain=True)  # the first run: discarded
    timed = Runs()
    for _ in range(args.nox_runs):
        run(command, timed, cwd=REPO, plain=True)
    each = ", ".join(f"{s:.2f}" for s in timed.seconds)
    print(
        f"{' '.join(command)} after a first run: {each} s; median {timed.median:.2f} s "
        "(goal: under 2 s)"
    )


if __name__ == "__main__":
    main()
