"""Benchmark: ``cnplans.drafting.quantities.find_quantities`` against a bare digit scan of the
same quotes.

The corpus: the resources' ``quote`` cells, made distinct, to about 10,000, and about 2,000
invented Chinese plan sentences. Alternated runs in this process; prints the median ratio of the
times and microseconds per quote. The first run saves the corpus and every result to
``--reference``; later runs time that corpus and print whether the results are identical (OK)
or not (DIFFERENT). ``--rebuild`` writes a new reference.

Usage: ``python benchmarks/quantities.py [--runs 7] [--reference PATH] [--rebuild]`` from the
repository.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

from timing import REPO, alternate, arguments

from cnplans.drafting.quantities import find_quantities

DEFAULT_REFERENCE = Path("/tmp/qbench/quantities_reference.json")
ENGLISH_QUOTES = 10_000
CHINESE_QUOTES = 2_000
BASELINE = re.compile(r"[0-9]+(?:\.[0-9]+)?")

Result = tuple[tuple[object, ...], ...]


def chinese_sentences(count: int) -> list[str]:
    """Invented plan sentences in Chinese: targets, ranges, percentages, counts, strive words."""
    templates: tuple[Callable[[int], str], ...] = (
        lambda i: (
            f"到{2025 + i % 5}年，全省新材料产业营业收入力争突破{i % 90 + 10}00亿元，"
            f"培育{i % 7 + 2}至{i % 7 + 5}家龙头企业。"
        ),
        lambda i: (
            f"“十四五”期间，规模以上工业增加值年均增长{i % 9 + 5}%左右，"
            f"研发投入强度达到{i % 3 + 2}.{i % 10}%以上。"
        ),
        lambda i: (
            f"建设{'一二三四五六七八九'[i % 9]}个省级产业园区，新增高新技术企业{i % 40 + 10}0家，"
            f"总投资约{i % 50 + 1}.{i % 10}亿元。"
        ),
        lambda i: (
            f"争取在{2026 + i % 4}年前引进项目{i % 30 + 5}个以上，带动就业{i % 8 + 1}万人，"
            f"单位GDP能耗下降{i % 5 + 10}个百分点。"
        ),
        lambda i: (
            f"（{'一二三四五六'[i % 6]}）实施{i % 12 + 3}项重点工程，"
            f"形成{i % 4 + 1}个千亿级产业集群和{i % 20 + 10}多家专精特新企业。"
        ),
    )
    return [templates[i % len(templates)](i) for i in range(count)]


def build_corpus() -> list[str]:
    """About 10,000 distinct ``quote`` cells of ``resources/`` and 2,000 Chinese sentences."""
    base: list[str] = []
    for path in sorted((REPO / "resources").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            base += [q for row in csv.DictReader(handle) if (q := (row.get("quote") or "").strip())]
    if not base:
        raise SystemExit("no quotes found under resources/")
    english = [f"{base[i % len(base)]} item {i}." for i in range(ENGLISH_QUOTES)]
    return english + chinese_sentences(CHINESE_QUOTES)


def results_of(corpus: Sequence[str]) -> list[Result]:
    """Every field of every Quantity of every quote, as plain tuples."""
    return [
        tuple(
            (q.value, q.value_max, q.unit, q.qualifier, q.strive, q.start, q.end, q.text)
            for q in find_quantities(quote)
        )
        for quote in corpus
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Time both over the corpus, print the figures; exit 1 when the results differ."""
    parser = arguments(__doc__, 7)
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--rebuild", action="store_true", help="write a new reference")
    args = parser.parse_args(argv)

    if args.rebuild or not args.reference.exists():
        corpus = build_corpus()
        results = results_of(corpus)
        args.reference.parent.mkdir(parents=True, exist_ok=True)
        saved = json.dumps({"quotes": corpus, "results": results}, ensure_ascii=False)
        args.reference.write_text(saved, encoding="utf-8")
        print(f"saved the corpus and its results to {args.reference}")
        identical = True
    else:
        data = json.loads(args.reference.read_text(encoding="utf-8"))
        corpus = data["quotes"]
        results = results_of(corpus)
        identical = results == [tuple(map(tuple, rows)) for rows in data["results"]]
        if build_corpus() != corpus:
            print(f"note: resources changed since {args.reference}; timing the saved corpus")
    mean_length = sum(map(len, corpus)) / len(corpus)
    print(f"corpus: {len(corpus)} quotes of {mean_length:.0f} characters on average")
    print(f"find_quantities finds {sum(map(len, results))} quantities in it")

    times = alternate(
        {
            "scan": lambda: [BASELINE.findall(quote) for quote in corpus],
            "find": lambda: [find_quantities(quote) for quote in corpus],
        },
        args.runs,
    )
    ratios = [a / b for a, b in zip(times["find"].seconds, times["scan"].seconds, strict=True)]
    print(
        f"find_quantities takes {statistics.median(ratios):.1f} x the time of a bare digit scan "
        f"(median of {args.runs} runs; range {min(ratios):.1f}-{max(ratios):.1f})"
    )
    per_quote = {name: t.median / len(corpus) * 1e6 for name, t in times.items()}
    print(
        f"find_quantities: {per_quote['find']:.1f} µs per quote (median); "
        f"digit scan: {per_quote['scan']:.2f} µs per quote"
    )
    print("results: " + ("OK" if identical else "DIFFERENT"))
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
