"""The one error base of cnplans and the exit codes every command returns.

Every error a command turns into a message (rather than a traceback) is a :class:`CnplansError`;
its ``exit_code`` is what the command exits with.
"""

from __future__ import annotations

import re

EXIT_OK = 0  # done; the data is valid
EXIT_INVALID = 1  # the data or the values given are refused
EXIT_CANNOT_RUN = 2  # the command cannot run: a file, the package or the network cannot be used
EXIT_BUG = 3  # an internal error: a bug in cnplans, to be reported

# What a terminal would act on or a reader would take for layout: C0 and C1 controls (line breaks
# and ESC among them), DEL, Unicode line and paragraph separators, and bidirectional overrides.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    r"""``text`` with every control character shown as an escape, for one line of text output
    (a newline from a file could forge a problem line, an escape sequence drive the terminal).

    >>> print(printable("title\nresources/x.csv:1:a: fake \x1b[31m"))
    title\nresources/x.csv:1:a: fake \x1b[31m
    >>> printable("plain text, 中文")
    'plain text, 中文'
    """
    return _UNPRINTABLE.sub(lambda m: _NAMED.get(m.group()) or _escape(m.group()), text)


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class CnplansError(Exception):
    """An error with a message for people and the exit code of the command that meets it.

    >>> error = CnplansError("plans.csv cannot be read", EXIT_CANNOT_RUN)
    >>> str(error), error.exit_code
    ('plans.csv cannot be read', 2)
    """

    exit_code: int = EXIT_CANNOT_RUN

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
