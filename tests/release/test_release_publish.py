"""Publishing to GitHub and Zenodo, against a fake of both on 127.0.0.1 that records requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from release_support import TITLE, FakeServices, fake_services, write_release_metadata

from scripts.release import changelog, checksums
from scripts.release.cli import main

VERSION = "1.0.0"
TOKEN = "ghp_TestToken_5f2c9a0d1e"
ARTIFACTS = {
    "cnplans-1.0.0.zip": b"zip bytes " * 50,
    "cnplans-1.0.0.xlsx": b"xlsx",
    "x.parquet": b"p",
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A package folder with release metadata and a built dist/cnplans-1.0.0 (small fake files)."""
    root = tmp_path / "repo"
    root.mkdir()
    write_release_metadata(root, VERSION)
    descriptor = {
        "name": "synthetic", "title": TITLE, "description": "Places.", "version": VERSION,
        "keywords": ["test"], "licenses": [{"name": "CC-BY-4.0"}], "resources": [],
    }  # fmt: skip
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    notes = "## 1.0.0 (2023-11-14)\n\nFirst release.\n"
    (root / "CHANGELOG.md").write_text(changelog.insert(None, notes), encoding="utf-8")
    folder = root / "dist" / f"cnplans-{VERSION}"
    folder.mkdir(parents=True)
    for name, data in ARTIFACTS.items():
        (folder / name).write_bytes(data)
    checksums.write(folder)
    return root


def publish(root: Path, services: FakeServices | None, to: str, *extra: str) -> int:
    base = services.base if services else "http://127.0.0.1:9"
    urls = (
        ["--repo", "o/r", "--github-api-url", base, "--github-uploads-url", base]
        if to == "github"
        else ["--zenodo-url", base]
    )
    return main(["--root", str(root), "publish", VERSION, "--to", to, *urls, *extra])


def no_token_anywhere(root: Path, output: str) -> None:
    assert TOKEN not in output
    for path in (root / "dist").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def expected_files() -> list[str]:
    return sorted([*ARTIFACTS, "SHA256SUMS"])


def test_github_release_with_every_artifact(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with fake_services() as services:
        services.tags.add("v1.0.0")
        assert publish(root, services, "github") == 0
    captured = capsys.readouterr()
    no_token_anywhere(root, captured.out + captured.err)
    (release,) = services.releases
    assert release["tag_name"] == "v1.0.0"
    assert release["name"] == "cnplans 1.0.0"
    assert release["body"] == "First release.\n"  # the CHANGELOG section is the release notes
    assert release["draft"] is False  # created as a draft, published once complete
    assert sorted(a["name"] for a in release["assets"]) == expected_files()
    sums = (root / "dist" / "cnplans-1.0.0" / "SHA256SUMS").read_bytes()
    sizes = {a["name"]: a["size"] for a in release["assets"]}
    assert sizes == {**{n: len(d) for n, d in ARTIFACTS.items()}, "SHA256SUMS": len(sums)}
    assert {r.authorization for r in services.requests} == {f"Bearer {TOKEN}"}
    assert f"{services.base}/o/r/releases/tag/v1.0.0" in captured.out


def test_github_failure_midway_is_reported_and_a_rerun_resumes(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with fake_services() as services:
        services.tags.add("v1.0.0")
        services.fail_upload_number = 2  # the second upload fails (the server echoes the token)
        assert publish(root, services, "github") == 1
        first = capsys.readouterr()
        report = first.out + first.err
        assert "publishing to GitHub stopped" in report
        assert "published in this run: create the release; upload cnplans-1.0.0.xlsx\n" in report
        assert (
            "not published: upload cnplans-1.0.0.zip; upload x.parquet; upload SHA256SUMS; "
            "publish the release"
        ) in report
        assert services.releases[0]["draft"] is True
        no_token_anywhere(root, report)

        assert publish(root, services, "github") == 0
        second = capsys.readouterr()
        no_token_anywhere(root, second.out + second.err)
    assert services.count("POST", r"/releases$") == 1  # found again, not created twice
    assert services.count("DELETE", r"/releases/assets/") == 1  # the broken upload is replaced
    (release,) = services.releases
    assert release["draft"] is False
    assert sorted(a["name"] for a in release["assets"]) == expected_files()
    assert all(a["state"] == "uploaded" for a in release["assets"])
    uploads = [r.path for r in services.requests if r.path.startswith("/uploads/")]
    assert sum("cnplans-1.0.0.xlsx" in p for p in uploads) == 1  # already there: not sent again


def test_github_refuses_a_tag_that_is_not_pushed(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with fake_services() as services:
        assert publish(root, services, "github") == 1
    assert "the tag v1.0.0 is not in o/r on GitHub; push it first" in capsys.readouterr().out
    assert services.releases == []


def test_dry_run_prints_every_request_and_sends_none(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with fake_services() as services:
        assert publish(root, services, "github", "--dry-run") == 0
        out = capsys.readouterr().out
        assert services.requests == []
        base = services.base
    assert f"[dry run] GET {base}/repos/o/r/git/ref/tags/v1.0.0" in out
    assert (
        f"[dry run] POST {base}/repos/o/r/releases  json tag_name='v1.0.0', "
        "name='cnplans 1.0.0', body='First release.\\n', draft=True, prerelease=False"
    ) in out
    size = len(ARTIFACTS["cnplans-1.0.0.zip"])
    assert (
        f"[dry run] POST {base}/repos/o/r/releases/{{release_id}}/assets?name=cnplans-1.0.0.zip"
        f"  file cnplans-1.0.0.zip ({size} bytes, sha256 "
    ) in out
    assert f"[dry run] PATCH {base}/repos/o/r/releases/{{release_id}}  json draft=False" in out
    monkeypatch.setenv("ZENODO_TOKEN", TOKEN)
    assert publish(root, None, "zenodo", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "[dry run] POST http://127.0.0.1:9/api/deposit/depositions  json " in out
    assert "[dry run] PUT http://127.0.0.1:9/api/files/{bucket_id}/cnplans-1.0.0.zip" in out
    assert (
        "[dry run] POST http://127.0.0.1:9/api/deposit/depositions/{deposition_id}/actions/publish"
        in out
    )
    assert "would write the DOI" in out
    assert TOKEN not in out
    assert "doi" not in yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))


def test_zenodo_deposition_gets_metadata_files_and_a_doi_written_back(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZENODO_TOKEN", TOKEN)
    with fake_services() as services:
        assert publish(root, services, "zenodo") == 0
    captured = capsys.readouterr()
    no_token_anywhere(root, captured.out + captured.err)
    (deposition,) = services.depositions.values()
    metadata = deposition["metadata"]
    assert metadata["title"] == TITLE
    assert metadata["version"] == VERSION
    assert metadata["license"] == "cc-by-4.0"
    assert metadata["upload_type"] == "dataset"
    assert metadata["creators"] == [{"name": "test contributors"}]
    assert metadata["keywords"] == ["test"]
    assert deposition["submitted"] is True
    bucket = services.buckets[f"b{deposition['id']}"]
    assert sorted(bucket) == expected_files()
    assert bucket["cnplans-1.0.0.zip"] == ARTIFACTS["cnplans-1.0.0.zip"]
    doi = deposition["doi"]
    citation = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["doi"] == doi
    assert citation["version"] == VERSION  # the rest of the file is kept
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"DOI: [{doi}](https://doi.org/{doi})" in readme
    assert readme.startswith("# Synthetic\n")
    assert {r.authorization for r in services.requests} == {f"Bearer {TOKEN}"}
    # publishing again finds the published deposition and changes nothing
    with fake_services() as again:
        again.depositions, again.buckets = services.depositions, services.buckets
        assert publish(root, again, "zenodo") == 0
        assert again.count("POST", "") == 0 and again.count("PUT", "") == 0


def test_zenodo_failure_midway_is_reported_and_a_rerun_resumes(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZENODO_TOKEN", TOKEN)
    with fake_services() as services:
        services.fail_upload_number = 3
        assert publish(root, services, "zenodo") == 1
        first = capsys.readouterr()
        report = first.out + first.err
        assert "publishing to Zenodo stopped" in report
        assert (
            "published in this run: create the deposition; upload cnplans-1.0.0.xlsx; "
            "upload cnplans-1.0.0.zip\n"
        ) in report
        assert "not published: upload x.parquet; upload SHA256SUMS; set the metadata" in report
        no_token_anywhere(root, report)
        assert "doi" not in yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))

        assert publish(root, services, "zenodo") == 0
        second = capsys.readouterr()
        no_token_anywhere(root, second.out + second.err)
    assert services.count("POST", r"/api/deposit/depositions$") == 1
    (deposition,) = services.depositions.values()
    assert sorted(services.buckets[f"b{deposition['id']}"]) == expected_files()
    puts = [r.path for r in services.requests if r.method == "PUT" and "/api/files/" in r.path]
    assert sum(p.endswith("/cnplans-1.0.0.zip") for p in puts) == 1  # not uploaded twice
    assert yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))["doi"]


def test_zenodo_new_version_replaces_the_files_of_the_last_one(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZENODO_TOKEN", TOKEN)
    with fake_services() as services:
        old = services._new_deposition({"cnplans-0.9.0.zip": b"old"})
        old.update(submitted=True, doi="10.5072/zenodo.old", metadata={"version": "0.9.0"})
        assert publish(root, services, "zenodo", "--zenodo-new-version-of", str(old["id"])) == 0
    new = [d for d in services.depositions.values() if d["id"] != old["id"]]
    assert len(new) == 1
    assert sorted(services.buckets[f"b{new[0]['id']}"]) == expected_files()
    assert services.buckets[f"b{old['id']}"] == {"cnplans-0.9.0.zip": b"old"}


def test_publish_refuses_artifacts_that_do_not_match_their_checksums(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    (root / "dist" / "cnplans-1.0.0" / "x.parquet").write_bytes(b"changed")
    with fake_services() as services:
        assert publish(root, services, "github") == 1
    assert "x.parquet does not match its sha256" in capsys.readouterr().err
    assert services.requests == []


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        ("missing artifact", "is not the release that was built: x.parquet is missing"),
        ("malformed line", "SHA256SUMS, line 2: expected '<64 hex digits>  <file name>'"),
        ("no SHA256SUMS", "SHA256SUMS does not exist; build the release first"),
    ],
)
def test_publish_refuses_a_folder_that_sha256sums_does_not_describe(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    damage: str,
    problem: str,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    folder = root / "dist" / "cnplans-1.0.0"
    sums = folder / "SHA256SUMS"
    if damage == "missing artifact":
        (folder / "x.parquet").unlink()
    elif damage == "malformed line":
        lines = sums.read_text(encoding="utf-8").splitlines()
        sums.write_text(f"{lines[0]}\n{lines[1][:40]}\n", encoding="utf-8")
    else:
        sums.unlink()
    with fake_services() as services:
        assert publish(root, services, "github") == 1
    assert problem in capsys.readouterr().err
    assert services.requests == []


def test_publish_needs_a_token(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ZENODO_TOKEN", raising=False)
    assert publish(root, None, "zenodo") == 1
    assert "ZENODO_TOKEN is not set" in capsys.readouterr().err
