"""What the benchmarks share: fresh-process runs (wall time, peak memory), medians, the machine.

The benchmarks import it as ``timing`` (Python puts the script's folder first on the path).
This module imports only the standard library, so the processes it starts begin small (a
child's ``ru_maxrss`` counts what it inherited when forked).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def env() -> dict[str, str]:
    """This process's environment with the checkout's ``src`` first on ``PYTHONPATH``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    return env


@dataclass
class Runs:
    """Wall times (seconds), peak memory (bytes) and standard output of fresh-process runs."""

    seconds: list[float] = field(default_factory=list)
    peak_bytes: list[int] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_mib(self) -> float:
        return max(self.peak_bytes) / 2**20


def run(
    command: Sequence[str],
    runs: Runs,
    expect: Collection[int] = (0,),
    cwd: Path | None = None,
    plain: bool = False,
) -> None:
    """Run ``command`` once in a fresh process and add its wall time, peak and output to ``runs``.

    The child gets :func:`env` (``plain``: this process's own environment). The peak is the
    child's own ``ru_maxrss`` (``os.wait4``); where that is missing it is ``RUSAGE_CHILDREN``'s,
    the largest of all children so far (an upper bound).
    """
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.DEVNULL,
            env=None if plain else env(),
            cwd=cwd,
        )
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(process.pid, 0)
            runs.seconds.append(time.perf_counter() - start)
            process.returncode = os.waitstatus_to_exitcode(status)
            peak = usage.ru_maxrss
        else:  # pragma: no cover - not POSIX
            process.wait()
            runs.seconds.append(time.perf_counter() - start)
            import resource

            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        runs.peak_bytes.append(peak * scale)
        out.seek(0)
        runs.stdout.append(out.read())
    if process.returncode not in expect:
        raise SystemExit(
            f"{' '.join(command[:5])} ... exited with {process.returncode}, expected "
            f"{sorted(expect)}"
        )


def alternate(
    commands: dict[str, Sequence[str]],
    runs: int,
    expect: Collection[int] = (0,),
    cwd: Path | None = None,
) -> dict[str, Runs]:
    """Each command ``runs`` times in fresh processes, reversing the order every other round
    (so drift in the machine's speed hits all alike)."""
    results = {name: Runs() for name in commands}
    for i in range(runs):
        for name in list(commands)[:: 1 if i % 2 == 0 else -1]:
            run(commands[name], results[name], expect, cwd)
    return results


def seconds(work: Callable[[], object]) -> float:
    """Wall seconds of one call of ``work`` in this process (after a garbage collection)."""
    gc.collect()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def alternate_calls(works: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Seconds of each of ``works`` called ``runs`` times in this process, reversing the order
    every other round."""
    times: dict[str, list[float]] = {name: [] for name in works}
    for i in range(runs):
        for name in list(works)[:: 1 if i % 2 == 0 else -1]:
            times[name].append(seconds(works[name]))
    return times


# Runs a table reader in a fresh process; prints its wall time from before ``import pandas``,
# its time after it and its row count. ``{read}`` is the reading code, setting ``rows``.
IMPORT_AND_READ = """
import sys, time
start = time.perf_counter()
import pandas
imported = time.perf_counter()
{read}
done = time.perf_counter()
print(done - start, done - imported, rows)
"""


def print_import_and_read(results: dict[str, Runs]) -> None:
    """The medians of wall, import + read and read-only seconds of two sides, and their ratio."""
    ours, theirs = results
    print(f"{'median seconds':<16}{ours:>10}{theirs:>10}{'ratio':>8}")
    for column, label in enumerate(("wall", "import + read", "read only")):
        a, b = (_median_of(results[side], column) for side in (ours, theirs))
        print(f"{label:<16}{a:>10.4f}{b:>10.4f}{a / b:>8.2f}")


def _median_of(runs: Runs, column: int) -> float:
    """Column 0: the median wall time; 1 and 2: of the first and second printed figure."""
    if column == 0:
        return runs.median
    return statistics.median(float(out.split()[column - 1]) for out in runs.stdout)


def machine() -> str:
    """The date, CPUs, Python and the versions of the packages the benchmarks compare."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in ("pandas", "pyarrow", "frictionless"):
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    return (
        f"{today}; {os.cpu_count()} CPUs ({model}); Python {platform.python_version()} "
        f"on {platform.system()}; {', '.join(versions)}"
    )
