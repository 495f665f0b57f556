"""Sessions for cnplans. Orchestration only: the logic lives in ``src/cnplans`` and ``scripts/``."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"

PYPROJECT = nox.project.load_toml("pyproject.toml")
# uv, unlike pip, leaves compiling to the first import, which PYTHONDONTWRITEBYTECODE forbids
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")


def _install(session: nox.Session, *groups: str) -> None:
    """Install the package and the named dependency groups from pyproject.toml."""
    session.install(".")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session(default=True)
def validate(session: nox.Session) -> None:
    """Validate the data package: descriptor, schemas, rows, keys, quotes and provenance.

    The checkout's validator runs from ``src/`` with the dependencies installed, so a second run
    builds nothing (with uv installed, nox's installs of satisfied requirements take milliseconds).
    """
    session.install(*PYPROJECT["project"]["dependencies"])
    session.run(
        "python", "-m", "cnplans", "validate", "datapackage.json", *session.posargs,
        env={"PYTHONPATH": "src"},
    )  # fmt: skip


@nox.session(default=True)
def tests(session: nox.Session) -> None:
    """Run the test suite against the installed package, with branch coverage of it."""
    _install(session, "test")
    session.run(
        "pytest", "--cov=cnplans", "--cov-branch", "--cov-report=term:skip-covered",
        "--cov-fail-under=92", *session.posargs,
    )  # fmt: skip


@nox.session(default=False)
def lint(session: nox.Session) -> None:
    """Check formatting, lint and types (ruff, mypy) and the workflows (zizmor)."""
    _install(session, "lint")
    session.run("ruff", "format", "--check", "src", "scripts", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "check", "src", "scripts", "tests", "benchmarks", "noxfile.py")
    session.run("mypy")
    session.run("mypy", "--strict", "src")
    session.run("zizmor", "--offline", ".github/workflows")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Run benchmarks/size.py, real_package.py, load.py, quantities.py, draft.py, engines.py,
    then validate.py (posargs: the last)."""
    _install(session, "bench")
    for script in ("size", "real_package", "load", "quantities", "draft", "engines"):
        session.run("python", f"benchmarks/{script}.py")
    session.run("python", "benchmarks/validate.py", *session.posargs)


@nox.session(default=False)
def convert(session: nox.Session) -> None:
    """Recompute the derived US dollar columns of targets.csv from the exchange-rate table."""
    _install(session)
    session.run("cnplans", "convert", "datapackage.json", *session.posargs)


@nox.session(default=False)
def rates(session: nox.Session) -> None:
    """Fetch fresh annual exchange rates into exchange_rates.csv (network; `-- --dry-run`)."""
    _install(session)
    session.run("python", "-m", "scripts.rates", "update", "datapackage.json", *session.posargs)


@nox.session(default=False)
def site(session: nox.Session) -> None:
    """Build the static download site into dist/site/ (release files from dist/ when built)."""
    _install(session, "site")
    session.run("python", "-m", "scripts.site", "--root", ".", *session.posargs)


@nox.session(default=False)
def release(session: nox.Session) -> None:
    """Cut a data release: `nox -s release -- X.Y.Z` (check, stamp, build dist/, commit, tag)."""
    _install(session, "release")
    session.run("python", "-m", "scripts.release", "release", *session.posargs)


@nox.session(default=False)
def diff(session: nox.Session) -> None:
    """Print the data changes against a git ref as markdown: `nox -s diff -- [REF]`."""
    _install(session)
    session.run("python", "-m", "scripts.release", "diff", *session.posargs)


@nox.session(default=False)
def publish(session: nox.Session) -> None:
    """Publish a built release: `nox -s publish -- X.Y.Z --to github|zenodo [--dry-run]`."""
    _install(session)
    session.run("python", "-m", "scripts.release", "publish", *session.posargs)


@nox.session(default=False)
def build(session: nox.Session) -> None:
    """Rebuild the release artifacts of the checked-out version into dist/ (CI, at a v* tag)."""
    _install(session, "release")
    session.run("python", "-m", "scripts.release", "build", *session.posargs)
