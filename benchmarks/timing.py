"""What the benchmarks share: the command line, alternated runs (fresh processes with wall
time and peak memory, or calls in this process), medians, the machine.

Imported as ``timing`` (a script's folder is first on the path); it puts the checkout's ``src``
next. Only the standard library, so the processes it starts begin small (a forked child's
``ru_maxrss`` counts what it inherited).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def arguments(doc: str, runs: int, about: str | None = None) -> argparse.ArgumentParser:
    """A command line described by the first paragraph of ``doc``, with ``--runs``."""
    parser = argparse.ArgumentParser(description=" ".join(doc.split("\n\n")[0].split()))
    parser.add_argument("--runs", type=int, default=runs, help=about)
    return parser


def env() -> dict[str, str]:
    """This process's environment with the checkout's ``src`` first on ``PYTHONPATH``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    return env


def csv_paths(package: Path) -> list[str]:
    """The table files of the data package in the folder ``package``."""
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    return [str(package / r["path"]) for r in descriptor["resources"]]


@dataclass
class Runs:
    """Wall times (seconds) of runs; of fresh processes also peak memory (bytes) and output."""

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
    """Run ``command`` once in a fresh process (with :func:`env` unless ``plain``) and add its
    wall time, peak (its ``ru_maxrss``: bytes on macOS, KiB on Linux) and output to ``runs``."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.DEVNULL,
            env=None if plain else env(),
            cwd=cwd,
        )
        _, status, usage = os.wait4(process.pid, 0)
        runs.seconds.append(time.perf_counter() - start)
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped: tell Popen
        runs.peak_bytes.append(usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024))
        out.seek(0)
        runs.stdout.append(out.read())
    if (code := process.returncode) not in expect:
        raise SystemExit(
            f"{' '.join(command[:5])} ... exited with {code}, expected {sorted(expect)}"
        )


def alternate(
    works: Mapping[str, Sequence[str] | Callable[[], object]],
    runs: int,
    expect: Collection[int] = (0,),
    cwd: Path | None = None,
) -> dict[str, Runs]:
    """Each of ``works`` ``runs`` times, reversing the order every other round (so drift in the
    machine's speed hits all alike): a command in a fresh process (:func:`run`), a function
    called in this process (its wall seconds only, after a garbage collection)."""
    results = {name: Runs() for name in works}
    for i in range(runs):
        for name in list(works)[:: 1 if i % 2 == 0 else -1]:
            work = works[name]
            if callable(work):
                gc.collect()
                start = time.perf_counter()
                work()
                results[name].seconds.append(time.perf_counter() - start)
            else:
                run(work, results[name], expect, cwd)
    return results


# A reader's process: prints its seconds from before ``import pandas`` and from after it, and
# the ``rows`` that its reading code ``{read}`` sets.
IMPORT_AND_READ = """
import sys, time
start = time.perf_counter()
import pandas
imported = time.perf_counter()
{read}
done = time.perf_counter()
print(done - start, done - imported, rows)
"""


def import_and_read(runs: int, **readers: tuple[str, Sequence[str]]) -> dict[str, Runs]:
    """Alternated fresh-process runs of each reader: (reading code, its ``sys.argv``)."""
    return alternate(
        {
            name: [sys.executable, "-c", IMPORT_AND_READ.format(read=code), *argv]
            for name, (code, argv) in readers.items()
        },
        runs,
    )


def print_import_and_read(results: dict[str, Runs]) -> None:
    """The medians of wall, import + read and read-only seconds of two sides, and their ratio."""
    ours, theirs = results
    print(f"{'median seconds':<16}{ours:>10}{theirs:>10}{'ratio':>8}")
    medians = [
        [r.median, *(statistics.median(float(out.split()[i]) for out in r.stdout) for i in (0, 1))]
        for r in results.values()
    ]
    for label, a, b in zip(("wall", "import + read", "read only"), *medians, strict=True):
        print(f"{label:<16}{a:>10.4f}{b:>10.4f}{a / b:>8.2f}")


def machine() -> str:
    """The date, CPUs, Python and the versions of the packages the benchmarks compare."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        cpus = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        if found := re.search("^model name[^:]*:(.*)", cpus, re.M):
            model = found[1].strip()
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
