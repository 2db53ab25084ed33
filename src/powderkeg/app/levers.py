"""The dashboard's levers and the variant they describe: pure functions, no Dash.

A :class:`Variant` is what the levers say: a response policy, the weight of each escalation
theory, and a factor for some sampled numbers. It becomes an
``extends:`` document (:func:`variant_document`), which is both what the dashboard simulates
and what it exports, so the file a user downloads reproduces what the dashboard showed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy.stats import rankdata

from powderkeg.errors import InputError
from powderkeg.model.build import Model
from powderkeg.scenario.load import extend_document, validate_document
from powderkeg.scenario.params import _Number
from powderkeg.scenario.provenance import BARE, CONTEXT, kind
from powderkeg.scenario.schema import Scenario

__all__ = ["Lever", "Variant", "influential_levers", "scaled_number", "variant_document",
           "variant_scenario", "theory_probabilities", "SCALE_RANGE", "VARIANT_NAME"]

#: The factors a number's lever may take: ``2**-1`` to ``2**1``.
SCALE_RANGE = (0.5, 2.0)
#: The file name a variant is validated and exported under.
VARIANT_NAME = "variant.yaml"
_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


@dataclass(frozen=True)
class Lever:
    """One uncertain number the user can move: where it is, what it is and how much it matters."""

    path: str
    describe: str  # its distribution, as `powderkeg show` writes it
    provenance: str  # its source, or that it is an assumption (with its note)
    influence: float  # largest |Spearman rho| with an outcome in the baseline runs
    outcome: str  # that outcome


@dataclass(frozen=True)
class Variant:
    """What the levers say; ``None`` and an empty ``scales`` leave the base scenario as it is."""

    policy: str | None = None
    theory_weights: dict[str, float] | None = None  # theory id -> weight (normalised on use)
    scales: dict[str, float] = field(default_factory=dict)  # path -> factor

    def theories(self, model: Model) -> dict[str, float]:
        """The probability of each theory under this variant (the base's when not set)."""
        base = theory_probabilities(model)
        if self.theory_weights is None:
            return base
        w = {t: float(self.theory_weights.get(t, 0.0)) for t in base}
        if any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
            raise InputError("The theory weights must be 0 or more and not all 0; give at "
                             "least one theory a weight.")
        return {t: v / sum(w.values()) for t, v in w.items()}

    def is_base(self, base: Scenario, model: Model) -> bool:
        same_policy = self.policy is None or (base.politics is not None
                                              and self.policy == base.politics.policy)
        old, new = theory_probabilities(model), self.theories(model)
        same_theories = all(np.isclose(old[t], new[t]) for t in old)
        return same_policy and same_theories and all(k == 1 for k in self.scales.values())


def _provenance(p: _Number) -> str:
    which = kind(p)
    note = f" ({p.note})" if p.note else ""
    if which == BARE:
        return f"assumption, no source{note}"
    if which == CONTEXT:
        return f"assumption citing {p.source} for context{note}"
    return f"source: {p.source}{note}"


def _spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rank correlations of every column of ``x`` (R, P) with every column of ``y`` (R, O)."""
    def z(a):
        r = rankdata(a, axis=0)
        sd = r.std(axis=0)
        return np.where(sd > 0, (r - r.mean(axis=0)) / np.where(sd > 0, sd, 1), 0.0)
    return z(x).T @ z(y) / len(x)


def _editable(path: str) -> bool:
    """A number an ``extends:`` file can override: every list item on its path has an id."""
    return all(not (idx and idx.isdigit()) for _, idx in _TOKEN.findall(path))


def influential_levers(ds: xr.Dataset, model: Model, top: int = 6) -> list[Lever]:
    """The ``top`` sampled numbers most associated with an outcome in the runs of ``ds``.

    Influence is the largest absolute Spearman rank correlation between the number's sampled
    values and an outcome's indicator (happened by the horizon) over the stored runs: a quick
    screen from the baseline, not a variance-based sensitivity index (`powderkeg
    sensitivity` computes those). Numbers whose path an ``extends:`` file cannot name are
    left out.
    """
    names = [str(p) for p in ds.parameter.values]
    params = dict(zip(model.world_paths, model.world_params, strict=True))
    keep = [i for i, n in enumerate(names) if _editable(n)]
    if not keep or ds.sizes["run"] < 3:
        return []
    happened = (~np.isnan(ds.event_day.values)).astype(float)
    rho = np.abs(_spearman(ds.parameter_value.values[:, keep], happened))
    best = rho.argmax(axis=1)
    order = np.argsort(-rho.max(axis=1), kind="stable")[:top]
    outcomes = [str(o) for o in ds.outcome.values]
    return [Lever(names[keep[j]], params[names[keep[j]]].describe(),
                  _provenance(params[names[keep[j]]]), float(rho[j, best[j]]),
                  outcomes[best[j]]) for j in order]


def scaled_number(p: _Number, factor: float) -> dict:
    """The YAML mapping of ``p`` with every value multiplied by ``factor`` (a what-if).

    Its note says it is an assumption and what it was.

    >>> from powderkeg.scenario.params import Uniform
    >>> d = scaled_number(Uniform(dist="uniform", low=2, high=4, note="assumption: x"), 2)
    >>> d["low"], d["high"], d["note"]
    (4.0, 8.0, 'assumption: what-if, 2 x uniform(2, 4) (assumption: x)')
    """
    doc = p.model_dump(exclude_none=True)
    for key in ("value", "low", "mode", "high", "mean", "sd", "median"):
        if key in doc:
            doc[key] = float(doc[key]) * factor
    if "values" in doc:
        doc["values"] = [float(v) * factor for v in doc["values"]]
    was = f" ({p.note})" if p.note else ""
    doc["note"] = f"assumption: what-if, {factor:g} x {p.describe()}{was}"
    return doc


def theory_probabilities(model: Model) -> dict[str, float]:
    """The probability that a run draws each theory, by id (empty without politics).

    Calibrated weights are the calibration's, as the engine draws them.
    """
    pm = model.politics
    if pm is None:
        return {}
    w = np.asarray(pm.theory_weights, dtype=float)
    return {t: float(v) for t, v in zip(pm.theory_ids, w / w.sum(), strict=True)}


def _put(doc: dict, path: str, value) -> None:
    """Set ``value`` at ``path`` (``a.b[id].c``) in an ``extends:`` document."""
    tokens = _TOKEN.findall(path)
    node: dict = doc
    for i, (key, _) in enumerate(tokens):
        if not key:
            continue
        item_id = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        rest = [t for t in tokens[i + 1:] if t[0]]
        if item_id:
            items = node.setdefault(key, [])
            found = [x for x in items if x["id"] == item_id]
            if not found:
                items.append({"id": item_id})
            node = found[0] if found else items[-1]
        elif rest:
            node = node.setdefault(key, {})
        else:
            node[key] = value


def variant_document(base_ref: str, base: Scenario, model: Model, v: Variant) -> dict:
    """The ``extends:`` document of variant ``v`` of scenario ``base`` (read from ``base_ref``).

    Raises :class:`InputError` for a lever the scenario has no number for, or a factor
    outside :data:`SCALE_RANGE`.
    """
    doc: dict = {"extends": base_ref}
    if v.policy is not None and base.politics is not None and v.policy != base.politics.policy:
        _put(doc, "politics.policy", v.policy)
    old, new = theory_probabilities(model), v.theories(model)
    if any(not np.isclose(old[t], new[t]) for t in old):
        note = "assumption: what-if weight of the theories"
        _put(doc, "politics.escalation.theory_weights",
             {t: {"value": round(p, 6), "note": note} for t, p in new.items()})
    params = dict(zip(model.world_paths, model.world_params, strict=True))
    for path, factor in sorted(v.scales.items()):
        if path not in params:
            raise InputError(f"Scenario '{base.id}' has no uncertain number '{path}'; the "
                             "levers offer only the numbers it samples.")
        if not SCALE_RANGE[0] <= factor <= SCALE_RANGE[1]:
            raise InputError(f"The factor for {path} must be {SCALE_RANGE[0]:g} to "
                             f"{SCALE_RANGE[1]:g}, not {factor:g}.")
        if factor != 1:
            _put(doc, path, scaled_number(params[path], factor))
    return doc


def variant_scenario(doc: dict) -> Scenario:
    """Validate an ``extends:`` document as ``powderkeg validate`` would a file of it."""
    over = {k: v for k, v in doc.items() if k != "extends"}
    return validate_document(extend_document(doc["extends"], over), VARIANT_NAME)
