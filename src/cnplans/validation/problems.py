"""Problems found in a data package, and the three ways ``cnplans validate`` prints them.

A :class:`Problem` is one thing a contributor has to fix, located the way an editor locates it:
the file (relative to the folder holding ``datapackage.json``), the physical line in that file
(the header of a CSV is line 1) and the column's field name. Reporters turn a list of problems
into text for people, JSON for programs, or GitHub Actions annotations. Standard library only.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from cnplans.datapackage.errors import printable


class CannotRun(Exception):
    """The descriptor itself cannot be used (missing, unreadable, not JSON): exit code 2."""


@dataclass(frozen=True)
class Problem:
    """One problem: where it is (file, line, column) and what is wrong (rule, message).

    ``file`` is relative to the descriptor's folder, with forward slashes. ``line`` is the
    physical line number (1-based; ``None`` for problems about a whole file). ``column`` is a
    field name (``None`` when the problem is not about one column). ``rule`` is a short
    kebab-case id such as ``foreign-key``. ``message`` says what was expected and what was found.
    ``column_number`` is the 1-based position of ``column`` in the file's header, filled in by
    the runner for annotations; checks leave it out.
    """

    file: str
    line: int | None
    column: str | None
    rule: str
    message: str
    column_number: int | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order problems by file, then line, then column position, then rule."""
        return (
            self.file,
            self.line if self.line is not None else 0,
            self.column_number if self.column_number is not None else 0,
            self.rule,
            self.message,
        )

    def record(self) -> dict[str, Any]:
        """The JSON record of this problem: ``file, line, column, rule, message``."""
        data = asdict(self)
        del data["column_number"]
        return data


@dataclass(frozen=True)
class Summary:
    """Counts of problems by file, by rule, and by file and rule."""

    total: int
    by_file: dict[str, int]
    by_rule: dict[str, int]
    by_file_and_rule: dict[str, dict[str, int]]

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> Summary:
        by_file = Counter(p.file for p in problems)
        by_rule = Counter(p.rule for p in problems)
        by_pair: dict[str, Counter[str]] = {}
        for p in problems:
            by_pair.setdefault(p.file, Counter())[p.rule] += 1
        return cls(
            total=len(problems),
            by_file=dict(sorted(by_file.items())),
            by_rule=dict(sorted(by_rule.items())),
            by_file_and_rule={f: dict(sorted(c.items())) for f, c in sorted(by_pair.items())},
        )


def cut(text: str, limit: int) -> str:
    """``text``, its end replaced by "..." when it has more than ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def format_text(
    problems: Sequence[Problem],
    descriptor_label: str,
    stats: str = "",
    crashed: Sequence[str] = (),
) -> str:
    """One line per problem, ``FILE:LINE:COLUMN: rule: message`` (``-`` for no line or column,
    control characters escaped by :func:`printable`), then a summary; ``stats`` (e.g. "8 tables,
    233 rows") is appended to the verdict, ``crashed`` names checks that failed to run."""
    lines = [
        printable(
            f"{p.file}:{p.line if p.line is not None else '-'}:{p.column or '-'}: "
            f"{p.rule}: {p.message}"
        )
        for p in problems
    ]
    detail = f" ({stats})" if stats else ""
    if not problems:
        lines.append(
            f"{descriptor_label} could not be fully validated{detail}: no problems found, "
            f"but {_plural(len(crashed), 'check')} failed to run."
            if crashed
            else f"{descriptor_label} is valid{detail}: no problems found."
        )
        return "\n".join(lines) + "\n"
    summary = Summary.of(problems)
    lines += [
        "",  # after the problems' lines
        f"{descriptor_label} is not valid{detail}: {_plural(summary.total, 'problem')} "
        f"in {_plural(len(summary.by_file), 'file')}.",
    ]
    for file, rules in summary.by_file_and_rule.items():
        counts = ", ".join(f"{rule} {count}" for rule, count in rules.items())
        lines.append(f"  {file}: {summary.by_file[file]} ({counts})")
    lines.append("By rule: " + ", ".join(f"{r} {n}" for r, n in summary.by_rule.items()))
    return "\n".join(lines) + "\n"


def format_json(
    problems: Sequence[Problem], descriptor_label: str, crashed: Sequence[str] = ()
) -> str:
    """A JSON object: ``descriptor``, ``valid``, ``problems`` (records), ``summary``, and
    ``crashed_checks`` (checks that failed to run; then ``valid`` is false)."""
    summary = Summary.of(problems)
    document = {
        "descriptor": descriptor_label,
        "valid": not problems and not crashed,
        "crashed_checks": list(crashed),
        "problems": [p.record() for p in problems],
        "summary": asdict(summary),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(problems: Sequence[Problem], path_prefix: str = "") -> str:
    """GitHub Actions annotations: ``::error file=F,line=L,col=C::rule: message``.

    ``path_prefix`` (e.g. ``data/``) is put before each file so annotations point at files
    relative to the repository root when the descriptor is not at the root. ``col`` is the
    1-based position of the column in the file's header.
    """
    out = []
    for p in problems:
        props = [f"file={_escape_property(path_prefix + p.file)}"]
        if p.line is not None:
            props.append(f"line={p.line}")
        if p.column_number is not None:
            props.append(f"col={p.column_number}")
        props.append(f"title={_escape_property('cnplans ' + p.rule)}")
        out.append(f"::error {','.join(props)}::{_escape_data(f'{p.rule}: {p.message}')}")
    verdict = _plural(len(problems), "problem") if problems else "valid"
    out.append(f"cnplans validate: {verdict}")
    return "\n".join(out) + "\n"


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in a stable, reader-friendly order (file, line, column position, rule)."""
    return sorted(set(problems), key=Problem.sort_key)
