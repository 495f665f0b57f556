"""Benchmark: ``cnplans validate`` against ``frictionless validate`` on synthetic packages.

For each size (target rows; the other tables are proportionate, see ``scripts/synth.py``) a
valid synthetic package is written once into the work folder, then every tool runs in fresh
processes, alternating which goes first, several times:

* ``cnplans validate`` (all checks: types, constraints, keys, quotes in their sources,
  hashes, derived dollar columns);
* ``frictionless validate`` of the same ``datapackage.json``;
* the floor: a process that only reads every CSV of the package with
  ``pandas.read_csv(path, engine="pyarrow")``.

It prints, per size, the median wall time of each, the ratio frictionless / cnplans and
cnplans / floor, each tool's peak memory (the child's ``ru_maxrss``, largest over the runs)
and rows per second (rows of all tables over the median time). Then the loader at the largest
size: ``cnplans.loader.read_table`` of the targets table (what ``cnplans.load("targets")``
runs, on the synthetic package's folder instead of the bundled data) against a plain
``pandas.read_csv`` of the same file, each in fresh processes.

Usage: ``python benchmarks/validate.py [--sizes 10000,100000,1000000] [--runs 5]
[--runs-large 3] [--work DIR]`` from the repository (``src`` is put first on the path). The
targets, at the largest size: cnplans at least 10x faster than frictionless, within 4x of the
floor, under 1 GiB of memory; the loader within 1.5x of ``pandas.read_csv`` (import + read).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LARGE = 1_000_000  # sizes from this many rows up run --runs-large times
MAX_FILE_MB = 4096  # the synthetic targets.csv outgrows the default 200 MB limit at 1M rows

FLOOR = """
import sys
import pandas
rows = sum(len(pandas.read_csv(path, engine="pyarrow")) for path in sys.argv[1:])
print(rows)
"""

LOAD_CNPLANS = """
import sys, time
start = time.perf_counter()
import pandas
imported = time.perf_counter()
from pathlib import Path
from cnplans.loader import read_table
frame = read_table(Path(sys.argv[1]), "targets")
done = time.perf_counter()
print(done - start, done - imported, len(frame))
"""

LOAD_PANDAS = """
import sys, time
start = time.perf_counter()
import pandas
imported = time.perf_counter()
frame = pandas.read_csv(sys.argv[1])
done = time.perf_counter()
print(done - start, done - imported, len(frame))
"""


@dataclass
class Runs:
    """Wall times (seconds) and peak memory (bytes) of one tool's fresh-process runs."""

    seconds: list[float] = field(default_factory=list)
    peak_bytes: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_mib(self) -> float:
        return max(self.peak_bytes) / 2**20


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    return env


def measured(command: Sequence[str], expect: set[int]) -> tuple[float, int, str]:
    """Run one fresh process; wall seconds, its own peak resident memory (bytes), stdout.

    The peak is the child's ``ru_maxrss`` from ``os.wait4``; where that is missing it is
    ``RUSAGE_CHILDREN``'s, the largest of all children so far (an upper bound). A child's
    peak includes what it inherited when forked, so this process imports nothing large.
    """
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        start = time.perf_counter()
        process = subprocess.Popen(list(command), stdout=out, stderr=subprocess.DEVNULL, env=_env())
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            peak = usage.ru_maxrss * scale
        else:  # pragma: no cover - not POSIX
            process.wait()
            wall = time.perf_counter() - start
            import resource

            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
        out.seek(0)
        stdout = out.read()
    if process.returncode not in expect:
        raise SystemExit(
            f"{' '.join(command[:5])} ... exited with {process.returncode}, expected "
            f"{sorted(expect)}"
        )
    return wall, peak, stdout


def synthesize(rows: int, work: Path) -> Path:
    """The synthetic package of ``rows`` targets in ``work`` (written once, then reused)."""
    out = work / f"targets-{rows}"
    marker = out / ".cnplans-benchmark-rows"
    if marker.exists() and marker.read_text(encoding="utf-8").strip() == str(rows):
        return out
    print(f"writing a synthetic package of {rows:,} target rows to {out} ...", flush=True)
    # In a process of its own: this one stays small, so the children it forks start small
    # (a child's ru_maxrss counts what it inherited at fork).
    command = [sys.executable, str(REPO / "scripts" / "synth.py"), str(rows), str(out)]
    subprocess.run(command, check=True, env=_env(), stdout=subprocess.DEVNULL)
    marker.write_text(f"{rows}\n", encoding="utf-8")
    return out


def csv_paths(package: Path) -> list[str]:
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    return [str(package / r["path"]) for r in descriptor["resources"]]


def total_rows(package: Path) -> int:
    """Data rows of all tables (no cell of the synthetic data spans lines)."""
    count = 0
    for path in csv_paths(package):
        with open(path, "rb") as file:
            while chunk := file.read(1 << 24):
                count += chunk.count(b"\n")
        count -= 1  # the header
    return count


def bench_size(package: Path, runs: int) -> dict[str, Runs]:
    """Median-ready timings of the three tools on one package."""
    tools = {
        "cnplans": (
            [
                *(sys.executable, "-m", "cnplans", "validate", "--format", "json"),
                *("--max-file-size-mb", str(MAX_FILE_MB), str(package)),
            ],
            {0},
        ),
        "frictionless": (
            [sys.executable, "-m", "frictionless", "validate", str(package / "datapackage.json")],
            {0},
        ),
        "floor": ([sys.executable, "-c", FLOOR, *csv_paths(package)], {0}),
    }
    results = {name: Runs() for name in tools}
    names = list(tools)
    for i in range(runs):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            command, expect = tools[name]
            wall, peak, _ = measured(command, expect)
            results[name].seconds.append(wall)
            results[name].peak_bytes.append(peak)
    return results


def bench_loader(package: Path, runs: int) -> dict[str, list[tuple[float, float, float]]]:
    """(wall, import + read, read only) of the loader and of pandas.read_csv, per run."""
    targets = str(package / "resources" / "targets.csv")
    sides = {
        "cnplans": [sys.executable, "-c", LOAD_CNPLANS, str(package)],
        "pandas": [sys.executable, "-c", LOAD_PANDAS, targets],
    }
    timings: dict[str, list[tuple[float, float, float]]] = {name: [] for name in sides}
    for i in range(runs):
        order = list(sides) if i % 2 == 0 else list(sides)[::-1]
        for name in order:
            wall, _, stdout = measured(sides[name], {0})
            total, read, _rows = stdout.split()
            timings[name].append((wall, float(total), float(read)))
    return timings


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version  # not the packages: this process stays small

    versions = ", ".join(
        f"{name} {version(name)}" for name in ("pandas", "pyarrow", "frictionless")
    )
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    return (
        f"{today}; {os.cpu_count()} CPUs ({model}); Python {platform.python_version()} "
        f"on {platform.system()}; {versions}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its tables; exit 0 (the figures are for reading)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="target rows, comma-separated"
    )
    parser.add_argument("--runs", type=int, default=5, help="fresh-process runs per tool")
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

    print(f"machine: {machine()}")
    print(f"runs: {args.runs} per tool ({args.runs_large} from {LARGE:,} target rows); medians")
    header = (
        f"{'targets':>9} {'all rows':>10} {'cnplans s':>10} {'frictionless s':>15} "
        f"{'fl/cn':>6} {'floor s':>8} {'cn/floor':>9} {'cnplans MiB':>12} "
        f"{'frictionless MiB':>17} {'floor MiB':>10} {'cnplans rows/s':>15} "
        f"{'frictionless rows/s':>20}"
    )
    lines = [header]
    largest: tuple[int, dict[str, Runs], Path] | None = None
    for size in sizes:
        package = synthesize(size, args.work)
        rows = total_rows(package)
        results = bench_size(package, args.runs_large if size >= LARGE else args.runs)
        cn, fl, floor = results["cnplans"], results["frictionless"], results["floor"]
        lines.append(
            f"{size:>9,} {rows:>10,} {cn.median:>10.2f} {fl.median:>15.2f} "
            f"{fl.median / cn.median:>6.1f} {floor.median:>8.2f} "
            f"{cn.median / floor.median:>9.2f} {cn.peak_mib:>12.0f} {fl.peak_mib:>17.0f} "
            f"{floor.peak_mib:>10.0f} {rows / cn.median:>15,.0f} {rows / fl.median:>20,.0f}"
        )
        print(lines[-1], flush=True)
        largest = (size, results, package)

    print()
    print("\n".join(lines))
    if largest is None:
        return 0
    size, results, package = largest
    cn, fl, floor = results["cnplans"], results["frictionless"], results["floor"]
    print()
    print(f"at {size:,} target rows:")
    print(f"  cnplans {fl.median / cn.median:.1f}x faster than frictionless (target: 10x or more)")
    print(f"  cnplans {cn.median / floor.median:.2f}x the read-only floor (target: 4x or less)")
    print(f"  cnplans peak memory {cn.peak_mib:.0f} MiB (target: under 1024 MiB)")

    loader = bench_loader(package, args.runs_large if size >= LARGE else args.runs)
    print()
    print(f"loader: targets.csv of {size:,} rows, fresh processes, medians")
    print(f"{'median seconds':<16}{'cnplans':>10}{'pandas':>10}{'ratio':>8}")
    for column, label in enumerate(("wall", "import + read", "read only")):
        ours = statistics.median(t[column] for t in loader["cnplans"])
        theirs = statistics.median(t[column] for t in loader["pandas"])
        print(f"{label:<16}{ours:>10.3f}{theirs:>10.3f}{ours / theirs:>8.2f}")
    print("(target: a ratio of 1.5 or less for import + read)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
