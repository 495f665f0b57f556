"""Benchmark: the engines issue 14 names for validation at scale, on one large table.

Each engine reads a synthetic package's ``targets.csv`` (``scripts/synth.py``) as text and
finds the same three figures: its rows, its distinct ``target_id`` values and its longest
``quote`` in bytes, once holding the whole table (as ``cnplans validate`` loads tables today)
and once batch by batch (as checks on batches would). Fresh processes, alternated; medians,
the ratio to pandas' pyarrow engine (the floor of ``benchmarks/validate.py``) and peak memory.
polars and DuckDB are in the ``bench`` dependency group; an engine that is not installed is
left out.

Usage: ``python benchmarks/engines.py [--rows 1000000] [--runs 3] [--work DIR]`` from the
repository.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from timing import alternate, arguments, machine
from validate import synthesize

TEXT = "[(n, pa.large_string()) for n in open(path, encoding='utf-8').readline()[:-1].split(',')]"
PYARROW = f"""
import pyarrow as pa, pyarrow.csv as pv, pyarrow.compute as pc
reader = pv.open_csv(
    path,
    read_options=pv.ReadOptions(use_threads=False),
    parse_options=pv.ParseOptions(newlines_in_values=True),
    convert_options=pv.ConvertOptions(column_types=dict({TEXT}), strings_can_be_null=False),
)
"""
# name: (engine's module, reading code; it sets rows, distinct and longest from ``path``)
ENGINES = {
    "pandas, whole (baseline)": (
        "pandas",
        "import pandas\n"
        "frame = pandas.read_csv(path, engine='pyarrow', dtype=str, keep_default_na=False)\n"
        "rows, distinct = len(frame), frame['target_id'].nunique()\n"
        "longest = int(frame['quote'].str.encode('utf-8').str.len().max())",
    ),
    "pyarrow streaming reader, whole": (
        "pyarrow",
        PYARROW + "table = reader.read_all()\n"
        "rows, distinct = table.num_rows, len(pc.unique(table['target_id']))\n"
        "longest = pc.max(pc.binary_length(table['quote'])).as_py()",
    ),
    "pyarrow streaming reader, by batch": (
        "pyarrow",
        PYARROW + "rows, ids, longest = 0, set(), 0\n"
        "for batch in reader:\n"
        "    rows += batch.num_rows\n"
        "    ids.update(batch['target_id'].to_pylist())\n"
        "    longest = max(longest, pc.max(pc.binary_length(batch['quote'])).as_py() or 0)\n"
        "distinct = len(ids)",
    ),
    "polars, whole": (
        "polars",
        "import polars as pl\n"
        "frame = pl.read_csv(path, infer_schema=False)\n"
        "rows, distinct = frame.height, frame['target_id'].n_unique()\n"
        "longest = frame['quote'].str.len_bytes().max()",
    ),
    "polars, streaming engine": (
        "polars",
        "import polars as pl\n"
        "rows, distinct, longest = pl.scan_csv(path, infer_schema=False).select(\n"
        "    pl.len(), pl.col('target_id').n_unique(), pl.col('quote').str.len_bytes().max()\n"
        ").collect(engine='streaming').row(0)",
    ),
    "DuckDB, 256 MB memory limit": (
        "duckdb",
        "import duckdb\n"
        "db = duckdb.connect(config={'memory_limit': '256MB'})\n"
        "rows, distinct, longest = db.execute(\n"
        "    'select count(*), count(distinct target_id), max(strlen(quote)) '\n"
        "    'from read_csv(?, all_varchar = true, header = true)', [path]\n"
        ").fetchone()",
    ),
}


def program(code: str) -> str:
    """An engine's process: ``code`` run on the path it is given, then its figures printed."""
    return f"import sys\npath = sys.argv[1]\n{code}\nprint(rows, distinct, longest)"


def main() -> None:
    """Run the benchmark and print a table of medians, ratios and peaks."""
    parser = arguments(__doc__, 3, "fresh-process runs per engine")
    parser.add_argument("--rows", type=int, default=1_000_000, help="target rows")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / "cnplans-bench",
        help="folder for the synthetic package (shared with benchmarks/validate.py)",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    path = synthesize(args.rows, args.work) / "resources" / "targets.csv"
    engines = {n: c for n, (m, c) in ENGINES.items() if importlib.util.find_spec(m) is not None}
    works = {
        name: [sys.executable, "-c", program(code), str(path)] for name, code in engines.items()
    }
    results = alternate(works, args.runs)
    print(f"machine: {machine()}")
    print(f"{path} ({path.stat().st_size / 2**20:,.0f} MiB), {args.runs} runs; medians")
    for name in sorted(set(ENGINES) - set(engines)):
        print(f"not installed, left out: {name}")
    baseline = next(iter(results.values())).median
    print(f"{'engine':<36}{'seconds':>9}{'ratio':>7}{'peak MiB':>10}  rows, distinct, longest")
    for name, runs in results.items():
        print(
            f"{name:<36}{runs.median:>9.2f}{runs.median / baseline:>7.2f}{runs.peak_mib:>10,.0f}"
            f"  {runs.stdout[0].strip()}"
        )


if __name__ == "__main__":
    main()
