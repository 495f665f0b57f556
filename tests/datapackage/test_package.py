"""The package-access layer (:mod:`cnplans.datapackage`): path safety, descriptors, schemas, rows.

Every command opens packages through it, so the path-safety cases are tested here once.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from cnplans import datapackage
from cnplans.datapackage import (
    FileTooLarge,
    PackageError,
    inside,
    parse_rows,
    read_descriptor,
    read_descriptor_text,
    read_rows,
    read_schema,
    resolve_inside,
    resource,
    unsafe_reason,
)

# --- paths -----------------------------------------------------------------------------------

REFUSED = [
    ("", "is empty"),
    ("resources/a\x00.csv", "NUL character"),
    ("/etc/hosts", "is absolute"),
    ("\\\\server\\share\\x.csv", "is absolute"),
    ("\\resources\\x.csv", "is absolute"),
    ("C:\\data\\x.csv", "is absolute"),
    ("C:/data/x.csv", "is absolute"),
    ("c:x.csv", "is a URL"),  # a drive-relative path reads as a scheme: refused either way
    ("https://127.0.0.1:9/x.csv", "is a URL"),
    ("file:///etc/hosts", "is a URL"),
    ("data:text/csv,a%0A1", "is a URL"),
    ("s3://bucket/x.csv", "is a URL"),
    ("//example.org/x.csv", "is absolute"),
    ("resources\\x.csv", "backslashes"),
    ("..", "'..'"),
    ("../outside.csv", "'..'"),
    ("resources/../../outside.csv", "'..'"),
    ("resources/../x.csv", "'..'"),  # stays inside, but no '..' is read at all
    (".", "names no file"),
    ("./", "names no file"),
]
SAFE = [
    "resources/targets.csv",
    "resources/sub/x.csv",
    "./resources/x.csv",
    "resources/..x.csv",
    "x..csv",
    "resources/a:b.csv",  # a colon after the first segment is no scheme
    "资料/目标.csv",
]


@pytest.mark.parametrize(("path", "reason"), REFUSED)
def test_each_unsafe_form_is_refused_with_its_reason(
    tmp_path: Path, path: str, reason: str
) -> None:
    found = unsafe_reason(path)
    assert found is not None and reason in found
    assert resolve_inside(tmp_path, path) == (None, found)
    assert resolve_inside(tmp_path, path, {}) == (None, found)
    with pytest.raises(PackageError) as info:
        inside(tmp_path, path, "resource 'x' path")
    assert str(info.value).startswith(f"resource 'x' path is {path!r}")
    assert found in str(info.value) or not path  # "" is told to be a relative file path


@pytest.mark.parametrize("path", SAFE)
def test_plain_relative_paths_are_safe(tmp_path: Path, path: str) -> None:
    assert unsafe_reason(path) is None
    assert resolve_inside(tmp_path, path) == (tmp_path / path, None)
    assert resolve_inside(tmp_path, path, {}) == (tmp_path / path, None)
    assert inside(tmp_path, path, "the path") == tmp_path / path


@pytest.mark.parametrize("value", [None, 3, ["resources/x.csv"], ""])
def test_a_path_that_is_not_text_is_refused(tmp_path: Path, value: object) -> None:
    with pytest.raises(PackageError, match=r"the path is .*; expected a relative file path"):
        inside(tmp_path, value, "the path")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A package folder beside a folder outside it, each with one file."""
    (tmp_path / "package/resources").mkdir(parents=True)
    (tmp_path / "package/resources/plans.csv").write_text("plan_id\n", encoding="utf-8")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/secret.csv").write_text("secret\n", encoding="utf-8")
    return tmp_path / "package"


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("resources/linked.csv", "../../outside/secret.csv"),  # a file link, relative
        ("resources/absolute.csv", "{outside}/secret.csv"),  # a file link, absolute
        ("data", "../outside"),  # a folder link: data/secret.csv is outside
    ],
)
def test_a_link_leading_outside_the_root_is_refused(root: Path, link: str, target: str) -> None:
    (root / link).symlink_to(target.format(outside=root.parent / "outside"))
    relative = link if link.endswith(".csv") else f"{link}/secret.csv"
    assert (root / relative).read_text(encoding="utf-8") == "secret\n"  # it does lead there
    file, reason = resolve_inside(root, relative)
    assert file is None and reason is not None and "through a link" in reason
    assert resolve_inside(root, relative, {}) == (None, reason)
    with pytest.raises(PackageError, match="points outside the data package"):
        inside(root, relative, "the path")


def test_a_link_whose_target_is_inside_the_root_is_allowed(root: Path) -> None:
    (root / "resources/alias.csv").symlink_to("plans.csv")
    (root / "tables").symlink_to("resources")
    (root / "absolute.csv").symlink_to(root / "resources/plans.csv")
    for relative in ("resources/alias.csv", "tables/plans.csv", "absolute.csv"):
        remembered: dict[str, str] = {}
        assert resolve_inside(root, relative) == (root / relative, None)
        assert resolve_inside(root, relative, remembered) == (root / relative, None)
        assert inside(root, relative, "the path").read_text(encoding="utf-8") == "plan_id\n"


def test_a_root_reached_through_a_link_is_still_the_root(root: Path) -> None:
    (root.parent / "via").symlink_to(root)
    assert inside(root.parent / "via", "resources/plans.csv", "the path").is_file()


def test_remembered_folders_give_the_same_answers(root: Path) -> None:
    (root / "resources/out.csv").symlink_to(root.parent / "outside/secret.csv")
    (root / "resources/in.csv").symlink_to("plans.csv")
    remembered: dict[str, str] = {}
    paths = ["resources/plans.csv", "resources/out.csv", "resources/in.csv", "resources/none.csv"]
    for path in paths * 2:  # the second round uses the folders remembered in the first
        assert resolve_inside(root, path, remembered) == resolve_inside(root, path), path


# --- descriptors -----------------------------------------------------------------------------


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_descriptor_is_read_from_its_file_or_its_folder(tmp_path: Path) -> None:
    file = write(tmp_path / "datapackage.json", b'\xef\xbb\xbf{"name": "x", "resources": []}\n')
    assert read_descriptor(tmp_path) == read_descriptor(file) == {"name": "x", "resources": []}
    found, text, descriptor = read_descriptor_text(tmp_path)
    assert found == file and text.startswith("{") and descriptor["name"] == "x"  # BOM dropped


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (None, "does not exist (expected a datapackage.json)"),
        (b'{"resources": []}\n\xff', "is not UTF-8 text (line 2 has bytes that are not UTF-8)"),
        (b'{\n  "resources": [}', "is not valid JSON: Expecting value at line 2, column 17"),
        (b"[1, 2]", "holds JSON but not a data package descriptor"),
        (b'{"name": "x"}', "expected an object with a 'resources' list"),
        (b'{"resources": {"plans": {}}}', "expected an object with a 'resources' list"),
    ],
)
def test_an_unusable_descriptor_is_one_sentence_naming_it(
    tmp_path: Path, content: bytes | None, sentence: str
) -> None:
    file = tmp_path / "datapackage.json"
    if content is not None:
        write(file, content)
    with pytest.raises(PackageError) as info:
        read_descriptor(file)
    message = str(info.value)
    assert message.startswith(str(file)) and sentence in message and "\n" not in message
    assert isinstance(info.value, ValueError)


def test_a_folder_without_a_descriptor_names_the_file_it_looked_for(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=r"datapackage\.json does not exist"):
        read_descriptor(tmp_path)


def test_a_descriptor_over_the_limit_is_not_read(tmp_path: Path) -> None:
    file = write(tmp_path / "datapackage.json", b'{"resources": []}' + b" " * 100)
    with pytest.raises(FileTooLarge, match="117 bytes, more than the limit of 100 bytes") as info:
        read_descriptor(file, max_bytes=100)
    assert (info.value.path, info.value.size, info.value.limit) == (file, 117, 100)
    assert isinstance(info.value, PackageError)
    assert read_descriptor(file, max_bytes=117) == {"resources": []}


def test_a_descriptor_that_is_a_device_is_never_read(tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").symlink_to(os.devnull)
    with pytest.raises(PackageError, match="is a character device, not a regular file"):
        read_descriptor(tmp_path)


def test_the_validator_may_read_any_json_object(tmp_path: Path) -> None:
    file = write(tmp_path / "datapackage.json", b'{"name": "x"}')
    assert read_descriptor_text(file, require_resources=False)[2] == {"name": "x"}
    write(file, b"[1]")
    with pytest.raises(PackageError, match="not a data package descriptor"):
        read_descriptor_text(file, require_resources=False)


def test_a_resource_is_found_by_name_or_the_names_are_listed() -> None:
    descriptor = {"resources": [{"name": "plans"}, "not a resource", {"name": "targets"}]}
    assert resource(descriptor, "targets") is descriptor["resources"][2]
    with pytest.raises(PackageError) as info:
        resource(descriptor, "target", "pkg/datapackage.json")
    assert str(info.value) == (
        "pkg/datapackage.json lists no resource named 'target'; expected one of: plans, targets"
    )
    with pytest.raises(PackageError, match="expected one of: none"):
        resource({"resources": None}, "plans")


# --- schemas ---------------------------------------------------------------------------------

SCHEMA = {"fields": [{"name": "id", "type": "integer"}], "primaryKey": ["id"]}


def test_a_schema_is_read_inline_or_from_its_file(tmp_path: Path) -> None:
    assert read_schema(tmp_path, {"name": "t", "schema": SCHEMA}).primary_key == ["id"]
    write(tmp_path / "schemas/t.json", json.dumps(SCHEMA).encode())
    schema = read_schema(tmp_path, {"name": "t", "schema": "schemas/t.json"})
    assert schema.field_names == ["id"] and schema.field("id").type == "integer"


@pytest.mark.parametrize(
    ("declared", "content", "sentence"),
    [
        ("../t.json", None, "points outside the data package"),
        (None, None, "expected a relative file path"),
        ("schemas/t.json", None, "t.json does not exist (expected a Table Schema JSON file)"),
        ("schemas/t.json", b'{"fields": [', "t.json is not valid JSON"),
        ("schemas/t.json", b'{"fields": [1]}', "the Table Schema of resource 't' cannot be used"),
        ("schemas/t.json", b'{"fields": [{"type": "string"}]}', "cannot be used (KeyError"),
    ],
)
def test_an_unusable_schema_is_a_sentence(
    tmp_path: Path, declared: str | None, content: bytes | None, sentence: str
) -> None:
    if content is not None:
        write(tmp_path / "schemas/t.json", content)
    with pytest.raises(PackageError, match=re.escape(sentence)):
        read_schema(tmp_path, {"name": "t", "schema": declared})


def test_a_schema_file_is_bounded(tmp_path: Path) -> None:
    write(tmp_path / "schemas/t.json", json.dumps(SCHEMA).encode())
    with pytest.raises(FileTooLarge):
        read_schema(tmp_path, {"name": "t", "schema": "schemas/t.json"}, max_bytes=10)


# --- rows ------------------------------------------------------------------------------------


def test_each_record_has_the_line_it_starts_on(tmp_path: Path) -> None:
    text = (
        "id,note\n"  # line 1
        '1,"first line\n'  # line 2: a record over three lines
        "second line\n"
        'third, with a comma"\n'
        "\n"  # line 5: blank, skipped
        '2,"a ""quoted"" word"\n'  # line 6
        '3,"\n'  # line 7: a cell that starts with a line break
        '"\n'
        "4,last line without an end"  # line 9
    )
    path = write(tmp_path / "t.csv", ("\ufeff" + text).encode())  # a BOM is dropped
    header, records = read_rows(path)
    assert header == ["id", "note"]
    assert records == [
        (2, ["1", "first line\nsecond line\nthird, with a comma"]),
        (6, ["2", 'a "quoted" word']),
        (7, ["3", "\n"]),
        (9, ["4", "last line without an end"]),
    ]
    assert parse_rows(text, "t.csv") == (header, records)


def test_windows_line_ends_count_one_line_each() -> None:
    assert parse_rows('a\r\n"x\r\ny"\r\nz\r\n', "t.csv")[1] == [(2, ["x\r\ny"]), (4, ["z"])]


def test_an_empty_file_has_no_header_and_no_records(tmp_path: Path) -> None:
    assert read_rows(write(tmp_path / "t.csv", b"")) == ([], [])


@pytest.mark.parametrize(
    ("text", "line"),
    [('id,note\n1,"never closed\n2,x\n', 3), ('id\n"x"\n"y\n', 3), ('id,note\n1,"a"b\n', 2)],
)
def test_text_that_is_not_valid_csv_names_the_line(text: str, line: int) -> None:
    with pytest.raises(PackageError, match=rf"^t\.csv line {line} is not valid CSV \("):
        parse_rows(text, "t.csv")


def test_a_table_file_is_bounded_and_must_be_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", b"id\n1\n")
    with pytest.raises(FileTooLarge):
        read_rows(path, max_bytes=4)
    write(path, b"id\n\xe9\n")
    with pytest.raises(PackageError, match=r"t\.csv is not UTF-8 text \(line 2"):
        read_rows(path)
    with pytest.raises(PackageError, match=r"does not exist \(expected a CSV file\)"):
        read_rows(tmp_path / "none.csv")


def test_the_scaffold_keeps_multi_line_records_whole(tmp_path: Path) -> None:
    """``CsvTable`` reads with :func:`parse_rows`; a record spanning lines moves as one."""
    from cnplans.datapackage.table_schema import TableSchema
    from cnplans.drafting.scaffold import CsvTable

    schema = TableSchema.from_descriptor(
        {"fields": [{"name": "n", "type": "integer"}, {"name": "x"}], "primaryKey": ["n"]}
    )
    path = write(tmp_path / "t.csv", b'n,x\n3,"one\ntwo"\n\n\n1,b\n2,"c\n"\n')
    table = CsvTable.read("t", path, "t.csv", schema)
    assert [line for line, _ in table.records] == [2, 6, 7]
    assert [cells for _, cells in table.records] == [["3", "one\ntwo"], ["1", "b"], ["2", "c\n"]]
    text, lines = table.with_rows([{"n": "0", "x": "z"}])
    assert text.startswith('n,x\n0,"z"\n3,"one\ntwo"\n') and lines == [2]


# --- the name ----------------------------------------------------------------------------------


def test_the_public_package_function_survives_this_module() -> None:
    """``cnplans.package()`` is the loader's function; a submodule of that name would hide it."""
    import cnplans

    assert datapackage.__name__ == "cnplans.datapackage"
    assert callable(cnplans.package) and cnplans.package()["name"] == "cnplans"
