"""Exceptions with messages a user can act on.

Every message names the file, row, column or city involved and says what to do.
"""

from __future__ import annotations


class GeodtiError(Exception):
    """Base class of geodti's user-facing errors."""


class InputError(GeodtiError, ValueError):
    """An input table or file cannot be read or is malformed (CLI exit code 2)."""


class MatchError(GeodtiError):
    """Some rows could not be matched to a unique city (CLI exit code 1)."""

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


class MethodError(GeodtiError, ValueError):
    """The inputs of a computation violate the method's assumptions."""


class InputWarning(UserWarning):
    """An input table was read, but something in it deserves a look (e.g. mixed period types)."""
