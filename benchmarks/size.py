"""Benchmark: how many lines of Python the project has, against issue 14's goals.

Counts line feeds (as ``wc -l``) of the non-test ``.py`` files (named ``test_*`` or under
``tests/``) per folder, and prints the totals against the goals; it never fails.

Usage: ``python benchmarks/size.py`` from anywhere.
"""

from __future__ import annotations

from collections import Counter

from timing import REPO


def main() -> None:
    """Print the line counts per folder and the totals against the goals."""
    files = [REPO / "noxfile.py"]
    for folder in ("src", "scripts", "benchmarks"):
        files += sorted((REPO / folder).rglob("*.py"))
    lines = {
        path.relative_to(REPO): path.read_bytes().count(b"\n")
        for path in files
        if path.is_file() and not path.name.startswith("test_") and "tests" not in path.parts
    }
    folders: Counter[str] = Counter()
    for path, count in lines.items():
        folders[path.parent.as_posix() + "/" if path.parent.parts else path.name] += count
    for folder, count in sorted(folders.items()):
        print(f"{count:>7,}  {folder}")
    in_cnplans = sum(c for p, c in lines.items() if p.parts[:2] == ("src", "cnplans"))
    print()
    for name, total, goal in (
        ("src + scripts + benchmarks + noxfile.py", sum(lines.values()), 10_000),
        ("src/cnplans", in_cnplans, 6_000),
    ):
        verdict = "within the goal" if total <= goal else f"{total - goal:,} over"
        print(f"{total:>7,}  {name} (goal: at most {goal:,}; {verdict})")


if __name__ == "__main__":
    main()
