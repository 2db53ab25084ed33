"""The exception for a user's mistake, and the warning about a result that says less than it seems.

The command line prints an :class:`InputError`'s message as one paragraph and exits with code
2, and a :class:`ResultWarning` as a paragraph starting "warning:"; everything else is a bug
and keeps its traceback.
"""

__all__ = ["InputError", "ResultWarning"]


class InputError(Exception):
    """A problem with what the user gave us, explained in words that say where and what to do."""


class ResultWarning(UserWarning):
    """A result that is returned, but that the user could easily read as more than it is."""
