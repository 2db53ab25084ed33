"""``powderkeg serve``: a local dashboard to move the levers of a scenario and see the futures.

Needs the optional extra ``app`` (Dash); :func:`require_dash` says how to install it.
"""

from powderkeg.errors import InputError

__all__ = ["require_dash"]


def require_dash() -> None:
    """Raise :class:`InputError` naming the install command when Dash is missing."""
    try:
        import dash  # noqa: F401
    except ImportError:
        raise InputError("`powderkeg serve` needs the optional extra \"app\" (Dash). Install "
                         "it with: pip install 'powderkeg[app]'") from None
