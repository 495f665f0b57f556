"""The few git operations a release needs, run with the ``git`` command in one repository.

Old versions of files are read with ``git show REF:./PATH``, so nothing is checked out and the
working tree is never touched by a read.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ReleaseStepError

RELEASE_TAG = re.compile(r"^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


@dataclass(frozen=True)
class GitRepo:
    """A git working tree at ``root`` (the folder holding ``datapackage.json``)."""

    root: Path

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``git ARGS`` in the repository and return the finished process (never raises)."""
        full_env = None if env is None else {**os.environ, **env}
        try:
            return subprocess.run(
                ["git", *args], cwd=self.root, capture_output=True, env=full_env, check=False
            )
        except FileNotFoundError:
            raise ReleaseStepError(
                "the git command is not installed or not on PATH; releases need git"
            ) from None

    def check(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run ``git ARGS`` and return its standard output; a failure is a ReleaseStepError."""
        done = self.run(*args, env=env)
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise ReleaseStepError(f"git {' '.join(args)} failed in {self.root}: {message}")
        return done.stdout.decode("utf-8", "replace")

    def succeeds(self, *args: str) -> bool:
        return self.run(*args).returncode == 0

    def uncommitted(self) -> list[str]:
        """``git status --porcelain`` lines: changed, staged and untracked (not ignored) files."""
        return [line for line in self.check("status", "--porcelain").splitlines() if line.strip()]

    def release_tags(self) -> list[str]:
        """Tags of the form ``vX.Y.Z``, oldest version first."""
        found = [t.strip() for t in self.check("tag", "--list").splitlines()]
        tags = [t for t in found if RELEASE_TAG.match(t)]
        return sorted(tags, key=lambda tag: tuple(int(part) for part in tag[1:].split(".")))

    def resolve(self, ref: str) -> None:
        """Check that ``ref`` names a commit; an unknown ref is a ReleaseStepError."""
        if not self.succeeds("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"):
            raise ReleaseStepError(
                f"{ref!r} is not a commit, branch or tag in {self.root}; "
                "give a ref such as v1.0.0, main or HEAD~1"
            )

    def show(self, ref: str, path: str) -> bytes | None:
        """The bytes of ``path`` (relative to ``root``) at ``ref``, or None if it did not exist."""
        done = self.run("show", f"{ref}:./{path}")
        return done.stdout if done.returncode == 0 else None

    def tracked_copy(self, target: Path) -> Path:
        """Copy every tracked file (as it is in the working tree) into ``target``.

        A release is stamped, validated and built there: the maintainer's tree stays untouched
        until every check passed, and the artifacts depend only on tracked files.
        """
        for name in sorted(filter(None, self.check("ls-files", "-z", "--cached").split("\0"))):
            source = self.root.joinpath(*PurePosixPath(name).parts)
            if not source.exists() and not source.is_symlink():
                continue  # deleted in the working tree (only possible with --allow-dirty)
            destination = target.joinpath(*PurePosixPath(name).parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination, follow_symlinks=False)
        return target

    def last_commit_epoch(self) -> int:
        """Committer time of HEAD in seconds since 1970 (the default SOURCE_DATE_EPOCH)."""
        return int(self.check("log", "-1", "--format=%ct").strip())

    def commit(self, paths: list[str], message: str, *, epoch: int) -> str:
        """Commit ``paths`` with author and committer time ``epoch``; returns the new commit."""
        self.check("add", "--", *paths)
        stamp = f"@{epoch} +0000"
        self.check(
            "commit", "--quiet", "-m", message, "--", *paths,
            env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
        )  # fmt: skip
        return self.check("rev-parse", "HEAD").strip()

    def tag(self, name: str, message: str, *, epoch: int) -> None:
        """Create the annotated tag ``name`` on HEAD."""
        self.check("tag", "-a", name, "-m", message, env={"GIT_COMMITTER_DATE": f"@{epoch} +0000"})
