"""How the dashboard answers a variant: reweight the stored runs, or rerun them.

A variant that only changes the distribution of numbers the runs already sampled, or the
weights of the two theories, is answered at once by importance weights
(:mod:`powderkeg.analysis.reweight`) when its values lie where the baseline's could and the
weights leave enough effective runs. Anything else (a policy, a fixed number, values the
baseline never drew) is rerun on the baseline's own run numbers with its seed, so run ``i``
shares its random numbers in both (common random numbers) and the difference is paired
(:func:`powderkeg.analysis.compare.compare`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import xarray as xr

from powderkeg.analysis.compare import compare
from powderkeg.analysis.reweight import (
    covers,
    effective_sample_size,
    importance_weights,
    weighted_difference,
    weighted_probability,
)
from powderkeg.app.levers import Variant, theory_probabilities
from powderkeg.model.build import Model

__all__ = ["Shown", "reweighting", "table_rows", "rows_csv", "MIN_EFFECTIVE_SHARE",
           "MIN_EFFECTIVE_RUNS"]

#: Reweighting is refused when the effective sample size falls below this share of the runs
MIN_EFFECTIVE_SHARE = 0.2
#: ... or below this many runs.
MIN_EFFECTIVE_RUNS = 20


@dataclass(frozen=True)
class Shown:
    """Runs to show and their weights (all 1 for simulated runs), and how they were had."""

    ds: xr.Dataset
    weights: np.ndarray  # (R,)
    how: str

    @property
    def reweighted(self) -> bool:
        return not np.all(self.weights == 1)


def reweighting(ds: xr.Dataset, base_model: Model, v: Variant,
                var_model: Model) -> tuple[np.ndarray | None, str]:
    """Importance weights answering variant ``v`` from the runs of ``ds``, or why not.

    Returns ``(weights, "")`` or ``(None, reason)``.
    """
    base = base_model.scenario
    if v.policy is not None and base.politics is not None and v.policy != base.politics.policy:
        return None, "a response policy changes how every run unfolds"
    old = dict(zip(base_model.world_paths, base_model.world_params, strict=True))
    new = dict(zip(var_model.world_paths, var_model.world_params, strict=True))
    stored = [str(p) for p in ds.parameter.values]
    repair = set(base_model.link_repair_path)
    moved = [p for p, k in v.scales.items() if k != 1]
    for path in moved:
        if path not in stored:
            return None, f"{path} is a fixed number, not sampled per run"
        if path in repair:
            return None, f"{path} is drawn again for every repair, not only once per run"
        if not covers(old[path], new[path]):
            return None, (f"{path} as {new[path].describe()} reaches values that "
                          f"{old[path].describe()} never drew")
    theory = None
    before, after = theory_probabilities(base_model), theory_probabilities(var_model)
    if any(not np.isclose(before[t], after[t]) for t in before):
        if "theory" not in ds or any(after[t] > 0 and before[t] == 0 for t in before):
            return None, "the baseline's runs never drew a theory the variant weighs"
        theory = ds.theory.values
    values = {p: ds.parameter_value.values[:, stored.index(p)] for p in moved}
    w = importance_weights(values, old, new, theory, before, after)
    n, n_eff = len(w), effective_sample_size(w)
    if n_eff < max(MIN_EFFECTIVE_RUNS, MIN_EFFECTIVE_SHARE * n):
        return None, (f"the weights leave {n_eff:.0f} effective runs of {n}, too few to "
                      "trust")
    return w, ""


def table_rows(base: Shown, variant: Shown | None) -> list[dict]:
    """One row per outcome: the baseline's and the variant's probabilities with intervals,
    and the paired difference with its interval.

    A simulated variant is paired with the baseline run by run
    (:func:`~powderkeg.analysis.compare.compare`, Newcombe's paired interval); a reweighted
    one is the same runs with other weights (:func:`~powderkeg.analysis.reweight.
    weighted_difference`).
    """
    ids = [str(o) for o in base.ds.outcome.values]
    hit = lambda s: ~np.isnan(s.ds.event_day.values)  # noqa: E731
    base_hit = hit(base)
    rows = []
    for j, oid in enumerate(ids):
        row = {"id": oid, "baseline": weighted_probability(base_hit[:, j], base.weights)}
        rows.append(row)
    if variant is None:
        return rows
    var_hit = hit(variant)
    if variant.reweighted:
        for j, row in enumerate(rows):
            row["variant"] = weighted_probability(var_hit[:, j], variant.weights)
            row.update(weighted_difference(var_hit[:, j], variant.weights))
        return rows
    paired = {r["id"]: r for r in compare(base.ds, variant.ds)}
    var_ids = [str(o) for o in variant.ds.outcome.values]
    for row in rows:
        if row["id"] in paired:
            j = var_ids.index(row["id"])
            row["variant"] = weighted_probability(var_hit[:, j], variant.weights)
            row["difference"] = paired[row["id"]]["difference"]
            row["ci95"] = paired[row["id"]]["ci95"]
    return rows


def rows_csv(rows: list[dict]) -> str:
    """The table as CSV: one row per outcome, probabilities and bounds as fractions."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["outcome", "baseline", "baseline_low", "baseline_high", "variant",
                "variant_low", "variant_high", "difference", "difference_low",
                "difference_high"])
    for r in rows:
        cells = [r["id"], r["baseline"]["probability"], *r["baseline"]["ci95"]]
        v = r.get("variant")
        cells += [v["probability"], *v["ci95"]] if v else ["", "", ""]
        cells += [r["difference"], *r["ci95"]] if "difference" in r else ["", "", ""]
        w.writerow([c if isinstance(c, str) else f"{c:.6g}" for c in cells])
    return buf.getvalue()
