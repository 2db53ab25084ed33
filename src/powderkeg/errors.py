"""The one exception type for a user's mistake: bad files, unknown names, impossible values.

The command line prints its message as one paragraph and exits with code 2; everything
else is a bug and keeps its traceback.
"""

__all__ = ["InputError"]


class InputError(Exception):
    """A problem with what the user gave us, explained in words that say where and what to do."""
