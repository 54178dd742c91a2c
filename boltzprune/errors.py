"""The package's error family. Every check of user input raises one of these, so that the
command line turns exactly these into one line and exit status 2 while anything else
surfaces as the bug it is.

``BoltzpruneError`` subclasses ``ValueError`` (and ``InvalidTypeError`` also ``TypeError``)
so that callers catching the built-in exceptions keep working.
"""

from __future__ import annotations

__all__ = ["BoltzpruneError", "InvalidInputError", "InvalidTypeError", "BadFileError",
           "DivergenceError"]


class BoltzpruneError(ValueError):
    """Bad input, a bad file or a failed run: the message is one line for the user."""


class InvalidInputError(BoltzpruneError):
    """An argument or setting outside its allowed values; the message names it, the allowed
    range and the value got."""


class InvalidTypeError(InvalidInputError, TypeError):
    """An argument or setting of the wrong type."""


class BadFileError(BoltzpruneError):
    """A file that is missing, unreadable, malformed or altered."""


class DivergenceError(BoltzpruneError):
    """Training diverged (non-finite parameters); the message says which setting to lower."""
