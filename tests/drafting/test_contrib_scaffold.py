"""``cnplans new-source`` and ``cnplans new-plan`` on copies of the real package.

What they write is checked byte for byte against the files before (one line inserted at its
place in key order, nothing else changed), against the release tools' own idea of the
descriptor's ``sources`` list, and against ``cnplans validate``. What they refuse leaves every
file as it was. Existing ids, regions and files are read from the copy, never named.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Csv, Outcome, run_cli, text_columns_of

from cnplans.datapackage.csv_form import render_rows
from cnplans.drafting import scaffold
from cnplans.drafting.scaffold import ScaffoldError, new_plan, new_source
from scripts.release import stamp

SOURCES = "resources/sources.csv"
PLANS = "resources/plans.csv"
TEXT = (
    "Example county publishes a plan for its ceramics industry\n"
    "\n"
    "The county  government released the plan on March 3, aiming for output value of\n"
    "5 billion yuan by 2026 – “a new start” for 陶瓷 makers.\r\n"
)
QUOTE = "The county government released the plan on March 3"


def first(package: Path, table: str, column: str) -> str:
    """``column`` of the first row of ``resources/<table>.csv`` in the copy."""
    return Csv.read(package / f"resources/{table}.csv").get(0, column)


def csv_line(package: Path, table: str, cells: dict[str, str]) -> bytes:
    """The CSV line of a row of ``table`` with ``cells`` (by column; the rest empty), in the
    package's form."""
    path = package / f"resources/{table}.csv"
    header = Csv.read(path).header
    assert set(cells) <= set(header), set(cells) - set(header)
    row = [cells.get(c, "") for c in header]
    return render_rows([row], text_columns_of(path, header)).removesuffix("\n").encode("utf-8")


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes (links by their target)."""
    return {
        str(p.relative_to(folder)): (os.readlink(p).encode() if p.is_symlink() else p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


def inserted_line(before: bytes, after: bytes) -> tuple[int, bytes]:
    """The one line ``after`` has in addition to ``before`` (1-based number, its bytes)."""
    old, new = before.split(b"\n"), after.split(b"\n")
    assert len(new) == len(old) + 1
    for index, text in enumerate(new):
        if index == len(old) or old[index] != text:
            assert new[:index] + new[index + 1 :] == old, "more than one line changed"
            return index + 1, text
    raise AssertionError("no line was inserted")


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "incoming" / "ceramics.txt"
    path.parent.mkdir()
    path.write_bytes(TEXT.encode("utf-8"))
    return path


def test_new_source_archives_the_bytes_and_adds_a_sorted_row(
    package: Path, text_file: Path
) -> None:
    before = files(package)
    result = new_source(
        package / "datapackage.json",
        text_file,
        "example-ceramics",
        title="Example county publishes a plan for its ceramics industry",
        published="2025-03",
    )
    after = files(package)
    archived = package / "sources/example-ceramics.txt"
    assert archived.read_bytes() == text_file.read_bytes(), "the text must be copied unchanged"
    assert set(after) - set(before) == {"sources/example-ceramics.txt"}
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {SOURCES, "datapackage.json"}

    number, line = inserted_line(before[SOURCES], after[SOURCES])
    digest = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    assert line == csv_line(
        package,
        "sources",
        {
            "source_id": "example-ceramics",
            "title": "Example county publishes a plan for its ceramics industry",
            "published": "2025-03",
            "language": "en",
            "path": "sources/example-ceramics.txt",
            "sha256": digest,
        },
    )
    assert result.line == number and result.table_label == SOURCES
    ids = [row[0] for row in Csv.read(package / SOURCES).rows]
    assert ids == sorted(ids) and ids.index("example-ceramics") == number - 2

    descriptor = json.loads(after["datapackage.json"])
    assert descriptor["sources"] == stamp.source_documents(package, descriptor)
    assert {k: v for k, v in descriptor.items() if k != "sources"} == {
        k: v for k, v in json.loads(before["datapackage.json"]).items() if k != "sources"
    }


def test_title_defaults_to_the_first_line_and_says_so(
    package: Path, text_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        ["new-source", str(text_file), "--id", "example-ceramics", "--package", str(package)],
        capsys,
    )
    assert code == 0, err
    sources = Csv.read(package / SOURCES)
    index = sources.find("source_id", lambda v: v == "example-ceramics")
    assert sources.get(index, "title") == TEXT.splitlines()[0]
    assert "title: taken from the first non-empty line of ceramics.txt" in out
    assert "language: en (the default); pass --language zh" in out
    assert "wrote sources/example-ceramics.txt" in out and "Next steps:" in out
    assert "cnplans new-plan --source example-ceramics" in out
    assert err == ""


def test_only_given_cells_are_filled(package: Path, text_file: Path) -> None:
    new_source(package, text_file, "example-ceramics", title="T")
    sources = Csv.read(package / SOURCES)
    index = sources.find("source_id", lambda v: v == "example-ceramics")
    for column in ("publisher", "url", "published", "notes"):
        assert sources.get(index, column) == ""
    assert sources.get(index, "language") == "en"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--id", "Example_Ceramics"], "expected a slug"),
        (["--id", "EXISTING-SOURCE"], "already a source"),
        (["--id", "example-ceramics", "--published", "03/03/2025"], "--published"),
        (["--id", "example-ceramics", "--url", "www example org"], "expected a URI"),
        (["--id", "example-ceramics", "--language", "English"], "--language"),
        (["--id", "example-ceramics", "--title", "=cmd|' /C calc'!A0"], "formula"),
    ],
)
def test_new_source_refuses_bad_values_and_writes_nothing(
    package: Path,
    text_file: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    existing = first(package, "sources", "source_id")
    arguments = [existing if a == "EXISTING-SOURCE" else a for a in arguments]
    before = files(package)
    code, out, err = run_cli(
        ["new-source", str(text_file), *arguments, "--package", str(package)], capsys
    )
    assert code == 1
    assert message in err and err.startswith("cnplans new-source: ")
    assert "Traceback" not in err and out == ""
    assert files(package) == before


def test_new_source_refuses_an_existing_file_an_encoding_and_a_duplicate(
    package: Path, text_file: Path
) -> None:
    before = files(package)
    (package / "sources/example-ceramics.txt").write_bytes(b"left over\n")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_source(package, text_file, "example-ceramics", title="T")
    (package / "sources/example-ceramics.txt").unlink()

    gbk = text_file.with_name("gbk.txt")
    gbk.write_bytes(TEXT.replace("\r", "").encode("gb18030"))
    with pytest.raises(ScaffoldError, match=r"not UTF-8 text \(line 4"):
        new_source(package, gbk, "example-ceramics", title="T")

    empty = text_file.with_name("empty.txt")
    empty.write_bytes(b" \n\n")
    with pytest.raises(ScaffoldError, match="is empty"):
        new_source(package, empty, "example-ceramics", title="T")

    with pytest.raises(ScaffoldError, match="does not exist"):
        new_source(package, text_file.with_name("nowhere.txt"), "example-ceramics", title="T")

    archived = package / first(package, "sources", "path")
    with pytest.raises(ScaffoldError, match="already archived, byte for byte"):
        new_source(package, archived, "example-ceramics", title="T")
    assert files(package) == before


def test_a_table_the_validator_would_reject_is_not_edited(
    package: Path, text_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = package / SOURCES
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = files(package)
    code, _, err = run_cli(
        ["new-source", str(text_file), "--id", "x-y", "--package", str(package)], capsys
    )
    assert code == 2 and "Windows line ends" in err and "cnplans validate" in err
    assert files(package) == before


def test_missing_descriptor_is_a_sentence(
    tmp_path: Path, text_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["new-source", str(text_file), "--id", "x-y", "--package", str(tmp_path / "none.json")],
        capsys,
    )
    assert code == 2 and "does not exist" in err and "Traceback" not in err


def _add_source(package: Path, text_file: Path) -> None:
    new_source(package, text_file, "example-ceramics", title=TEXT.splitlines()[0])


def test_new_plan_adds_a_sorted_row_with_the_quote_checked(
    package: Path, text_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_source(package, text_file)
    before = files(package)
    code, out, err = run_cli(
        [
            "new-plan",
            "--package",
            str(package / "datapackage.json"),
            "--source",
            "example-ceramics",
            "--id",
            "sx-ceramics-2026",
            "--region",
            first(package, "regions", "region_id"),
            "--title",
            "plan",  # printed in the quote, as the validator requires
            "--quote",
            "The county government\n released the plan  on March 3, aiming for output value "
            "of\n5 billion yuan by 2026",  # the period end is stated, as the validator requires
            "--sector",
            "multi_sector",
            "--document-type",
            "plan",
            "--period-end",
            "2026",
        ],
        capsys,
    )
    assert code == 0, err
    after = files(package)
    assert {n for n in after if after[n] != before.get(n)} == {PLANS}
    number, line = inserted_line(before[PLANS], after[PLANS])
    assert line == csv_line(
        package,
        "plans",
        {
            "plan_id": "sx-ceramics-2026",
            "region_id": first(package, "regions", "region_id"),
            "title": "plan",
            "sector": "multi_sector",
            "document_type": "plan",
            "period_end": "2026",
            "source_id": "example-ceramics",
            "quote": QUOTE + ", aiming for output value of 5 billion yuan by 2026",
        },
    )
    ids = [row[0] for row in Csv.read(package / PLANS).rows]
    assert ids == sorted(ids)
    assert f"new row: {PLANS}, line {number}" in out
    assert "resources/targets.csv" in out and "nox -s convert" in out


def test_new_plan_shows_the_closest_passage_of_a_wrong_quote(
    package: Path, text_file: Path
) -> None:
    _add_source(package, text_file)
    before = files(package)
    with pytest.raises(ScaffoldError) as caught:
        new_plan(
            package,
            source_id="example-ceramics",
            plan_id="sx-ceramics-2026",
            region_id=first(package, "regions", "region_id"),
            title="plan",
            quote="The county government issued the plan on March 3",
            sector="multi_sector",
            document_type="plan",
        )
    message = str(caught.value)
    assert "--quote" in message and "sources/example-ceramics.txt" in message
    assert "“The county government released the plan on March" in message
    assert "[-released-] {+issued+}" in message  # the differing word, marked
    assert files(package) == before


def test_new_plan_lists_every_problem_at_once(package: Path, text_file: Path) -> None:
    _add_source(package, text_file)
    before = files(package)
    with pytest.raises(ScaffoldError) as caught:
        new_plan(
            package,
            source_id="example-ceramics",
            plan_id=first(package, "plans", "plan_id"),
            region_id="999999",
            title="plan",
            quote=QUOTE,
            document_type="strategy",
            period_start="20255",
        )
    message = str(caught.value)
    assert message.startswith("5 problems, nothing was written:")
    assert "--sector (the sector column of resources/plans.csv) is required" in message
    assert "new_materials, electronic_information_manufacturing, multi_sector" in message
    assert "--document-type" in message and "found 'strategy'" in message
    assert "--period-start" in message and "a four-digit year" in message
    assert "already a plan" in message
    assert "--region '999999' is not in resources/regions.csv" in message
    assert files(package) == before


def test_new_plan_needs_an_archived_source(package: Path) -> None:
    with pytest.raises(ScaffoldError, match="cnplans new-source"):
        new_plan(
            package,
            source_id="not-archived",
            plan_id="x-plan",
            region_id=first(package, "regions", "region_id"),
            title="plan",
            quote=QUOTE,
            sector="new_materials",
            document_type="plan",
        )


def test_argparse_requires_the_quote(package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(
        ["new-plan", "--source", "s", "--id", "p", "--region", "140000", "--title", "t"], capsys
    )
    assert code == 2 and "--quote" in err


def test_stamped_bytes_and_hash_are_kept_in_step(package: Path, text_file: Path) -> None:
    descriptor = package / "datapackage.json"
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    for resource in data["resources"]:
        if resource["name"] in ("sources", "plans"):
            content = (package / resource["path"]).read_bytes()
            resource["bytes"] = len(content)
            resource["hash"] = "sha256:" + hashlib.sha256(content).hexdigest()
    descriptor.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _add_source(package, text_file)
    new_plan(
        package,
        source_id="example-ceramics",
        plan_id="sx-ceramics-2026",
        region_id=first(package, "regions", "region_id"),
        title="plan",
        quote=QUOTE,
        sector="multi_sector",
        document_type="plan",
    )
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    for resource in data["resources"]:
        if resource["name"] in ("sources", "plans"):
            content = (package / resource["path"]).read_bytes()
            assert resource["bytes"] == len(content)
            assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()


def test_a_failed_write_leaves_every_file_as_it_was(
    package: Path, text_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = files(package)
    real_replace = os.replace

    def failing_replace(source: os.PathLike[str], target: os.PathLike[str]) -> None:
        if Path(target).name == "datapackage.json":
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(scaffold.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        _add_source(package, text_file)
    assert files(package) == before, "the archived text and sources.csv must be rolled back"


def test_validate_accepts_what_the_commands_wrote_except_the_missing_facts(
    package: Path, text_file: Path, validate: Callable[..., Outcome]
) -> None:
    _add_source(package, text_file)
    new_plan(
        package,
        source_id="example-ceramics",
        plan_id="sx-ceramics-2026",
        region_id=first(package, "regions", "region_id"),
        title="plan",  # printed in the quote, as the validator requires
        quote=QUOTE,
        sector="multi_sector",
        document_type="plan",
    )
    outcome = validate(package)
    assert [(p["file"], p["rule"]) for p in outcome.problems] == [(PLANS, "plan-without-facts")]


def test_a_special_file_as_the_source_text_is_named_and_never_opened(
    package: Path, tmp_path: Path
) -> None:
    import os

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.txt"
    os.symlink(loop.name, loop)
    with pytest.raises(ScaffoldError, match=r"pipe\.txt is a FIFO \(named pipe\)"):
        new_source(package, fifo, "example-ceramics", title="T")
    with pytest.raises(ScaffoldError, match=r"loop\.txt cannot be read"):
        new_source(package, loop, "example-ceramics", title="T")
    with pytest.raises(ScaffoldError, match="is a character device"):
        new_source(package, Path(os.devnull), "example-ceramics", title="T")


def test_write_all_touches_no_file_when_one_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every new content is written beside its file before any file is replaced: a write that
    fails (a full disk, which stays full) leaves every file as it was, and no temporary file."""
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_bytes(b"old first\n")
    second.write_bytes(b"old second\n")
    synced = 0

    def fsync(descriptor: int) -> None:
        nonlocal synced
        synced += 1
        if synced > 1:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    changes = [
        scaffold.Change(first, "first.csv", b"new first\n"),
        scaffold.Change(second, "second.csv", b"new second\n"),
        scaffold.Change(tmp_path / "third.csv", "third.csv", b"new\n", new=True),
    ]
    with pytest.raises(OSError, match="No space left"):
        scaffold.write_all(changes)
    assert first.read_bytes() == b"old first\n"
    assert second.read_bytes() == b"old second\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.csv", "second.csv"]
