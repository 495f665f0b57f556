"""The ``cnplans`` command line (``python -m cnplans``, and the ``cnplans`` program's entry).

One sub-command per module, each in the area it belongs to (``validation.command``,
``conversion.command``, ``loader.commands``, ``drafting.commands``), imported only when used.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn, TextIO

# name -> (module that implements it, one-line help). Each module defines ``configure(parser)``
# and ``run(args) -> int``, and keeps heavy imports inside ``run``.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("cnplans.validation.command", "check a data package: schemas, rows, keys, quotes"),
    "tables": ("cnplans.loader.commands.tables", "list the tables with their row counts"),
    "show": (
        "cnplans.loader.commands.show",
        "print one table, or an overview of targets or clusters, as CSV or JSON, optionally for "
        "one region",
    ),
    "export": (
        "cnplans.loader.commands.export",
        "write every table as CSV, Excel or Parquet files",
    ),
    "convert": ("cnplans.conversion.command", "recompute the derived US dollar columns of targets"),
    "new-source": (
        "cnplans.drafting.commands.new_source",
        "archive a source text and add its sources row",
    ),
    "new-plan": (
        "cnplans.drafting.commands.new_plan",
        "add a plan stated in an archived source text",
    ),
    "draft": (
        "cnplans.drafting.commands.draft",
        "propose target rows (and clusters, measures) from a source text",
    ),
    "add": (
        "cnplans.drafting.commands.add",
        "check rows with the gate's rules and file them in id order",
    ),
    "fmt": (
        "cnplans.drafting.commands.fmt",
        "put every table's rows in primary-key order (--check: only say)",
    ),
}


class _Version(argparse.Action):
    """``--version``, which reads the installed version only when asked (that takes tens of
    milliseconds, which every other command would pay)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **_: Any) -> None:
        super().__init__(
            option_strings, argparse.SUPPRESS, nargs=0, help="show the version and exit"
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from cnplans import __version__

        print(f"cnplans {__version__}")
        parser.exit()


def build_parser(configure: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser listing every sub-command; those in ``configure`` (all when None)
    get their options (their modules are imported)."""
    parser = argparse.ArgumentParser(
        prog="cnplans",
        description="Chinese regional industrial development plans: validate, convert, load.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = set(COMMANDS if configure is None else configure)
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name in chosen:
            module = importlib.import_module(module_name)
            module.configure(command_parser)
            command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code: 0 ok, 1 invalid data, 2 cannot run, 3 a bug.

    Whatever happens, one line on standard error says it, never a traceback.
    """
    from cnplans.datapackage.errors import EXIT_BUG, CnplansError, printable

    words = sys.argv[1:] if argv is None else list(argv)
    # The sub-command is the first word that is not an option (the top level takes no values).
    command = next((word for word in words if not word.startswith("-")), None)
    parser = build_parser([] if command is None else [command])
    args = parser.parse_args(words)
    stderr = sys.stderr
    sys.stderr = _Printable(stderr)  # messages quote values from files: escape what they hold
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("cnplans: interrupted", file=sys.stderr)
        return 130
    except CnplansError as error:
        print(f"cnplans: {printable(str(error))}", file=sys.stderr)
        return error.exit_code
    except Exception as error:  # the last guard: a bug is told in one line, not dumped
        from cnplans import __version__

        print(
            f"cnplans: internal error, a bug in cnplans {__version__}: "
            f"{type(error).__name__}: {printable(str(error))[:500]}; please report it with the "
            "command line that caused it",
            file=sys.stderr,
        )
        return EXIT_BUG
    finally:
        sys.stderr = stderr


def run() -> NoReturn:
    """The ``cnplans`` program: :func:`main`, then the process ends at once with its exit code.

    Its files are written whole by then; skipping the teardown of pandas, pyarrow and pandera
    at exit saves about 0.35 s (``benchmarks/real_package.py``), as mypy does.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # the reader left, or it closed
            stream.flush()
    os._exit(code)


class _Printable:
    """A text stream that writes each line through :func:`~cnplans.datapackage.errors.printable`
    (messages quote values from files, which must not forge lines or drive the terminal)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from cnplans.datapackage.errors import printable

        self._stream.write("\n".join(printable(line) for line in text.split("\n")))
        return len(text)

    def __getattr__(self, name: str) -> object:  # flush, isatty, fileno, encoding...
        return getattr(self._stream, name)


if __name__ == "__main__":  # pragma: no cover
    run()
