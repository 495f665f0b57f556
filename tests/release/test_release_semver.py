"""Version-bump rules: the classifier on pairs of small packages, and the version checks."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from release_support import BASE_ROWS, BASE_SCHEMAS, package

from scripts.release import semver
from scripts.release.diff import Kind, compare
from scripts.release.errors import Refused
from scripts.release.semver import Level, Version
from scripts.release.snapshot import Snapshot


def schemas_with(change: Any) -> dict[str, dict[str, Any]]:
    schemas = copy.deepcopy(BASE_SCHEMAS)
    change(schemas)
    return schemas


def level_and_kinds(new: Snapshot, old: Snapshot | None = None) -> tuple[Level, set[Kind]]:
    diff = compare(old or package(), new)
    return semver.required(diff), {c.kind for c in diff.changes}


def test_identical_packages_need_no_version() -> None:
    assert level_and_kinds(package()) == (Level.NONE, set())


def test_stamped_properties_are_not_changes() -> None:
    old = package()
    new = package(created="2026-01-01T00:00:00Z")
    new.descriptor["version"] = "9.9.9"
    for resource in new.tables.values():
        resource.resource.update(bytes=10, hash="sha256:00")
    assert semver.required(compare(old, new)) == Level.NONE


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (lambda s: s["targets"]["fields"].pop(3), Kind.FIELD_REMOVED),
        (lambda s: s["targets"]["fields"][2].update(type="integer"), Kind.FIELD_TYPE),
        (lambda s: s["targets"]["fields"][3].update(format="email"), Kind.FIELD_FORMAT),
        (lambda s: s["targets"]["fields"].reverse(), Kind.FIELDS_REORDERED),
        (lambda s: s["targets"].update(primaryKey=["target_id", "unit"]), Kind.PRIMARY_KEY),
        (lambda s: s["targets"]["fields"][3].update(constraints={"required": True}),
         Kind.CONSTRAINT_TIGHTENED),
        (lambda s: s["regions"]["fields"][2]["constraints"].update(enum=["province"]),
         Kind.CONSTRAINT_TIGHTENED),
        (lambda s: s["targets"]["fields"][2]["constraints"].update(minimum=10),
         Kind.CONSTRAINT_TIGHTENED),
        (lambda s: s["targets"].update(missingValues=["", "NA"]), Kind.MISSING_VALUES),
        (lambda s: s["regions"].update(foreignKeys=[{"fields": ["name"], "reference": {
            "resource": "targets", "fields": ["target_id"]}}]), Kind.FOREIGN_KEY_ADDED),
    ],
)  # fmt: skip
def test_breaking_schema_changes_need_a_major_version(change: Any, kind: Kind) -> None:
    new = package(schemas_with(change), _rows_matching(schemas_with(change)))
    level, kinds = level_and_kinds(new)
    assert kind in kinds
    assert level == Level.MAJOR


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (lambda s: s["regions"]["fields"][2]["constraints"].update(
            enum=["province", "city", "county"]), Kind.CONSTRAINT_RELAXED),
        (lambda s: s["targets"]["fields"][2].update(constraints={}), Kind.CONSTRAINT_RELAXED),
        (lambda s: s["targets"].pop("foreignKeys"), Kind.FOREIGN_KEY_REMOVED),
        (lambda s: s["targets"]["fields"].append({"name": "year", "type": "year"}),
         Kind.FIELD_ADDED),
    ],
)  # fmt: skip
def test_additions_and_relaxed_constraints_need_a_minor_version(change: Any, kind: Kind) -> None:
    schemas = schemas_with(change)
    level, kinds = level_and_kinds(package(schemas, _rows_matching(schemas)))
    assert kind in kinds
    assert level == Level.MINOR


def test_descriptions_and_titles_need_a_patch_version() -> None:
    schemas = schemas_with(lambda s: s["targets"]["fields"][2].update(description="Amount."))
    level, kinds = level_and_kinds(package(schemas, title="New title"))
    assert kinds == {Kind.FIELD_METADATA, Kind.PACKAGE_METADATA}
    assert level == Level.PATCH


def test_removed_table_is_major_and_added_table_is_minor() -> None:
    only_regions = {"regions": BASE_SCHEMAS["regions"]}
    level, kinds = level_and_kinds(package(only_regions, {"regions": BASE_ROWS["regions"]}))
    assert (level, kinds) == (Level.MAJOR, {Kind.TABLE_REMOVED})
    old = package(only_regions, {"regions": BASE_ROWS["regions"]})
    assert level_and_kinds(package(), old) == (Level.MINOR, {Kind.TABLE_ADDED})


def test_renamed_field_is_a_removal_and_an_addition() -> None:
    def rename(s: dict[str, Any]) -> None:
        s["targets"]["fields"][3]["name"] = "units"

    schemas = schemas_with(rename)
    rows = dict(BASE_ROWS, targets=BASE_ROWS["targets"].replace(",unit\n", ",units\n"))
    level, kinds = level_and_kinds(package(schemas, rows))
    assert kinds == {Kind.FIELD_REMOVED, Kind.FIELD_ADDED}
    assert level == Level.MAJOR


def test_row_changes() -> None:
    added = dict(BASE_ROWS, targets=BASE_ROWS["targets"] + "t3,140100,7,CNY\n")
    assert semver.required(compare(package(), package(rows=added))) == Level.MINOR
    changed = dict(
        BASE_ROWS, targets=BASE_ROWS["targets"].replace("t1,140000,100", "t1,140000,101")
    )
    assert semver.required(compare(package(), package(rows=changed))) == Level.PATCH
    # Taiyuan is referred to by no target: removing it is a correction.
    unreferenced = dict(
        BASE_ROWS, regions=BASE_ROWS["regions"].replace("140100,Taiyuan,city\n", "")
    )
    assert semver.required(compare(package(), package(rows=unreferenced))) == Level.PATCH
    # Shanghai is referred to by target t2 of the old release: removing it breaks that reference.
    referenced = {
        "regions": BASE_ROWS["regions"].replace("310000,Shanghai,province\n", ""),
        "targets": BASE_ROWS["targets"].replace("t2,310000,5,percent\n", ""),
    }
    diff = compare(package(), package(rows=referenced))
    assert diff.rows["regions"].removed_referenced == {"targets": [("310000",)]}
    texts = [r.text for r in semver.reasons(diff) if r.level == Level.MAJOR]
    assert texts == ["1 row removed from regions, which targets referred to"]


def test_version_parsing_and_steps() -> None:
    assert str(Version.parse("1.20.3")) == "1.20.3"
    for bad in ("v1.0.0", "1.0", "01.0.0", "1.0.0-rc1", "one"):
        with pytest.raises(Refused, match="not a release version"):
            Version.parse(bad)
    base = Version(1, 2, 3)
    assert Version(2, 0, 0).step_from(base) == Level.MAJOR
    assert Version(1, 3, 0).step_from(base) == Level.MINOR
    assert Version(1, 2, 4).step_from(base) == Level.PATCH
    assert Version(1, 2, 3).step_from(base) == Level.NONE
    assert Version(1, 1, 9).step_from(base) == Level.NONE


def test_check_refuses_a_too_small_version_and_says_why() -> None:
    schemas = schemas_with(lambda s: s["targets"]["fields"].pop(3))
    diff = compare(package(), package(schemas, _rows_matching(schemas)))
    with pytest.raises(Refused) as refused:
        semver.check(Version(1, 0, 0), Version(1, 1, 0), diff)
    message = str(refused.value)
    assert "field targets.unit removed: needs a major version" in message
    assert "Use 2.0.0 or higher." in message
    assert semver.check(Version(1, 0, 0), Version(2, 0, 0), diff)[0].level == Level.MAJOR


def test_check_refuses_a_version_that_does_not_grow() -> None:
    with pytest.raises(Refused, match=r"not greater than the previous release 1\.0\.0"):
        semver.check(Version(1, 0, 0), Version(0, 9, 0), compare(package(), package()))


def _rows_matching(schemas: dict[str, dict[str, Any]]) -> dict[str, str]:
    """CSV texts whose headers follow ``schemas`` (values taken from the base rows)."""
    texts = {}
    for name, schema in schemas.items():
        base = [line.split(",") for line in BASE_ROWS[name].splitlines()]
        header = base[0]
        names = [f["name"] for f in schema["fields"]]
        lines = [",".join(names)]
        for row in base[1:]:
            lines.append(",".join(row[header.index(n)] if n in header else "" for n in names))
        texts[name] = "\n".join(lines) + "\n"
    return texts
