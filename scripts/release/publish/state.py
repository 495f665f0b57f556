"""What a publish run has done, kept in ``dist/cnplans-X.Y.Z.publish.json`` for the next run.

The services are the authority on what exists; the file keeps identifiers that cannot be looked
up reliably (the Zenodo deposition id), never a token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnplans.datapackage import atomic


@dataclass
class State:
    path: Path
    data: dict[str, Any]
    persist: bool = True  # False in a dry run: nothing is written

    @classmethod
    def load(cls, path: Path) -> State:
        try:
            return cls(path, json.loads(path.read_text(encoding="utf-8")))
        except (FileNotFoundError, IsADirectoryError, json.JSONDecodeError):
            return cls(path, {})  # none yet, or damaged: rebuilt from what the services report

    def section(self, name: str) -> dict[str, Any]:
        found = self.data.setdefault(name, {})
        assert isinstance(found, dict)
        return found

    def save(self) -> None:
        if not self.persist:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.path, json.dumps(self.data, indent=2, sort_keys=True) + "\n")


@dataclass
class Progress:
    """The steps of a publish run, to report what was and was not done when one fails."""

    planned: list[str]
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already done by an earlier run

    def report(self) -> str:
        finished = set(self.done) | set(self.skipped)
        pending = [s for s in self.planned if s not in finished]
        lines = []
        if self.skipped:
            lines.append("already published before this run: " + "; ".join(self.skipped))
        lines.append("published in this run: " + ("; ".join(self.done) or "nothing"))
        lines.append("not published: " + ("; ".join(pending) or "nothing"))
        return "\n".join(lines)
