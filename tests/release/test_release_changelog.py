"""The data changelog: rows added, removed and changed, cell listings, CHANGELOG.md editing."""

from __future__ import annotations

from pathlib import Path

import pytest
from release_support import BASE_ROWS, commit_all, git, package, set_cell, write_synthetic_package

from scripts.release import changelog, semver
from scripts.release.cli import main
from scripts.release.diff import compare
from scripts.release.semver import Version

CHANGED_ROWS = dict(
    BASE_ROWS,
    # t1 changes value and unit; t2 is removed; t3 and t4 are added.
    targets="target_id,region_id,value,unit\nt1,140000,150,CNY | yuan\n"
    "t3,140100,7,CNY\nt4,140100,8,CNY\n",
)


def test_changelog_lists_added_removed_and_changed_rows() -> None:
    diff = compare(package(), package(rows=CHANGED_ROWS))
    rows = diff.rows["targets"]
    assert rows.added == [("t3",), ("t4",)]
    assert rows.removed == [("t2",)]
    assert rows.changed_rows == 1
    assert [(c.key, c.field, c.old, c.new) for c in rows.cells] == [
        (("t1",), "value", "100", "150"),
        (("t1",), "unit", "CNY", "CNY | yuan"),
    ]
    reasons = semver.check(Version(1, 0, 0), Version(1, 1, 0), diff)
    text = changelog.release_section(
        Version(1, 1, 0), "2026-01-02", diff, reasons, package(rows=CHANGED_ROWS),
        previous=Version(1, 0, 0),
    )  # fmt: skip
    assert text.startswith("## 1.1.0 (2026-01-02)\n")
    assert (
        "Changes since 1.0.0 (tag `v1.0.0`). This needs a minor version: 2 rows added to targets."
        in text
    )
    assert "| `targets` | 2 | 3 | 2 | 1 | 1 |" in text
    assert "- Added (2): `t3`, `t4`" in text
    assert "- Removed (1): `t2`" in text
    assert "| t1 | `value` | 100 | 150 |" in text
    assert "| t1 | `unit` | CNY | CNY \\| yuan |" in text  # a pipe cannot break the table
    assert "`regions`" not in text  # unchanged tables are left out


def test_changed_cells_are_listed_up_to_the_limit() -> None:
    many = "target_id,region_id,value,unit\n" + "".join(
        f"t{i},140000,{i},CNY\n" for i in range(1, 11)
    )
    more = many.replace(",CNY\n", ",USD\n")
    old = package(rows=dict(BASE_ROWS, targets=many))
    diff = compare(old, package(rows=dict(BASE_ROWS, targets=more)))
    text = "\n".join(changelog.body(diff, limit=3))
    assert text.count("| `unit` | CNY | USD |") == 3
    assert "… and 7 more changed cells (limit 3)." in text


def test_first_release_section_lists_the_tables() -> None:
    text = changelog.release_section(
        Version(0, 1, 0), "2026-01-02", None, [], package(), previous=None
    )
    assert "First release." in text
    assert "| `regions` | 3 | 3 |" in text
    assert "| `targets` | 2 | 4 |" in text


def test_insert_puts_the_newest_section_first_and_section_reads_it_back() -> None:
    first = changelog.insert(None, "## 1.0.0 (2026-01-01)\n\nFirst release.\n")
    assert first.startswith(changelog.TITLE)
    both = changelog.insert(first, "## 1.1.0 (2026-02-01)\n\nMore rows.\n")
    assert both.index("## 1.1.0") < both.index("## 1.0.0")
    assert changelog.MARKER in both
    assert changelog.section(both, "1.1.0") == "More rows.\n"
    assert changelog.section(both, "1.0.0") == "First release.\n"
    assert changelog.section(both, "2.0.0") is None
    # a hand-written changelog without the marker: the section goes below the title
    plain = changelog.insert("# Changes\n\nOlder notes.\n", "## 1.0.1 (2026-03-01)\n\nFix.\n")
    assert plain.index("# Changes") < plain.index("## 1.0.1") < plain.index("Older notes.")


def test_diff_command_prints_markdown_against_a_git_ref(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_synthetic_package(tmp_path / "repo")
    git(root, "tag", "-a", "v1.0.0", "-m", "first")
    set_cell(root / "resources" / "places.csv", 0, "population", "24870896")
    commit_all(root, "correct a population")
    assert main(["--root", str(root), "diff"]) == 0  # default: the last release tag
    out = capsys.readouterr().out
    assert out.startswith("## Data changes from `v1.0.0` to the working tree")
    assert "needs at least a patch version" in out
    assert "| shanghai | `population` | 24870895 | 24870896 |" in out
    assert main(["--root", str(root), "diff", "HEAD"]) == 0
    assert "needs no new version: nothing changed" in capsys.readouterr().out
    assert main(["--root", str(root), "diff", "no-such-ref"]) == 1
    assert "'no-such-ref' is not a commit" in capsys.readouterr().err
