"""The two ways a release step stops: a refusal before anything changed, or a failure."""

from __future__ import annotations

from cnplans.datapackage.errors import EXIT_INVALID, CnplansError


class ReleaseStepError(CnplansError):
    """A release step cannot go on; the message says what went wrong and what to do about it."""

    exit_code = EXIT_INVALID


class Refused(ReleaseStepError):
    """A precondition is not met (dirty tree, failing data, version too small, ...).

    Raised before the step changed any file, so the maintainer can fix the cause and rerun.
    """
