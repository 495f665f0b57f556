"""The one error base of cnplans and the exit codes every command returns.

Every error a command turns into a message (rather than a traceback) is a :class:`CnplansError`;
its ``exit_code`` is what the command exits with.

>>> issubclass(EXIT_CODES.__class__, dict), EXIT_CODES[EXIT_INVALID]
(True, 'the data or the values given are refused')
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_CANNOT_RUN = 2
EXIT_CODES = {
    EXIT_OK: "done; the data is valid",
    EXIT_INVALID: "the data or the values given are refused",
    EXIT_CANNOT_RUN: "the command cannot run: a file, the package or the network cannot be used",
}


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
