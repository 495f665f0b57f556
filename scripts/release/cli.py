"""Command line of the release tools: ``python -m scripts.release COMMAND`` from the repository.

Each command is described in scripts/release/README.md; ``--help`` lists the options. Exit
status: 0 done, 1 refused or failed (the message says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cnplans.datapackage import atomic, dump_descriptor, read_descriptor
from cnplans.datapackage.errors import CnplansError
from cnplans.datapackage.paths import DESCRIPTOR_NAME as DESCRIPTOR

from .changelog import DEFAULT_LIMIT
from .errors import Refused, ReleaseStepError
from .gitrepo import GitRepo


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.release",
        description="Versioned releases of the cnplans data package.",
    )
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="the package folder (default: .)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    release = sub.add_parser("release", help="cut release X.Y.Z (see scripts/release/README.md)")
    release.add_argument("version", help="the new version, MAJOR.MINOR.PATCH")
    _build_arguments(release)
    release.add_argument(
        "--no-commit",
        action="store_true",
        help="stamp and build, but leave committing and tagging to the maintainer",
    )
    release.add_argument(
        "--validate-command",
        help="validator to run instead of `python -m cnplans validate datapackage.json`",
    )
    release.add_argument("--changelog-limit", type=int, default=DEFAULT_LIMIT, metavar="N")

    build = sub.add_parser("build", help="build the artifacts of the version in datapackage.json")
    _build_arguments(build)
    build.add_argument(
        "--allow-dirty", action="store_true", help="build even with uncommitted changes"
    )

    diff = sub.add_parser("diff", help="print the data changes since a git ref, as markdown")
    diff.add_argument("ref", nargs="?", help="a tag, branch or commit (default: last vX.Y.Z tag)")
    diff.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N")

    sub.add_parser("stamp", help="recompute bytes, hash and sources in datapackage.json")

    publish = sub.add_parser("publish", help="publish a built release to GitHub or Zenodo")
    publish.add_argument("version")
    publish.add_argument("--to", required=True, choices=["github", "zenodo"])
    publish.add_argument("--dry-run", action="store_true", help="print the requests, send none")
    publish.add_argument("--dist", type=Path, default=Path("dist"))
    publish.add_argument("--repo", help="GitHub repository OWNER/NAME (or $GITHUB_REPOSITORY)")
    publish.add_argument("--github-api-url", help="default https://api.github.com")
    publish.add_argument("--github-uploads-url", help="default https://uploads.github.com")
    publish.add_argument("--zenodo-url", help="default https://zenodo.org")
    publish.add_argument(
        "--zenodo-new-version-of",
        metavar="DEPOSITION_ID",
        help="make the deposition a new version of this earlier one (shared concept DOI)",
    )
    return parser


def _build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="default: dist")
    parser.add_argument(
        "--no-python-dist", action="store_true", help="leave out the wheel and sdist"
    )
    parser.add_argument(
        "--no-build-isolation",
        action="store_true",
        help="build the wheel with the installed hatchling instead of a fresh environment",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args, args.root.resolve())
    except CnplansError as exc:
        refused = "refused: " if isinstance(exc, Refused) else ""
        print(f"release: {refused}{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("release: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, root: Path) -> int:
    from . import build, stamp

    repo = GitRepo(root)
    if args.command in ("release", "build"):
        options = build.BuildOptions(not args.no_python_dist, not args.no_build_isolation)
    if args.command == "release":
        from .release import ReleaseOptions, release, summary

        validate = shlex.split(args.validate_command) if args.validate_command else None
        wanted = ReleaseOptions(
            args.dist, options, validate, args.changelog_limit, not args.no_commit
        )
        print(summary(release(root, args.version, wanted)))
    elif args.command == "build":
        from . import checks

        if not args.allow_dirty:
            checks.require_clean_tree(repo)
        version = str(read_descriptor(root / DESCRIPTOR)["version"])
        dist = root / args.dist  # an absolute --dist stays as it is
        epoch = build.source_date_epoch(repo.last_commit_epoch)
        with tempfile.TemporaryDirectory(prefix="cnplans-build-") as scratch:
            work = repo.tracked_copy(Path(scratch) / "tree")
            staging = build.build_staged(work, dist, version, epoch, options)
        folder = build.finalize(staging, dist, version)
        print(f"built cnplans {version} into {folder} (SOURCE_DATE_EPOCH={epoch})")
    elif args.command == "diff":
        from . import changelog, semver, snapshot
        from .diff import compare

        ref = args.ref
        if ref is None:
            tags = repo.release_tags()
            if not tags:
                raise ReleaseStepError(
                    "there is no release tag (vX.Y.Z) yet; name a ref to compare with"
                )
            ref = tags[-1]
        diff = compare(snapshot.from_git(repo, ref), snapshot.from_directory(root))
        print(changelog.review(diff, semver.reasons(diff), limit=args.limit), end="")
    elif args.command == "stamp":
        path = root / DESCRIPTOR
        descriptor = stamp.stamped(root, read_descriptor(path))
        atomic.write_text(path, dump_descriptor(descriptor))
        print(f"stamped {path}: bytes and hash of {len(descriptor['resources'])} resources")
    else:
        from .publish.command import PublishOptions, publish

        # the options are named as the arguments are
        given = {f.name: getattr(args, f.name) for f in dataclasses.fields(PublishOptions)}
        return publish(root, args.version, PublishOptions(**given))
    return 0
