"""Benchmark: how many curated targets ``cnplans draft`` proposes right, and how fast it drafts.

Accuracy: every curated ``targets`` row is looked for among the rows drafted (``--all``, so
thresholds count too) from its own source text: a drafted row with the same value, upper value
and unit whose figure lies inside the curated quote. Of the rows found, the qualifier and strive
flag, and the target year, are compared. It prints the share with the right value, unit and
upper value, and the share with the right qualifier and year, over every curated target (a
target not found counts as wrong in both), and lists what was missed or differs.

By default it scores the live package (``resources/``, ``sources/``).
``tests/drafting/test_draft.py`` scores a frozen copy of the five seed sources' curated targets
(``tests/fixtures/draft/curated-*.csv``) with :func:`score` and asserts the figure does not
fall below what it was.

Speed: the five source texts repeated to about 300 KB are drafted ``--runs`` times; the baseline,
in the same process, is the quantity reader alone over the same sentences. It prints the
median time of each and their ratio (these machines are noisy: read the ratio).

Usage: ``python benchmarks/draft.py [--runs 5]`` from the repository (``src`` first on the path).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cnplans.drafting.draft import draft_targets, sentences  # noqa: E402
from cnplans.drafting.quantities import find_quantities  # noqa: E402

TEXT_BYTES = 300_000


@dataclass
class Score:
    """Curated targets found with the right numbers, and with the right qualifier and year."""

    total: int = 0
    numbers: int = 0  # value, value_max and unit right
    qualifier_and_year: int = 0  # and also qualifier, strive and target_year right
    misses: list[str] = field(default_factory=list)

    @property
    def numbers_share(self) -> float:
        return self.numbers / self.total if self.total else 1.0

    @property
    def qualifier_and_year_share(self) -> float:
        return self.qualifier_and_year / self.total if self.total else 1.0


def score(
    curated: Iterable[Mapping[str, str]],
    texts: Mapping[str, str],
    dateline_years: Mapping[str, int | None],
) -> Score:
    """Score drafts of ``texts`` (source_id -> text) against curated ``targets`` rows."""
    rows = list(curated)
    result = Score(total=len(rows))
    for source_id, text in texts.items():
        drafted = draft_targets(
            text,
            plan_id="p",
            source_id=source_id,
            dateline_year=dateline_years.get(source_id),
            include_all=True,
        ).targets
        used: set[int] = set()
        for row in (r for r in rows if r["source_id"] == source_id):
            quote_start = text.find(row["quote"])
            quote_end = quote_start + len(row["quote"])
            found = next(
                (
                    i
                    for i, c in enumerate(drafted)
                    if i not in used
                    and (c.row["value"], c.row["value_max"], c.row["unit"])
                    == (row["value"], row["value_max"], row["unit"])
                    and (quote_start < 0 or (c.start < quote_end and c.end > quote_start))
                ),
                None,
            )
            label = row.get("target_id") or row["quote"][:40]
            if found is None:
                result.misses.append(f"not proposed: {label}")
                continue
            used.add(found)
            result.numbers += 1
            got = drafted[found].row
            differ = ", ".join(
                f"{name} {got[name]!r} (curated {row[name]!r})"
                for name in ("qualifier", "strive", "target_year")
                if got[name] != row[name]
            )
            if differ:
                result.misses.append(f"differs: {label}: {differ}")
            else:
                result.qualifier_and_year += 1
    return result


def live_package() -> tuple[list[dict[str, str]], dict[str, str], dict[str, int | None]]:
    """The curated targets, the source texts and their dateline years of the live package."""
    with (REPO / "resources" / "targets.csv").open(encoding="utf-8", newline="") as handle:
        targets = list(csv.DictReader(handle))
    with (REPO / "resources" / "sources.csv").open(encoding="utf-8", newline="") as handle:
        sources = list(csv.DictReader(handle))
    texts = {s["source_id"]: (REPO / s["path"]).read_text(encoding="utf-8") for s in sources}
    years = {
        s["source_id"]: int(s["published"][:4]) if s["dateline"] and s["published"] else None
        for s in sources
    }
    return targets, texts, years


def main() -> int:
    """Print the accuracy on the live package and the drafting speed."""
    from timing import alternate, arguments  # here: tests/drafting/test_draft.py imports this file

    runs = arguments(__doc__, 5).parse_args().runs

    targets, texts, years = live_package()
    result = score(targets, texts, years)
    print(
        f"draft accuracy on {len(texts)} sources, {result.total} curated targets: "
        f"value, unit and value_max right for {result.numbers} "
        f"({result.numbers_share:.1%}); qualifier and year also right for "
        f"{result.qualifier_and_year} ({result.qualifier_and_year_share:.1%})"
    )
    for miss in result.misses:
        print(f"  {miss}")

    joined = "\n\n".join(texts.values())
    big = "\n\n".join([joined] * (TEXT_BYTES // len(joined.encode("utf-8")) + 1))

    def reader_only() -> None:
        for start, end in sentences(big):
            find_quantities(big[start:end])

    def draft() -> None:
        draft_targets(big, plan_id="p", source_id="s", include_all=True)

    times = alternate({"reader": reader_only, "draft": draft}, runs)
    reader, drafted = times["reader"].median, times["draft"].median
    print(
        f"drafting a {len(big.encode('utf-8')) // 1000} KB text: median {drafted:.2f} s over "
        f"{runs} runs, {drafted / reader:.1f}x the quantity reader alone "
        f"(median {reader:.2f} s) in the same session"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
