"""The one base class of every error dprk-stance reports to a user as a one-line message.

Stages and the command line map these (and ``ValueError``/``FileNotFoundError`` raised by
validation) to exit status 2 without a traceback; anything else is a bug and keeps its
traceback. Kept in a leaf module so that no layer imports upward to learn the error types.
"""

from __future__ import annotations

EXIT_INPUT_FAILURES = 1  # some inputs could not be read; the rest were processed
EXIT_ERROR = 2  # nothing (more) could be done: bad input, bad settings, missing files


class DprkStanceError(Exception):
    """Base of the project's user-facing errors (bad corpus, settings, model, input)."""


USER_ERRORS: tuple[type[BaseException], ...] = (DprkStanceError, FileNotFoundError, ValueError)
