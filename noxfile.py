"""Sessions for cnplans. Orchestration only: the logic lives in ``src/cnplans`` and ``scripts/``."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _install(session: nox.Session, *groups: str) -> None:
    """Install the package and the named dependency groups from pyproject.toml."""
    session.install(".")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session(default=True)
def validate(session: nox.Session) -> None:
    """Validate the data package: descriptor, schemas, rows, keys, quotes and provenance."""
    _install(session)
    session.run("cnplans", "validate", "datapackage.json", *session.posargs)


@nox.session(default=True)
def tests(session: nox.Session) -> None:
    """Run the test suite against the installed package."""
    _install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(default=False)
def lint(session: nox.Session) -> None:
    """Check formatting, lint and types with ruff and mypy."""
    _install(session, "lint")
    session.run("ruff", "format", "--check", "src", "scripts", "tests", "noxfile.py")
    session.run("ruff", "check", "src", "scripts", "tests", "noxfile.py")
    session.run("mypy")
