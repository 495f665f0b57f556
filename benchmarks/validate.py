"""Benchmark: ``cnplans validate`` against ``frictionless validate`` on synthetic packages.

Per size (target rows; ``scripts/synth.py`` writes each package once into ``--work``),
alternated fresh processes of both and of the floor (pandas reading every CSV with pyarrow):
medians, ratios, peak memory, rows per second. Then, at the largest size, the loader's
``read_table`` of the targets against ``pandas.read_csv``. Prints figures against targets.

Usage: ``python benchmarks/validate.py [--sizes 10000,100000,1000000] [--runs 5]
[--runs-large 3] [--work DIR]`` from the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import timing

LARGE = 1_000_000  # sizes from this many rows up run --runs-large times
MAX_FILE_MB = 4096  # the synthetic targets.csv outgrows the default 200 MB limit at 1M rows
CNPLANS = ("-m", "cnplans", "validate", "--format", "json", "--max-file-size-mb", str(MAX_FILE_MB))
FLOOR = 'rows = sum(len(pandas.read_csv(p, engine="pyarrow")) for p in sys.argv[1:])\nprint(rows)'
LOAD_CNPLANS = """from pathlib import Path
from cnplans.loader import read_table
rows = len(read_table(Path(sys.argv[1]), "targets"))"""
LOAD_PANDAS = "rows = len(pandas.read_csv(sys.argv[1]))"


def synthesize(rows: int, work: Path) -> Path:
    """The synthetic package of ``rows`` targets in ``work`` (written once, then reused)."""
    out = work / f"targets-{rows}"
    marker = out / ".cnplans-benchmark-rows"
    if marker.exists() and marker.read_text(encoding="utf-8").strip() == str(rows):
        return out
    print(f"writing a synthetic package of {rows:,} target rows to {out} ...", flush=True)
    # In a process of its own, so this one stays small and the children it forks start small.
    command = [sys.executable, str(timing.REPO / "scripts" / "synth.py"), str(rows), str(out)]
    subprocess.run(command, check=True, env=timing.env(), stdout=subprocess.DEVNULL)
    marker.write_text(f"{rows}\n", encoding="utf-8")
    return out


def total_rows(package: Path) -> int:
    """Data rows of all tables (lines but headers: no synthetic cell spans lines)."""
    count = 0
    for path in timing.csv_paths(package):
        with open(path, "rb") as file:
            count += sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 24), b"")) - 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its tables; exit 0 (the figures are for reading)."""
    parser = timing.arguments(__doc__, 5, "fresh-process runs per tool")
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="target rows, comma-separated"
    )
    parser.add_argument(
        "--runs-large", type=int, default=3, help=f"runs per tool from {LARGE:,} rows up"
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / "cnplans-bench",
        help="folder for the synthetic packages (kept and reused between runs)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.work.mkdir(parents=True, exist_ok=True)

    print(f"machine: {timing.machine()}")
    print(f"runs: {args.runs} per tool ({args.runs_large} from {LARGE:,} target rows); medians")
    lines = [
        f"{'targets':>9} {'all rows':>10} {'cnplans s':>10} {'frictionless s':>15} "
        f"{'fl/cn':>6} {'floor s':>8} {'cn/floor':>9} {'cnplans MiB':>12} "
        f"{'frictionless MiB':>17} {'floor MiB':>10} {'cnplans rows/s':>15} "
        f"{'frictionless rows/s':>20}"
    ]
    python = sys.executable
    for size in sizes:
        package = synthesize(size, args.work)
        rows = total_rows(package)
        runs = args.runs_large if size >= LARGE else args.runs
        results = timing.alternate(
            {
                "cnplans": [python, *CNPLANS, str(package)],
                "frictionless": [
                    *(python, "-m", "frictionless", "validate"),
                    str(package / "datapackage.json"),
                ],
                "floor": [python, "-c", f"import sys, pandas\n{FLOOR}", *timing.csv_paths(package)],
            },
            runs,
        )
        cn, fl, floor = results["cnplans"], results["frictionless"], results["floor"]
        lines.append(
            f"{size:>9,} {rows:>10,} {cn.median:>10.2f} {fl.median:>15.2f} "
            f"{fl.median / cn.median:>6.1f} {floor.median:>8.2f} "
            f"{cn.median / floor.median:>9.2f} {cn.peak_mib:>12.0f} {fl.peak_mib:>17.0f} "
            f"{floor.peak_mib:>10.0f} {rows / cn.median:>15,.0f} {rows / fl.median:>20,.0f}"
        )
        print(lines[-1], flush=True)

    print()
    print("\n".join(lines))
    if not sizes:
        return 0
    print(f"\nat {size:,} target rows:")
    print(f"  cnplans {fl.median / cn.median:.1f}x faster than frictionless (target: 10x or more)")
    print(f"  cnplans {cn.median / floor.median:.2f}x the read-only floor (target: 4x or less)")
    print(f"  cnplans peak memory {cn.peak_mib:.0f} MiB (target: at most 512 MiB)")

    targets = str(package / "resources" / "targets.csv")
    loader = timing.import_and_read(
        runs, cnplans=(LOAD_CNPLANS, [str(package)]), pandas=(LOAD_PANDAS, [targets])
    )
    print(f"\nloader: targets.csv of {size:,} rows, fresh processes, medians")
    timing.print_import_and_read(loader)
    print("(target: a ratio of 1.5 or less for import + read)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
