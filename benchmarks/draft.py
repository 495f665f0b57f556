"""Benchmark: how many curated targets ``cnplans draft`` proposes right, and how fast it drafts.

Accuracy on the live package: a curated ``targets`` row is found when a row drafted (``--all``)
from its source has its value, upper value and unit inside its quote; prints the shares found
and found with the right qualifier, strive flag and year, and what was missed or differs
(``tests/drafting/test_draft.py`` runs :func:`score` on a frozen copy). Speed: drafting the
sources repeated to about 300 KB against the quantity reader alone, in this process: medians.

Usage: ``python benchmarks/draft.py [--runs 5]`` from the repository (``src`` first on the path).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
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
        for row in (r for r in rows if r["source_id"] == source_id):
            start = text.find(row["quote"])
            found = next(
                (
                    c
                    for c in drafted
                    if all(c.row[k] == row[k] for k in ("value", "value_max", "unit"))
                    and (start < 0 or (c.start < start + len(row["quote"]) and c.end > start))
                ),
                None,
            )
            label = row.get("target_id") or row["quote"][:40]
            if found is None:
                result.misses.append(f"not proposed: {label}")
                continue
            drafted.remove(found)  # each drafted row matches one curated row at most
            result.numbers += 1
            got = found.row
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


def main() -> int:
    """Print the accuracy on the live package and the drafting speed."""
    from timing import alternate, arguments  # here: tests/drafting/test_draft.py imports this file

    runs = arguments(__doc__, 5).parse_args().runs
    with (REPO / "resources" / "targets.csv").open(encoding="utf-8", newline="") as handle:
        targets = list(csv.DictReader(handle))
    with (REPO / "resources" / "sources.csv").open(encoding="utf-8", newline="") as handle:
        sources = list(csv.DictReader(handle))
    texts = {s["source_id"]: (REPO / s["path"]).read_text(encoding="utf-8") for s in sources}
    years = {
        s["source_id"]: int(s["published"][:4]) if s["dateline"] and s["published"] else None
        for s in sources
    }
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

    draft = partial(draft_targets, big, plan_id="p", source_id="s", include_all=True)
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
