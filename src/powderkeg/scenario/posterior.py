"""Reading the posterior sample of a fit folder, for a scenario that names it.

A fit folder (written by ``powderkeg fit``) holds ``posterior.parquet``: one row per
equally weighted posterior draw, with a column ``u:PATH`` (the draw's prior quantile) and a
column ``PATH`` (its value) for every fitted parameter. :func:`posterior_draws` turns it into
:class:`~powderkeg.model.posterior.PosteriorDraws` after checking that every fitted path is
an uncertain parameter of the scenario.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from powderkeg.errors import InputError
from powderkeg.model.posterior import PosteriorDraws
from powderkeg.scenario.schema import Scenario

__all__ = ["POSTERIOR_FILE", "QUANTILE", "posterior_draws", "with_posterior"]

POSTERIOR_FILE = "posterior.parquet"
QUANTILE = "u:"  # prefix of the columns holding each draw's prior quantile


def posterior_draws(s: Scenario, random_paths: tuple[str, ...]) -> PosteriorDraws | None:
    """The draws of the fit folder ``s.posterior`` names (``None`` without one).

    Raises :class:`~powderkeg.errors.InputError` for a folder that is not a fit, or whose
    parameters are not uncertain parameters of ``s``.
    """
    if s.posterior is None:
        return None
    import pandas as pd

    path = Path(s.posterior) / POSTERIOR_FILE
    shown = _as_given(Path(s.posterior))
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as e:
        raise InputError(f"{shown} is not a fit folder of `powderkeg fit`: reading "
                         f"{path.name} failed ({str(e).splitlines()[0]}). Give the folder "
                         "`powderkeg fit` printed.") from None
    paths = tuple(c[len(QUANTILE):] for c in table.columns if c.startswith(QUANTILE))
    missing = [p for p in paths if p not in random_paths]
    if missing or not paths or table.empty:
        what = (f"fits {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}, which "
                f"scenario '{s.id}' has not as uncertain parameters" if missing
                else "has no posterior draws")
        raise InputError(f"The posterior in {shown} {what}. Use a fit of this scenario "
                         "(or of one that shares its parameter paths), or fit it with "
                         f"`powderkeg fit {s.id}`.")
    u = table[[QUANTILE + p for p in paths]].to_numpy(dtype=float)
    return PosteriorDraws(paths, np.clip(u, 1e-12, 1 - 1e-12))


def _as_given(folder: Path) -> Path:
    """``folder`` as the user most likely gave it: relative to the working folder if inside."""
    try:
        return folder.relative_to(Path.cwd())
    except ValueError:
        return folder


def with_posterior(s: Scenario, fit_dir: Path | None) -> Scenario:
    """The scenario drawing its fitted parameters from ``fit_dir`` (``None``: unchanged).

    Warns (:class:`~powderkeg.errors.ResultWarning`) when the fit's posterior rests on fewer
    than :data:`~powderkeg.analysis.fit.LEARNT_MIN_ESS` effective points: its runs then
    draw nearly the same parameters, and their intervals leave out the parameters'
    uncertainty."""
    if fit_dir is None:
        return s
    _warn_if_thin(Path(fit_dir))
    return s.model_copy(update={"posterior": str(Path(fit_dir).resolve())})


def _warn_if_thin(fit_dir: Path) -> None:
    import json
    import warnings

    from powderkeg.analysis.fit import LEARNT_MIN_ESS
    from powderkeg.errors import ResultWarning

    try:
        ess = float(json.loads((fit_dir / "fit.json").read_text("utf-8"))
                    ["effective_sample_size"])
    except (OSError, ValueError, KeyError, TypeError):
        return  # not a fit folder: posterior_draws says so when the runs start
    if ess < LEARNT_MIN_ESS:
        warnings.warn(f"The posterior in {fit_dir} rests on an effective sample of {ess:.0f} "
                      f"points (below {LEARNT_MIN_ESS}): the runs draw nearly the same fitted "
                      "parameters, so their intervals leave out those parameters' "
                      "uncertainty. Fit again with more waves or points per wave.",
                      ResultWarning, stacklevel=2)
