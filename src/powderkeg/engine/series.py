"""Which daily series a job keeps: ``--series all``, ``none`` or a list of names.

Event days, losses, sampled parameters and the theory are always kept; the series over
``(run, day, ...)`` are the bulk of a results file, so a job keeps only those asked for.
:data:`DEFAULT` holds what the readers of a results folder need: the report's fan charts
(``front_km``, ``supply_ratio``), its map and the dashboard's (``front_km``,
``link_capacity``) and its politics figures (``escalation_rung``, ``influence``). Outcomes,
their cumulative probability, ``ask`` and ``backtest`` need only the event days. ``fit``
simulates its own runs with every series. The dataset attribute ``series`` lists what was
kept (comma-separated); :func:`require` names the flag when a reader misses one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from powderkeg.errors import InputError

__all__ = ["Series", "STRIKES_TO_DATE", "CATALOGUE", "DEFAULT", "DRAWN", "POLITICS",
           "check_report", "ALL", "NONE", "ALL_NAMES", "parse", "resolve", "layout", "kept",
           "require", "per_run_day_bytes"]

ALL, NONE = "all", "none"


@dataclass(frozen=True)
class Series:
    """One daily series: its dimensions after ``(run, day)``, its dtype and its attributes."""

    dims: tuple[str, ...]
    dtype: str
    long_name: str
    units: str | None = None

    @property
    def attrs(self) -> dict[str, str]:
        return {"long_name": self.long_name} | ({"units": self.units} if self.units else {})


STRIKES_TO_DATE = np.int32
"""Dtype of the hits on a link to date. Exact: a link takes at most
:func:`~powderkeg.model.fires.hits_dtype`'s count of hits a day, under ``2**15`` for any
scenario flying fewer than 32,768 missions a day, on fewer than ``MAX_DAYS = 2**16`` days:
fewer than ``2**31`` in all. (int16 would wrap after 32,767 hits.)"""

CATALOGUE: dict[str, Series] = {
    "front_km": Series(("sector",), "float32", "front position along the sector axis", "km"),
    "forces": Series(("sector", "side"), "float32", "personnel in the sector", "persons"),
    "supply_ratio": Series(("demand",), "float32", "delivered / needed supply that day"),
    "stock_days": Series(("demand",), "float32", "stocks", "days of supply"),
    "link_capacity": Series(("link",), "float32", "open fraction of intact link capacity"),
    "strikes_to_date": Series(("link",), np.dtype(STRIKES_TO_DATE).name,
                              "hits on the link from day 1 to this day, all causes"),
    "losses_to_date": Series(("side",), "float32", "cumulative losses of each side, all "
                                                   "sectors", "persons"),
    "escalation_rung": Series((), "int8", "escalation rung (index into rung)"),
    "influence": Series(("faction",), "float32", "faction influence share"),
}
ALL_NAMES = tuple(CATALOGUE)
POLITICS = ("escalation_rung", "influence")  # recorded only for a scenario with politics
DRAWN = ("front_km", "supply_ratio", "link_capacity")  # the report and the dashboard need these
DEFAULT = (*DRAWN, *POLITICS)


def parse(text: str | None) -> tuple[str, ...] | None:
    """The names in a ``--series`` value; ``None`` for the default (``text`` is ``None``).

    >>> parse("all")[:2], parse("none"), parse("front_km, influence")
    (('front_km', 'forces'), (), ('front_km', 'influence'))
    """
    if text is None:
        return None
    words = [w.strip() for w in text.split(",") if w.strip()]
    if words == [ALL]:
        return ALL_NAMES
    if words == [NONE]:
        return ()
    unknown = [w for w in words if w not in CATALOGUE]
    if unknown or not words:
        raise InputError(f"--series {text!r}: {', '.join(map(repr, unknown)) or 'no name'} is "
                         f"not a series. Give 'all', 'none' or names separated by commas from: "
                         f"{', '.join(CATALOGUE)}.")
    return tuple(n for n in CATALOGUE if n in words)  # catalogue order, no repeats


def resolve(names: tuple[str, ...] | None, politics: bool) -> tuple[str, ...]:
    """The series a scenario's job records: ``names`` (default :data:`DEFAULT`), in catalogue
    order, without the politics series when the scenario has no politics."""
    chosen = DEFAULT if names is None else names
    return tuple(n for n in CATALOGUE if n in chosen and (politics or n not in POLITICS))


def layout(names: tuple[str, ...], sizes: dict[str, int]) -> dict[str, tuple[tuple, str]]:
    """Per-run-day shape and dtype of each series, from the dimension ``sizes``."""
    return {n: (tuple(sizes[d] for d in CATALOGUE[n].dims), CATALOGUE[n].dtype) for n in names}


def per_run_day_bytes(names: tuple[str, ...], sizes: dict[str, int]) -> int:
    """Bytes one run keeps per recorded day for the series ``names``."""
    return sum(int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
               for shape, dtype in layout(names, sizes).values())


def kept(ds) -> tuple[str, ...]:
    """The series a dataset holds (its ``series`` attribute; older files: those present)."""
    if "series" in ds.attrs:
        return tuple(n for n in str(ds.attrs["series"]).split(",") if n)
    return tuple(n for n in CATALOGUE if n in ds.data_vars)


def require(ds, names: tuple[str, ...], reader: str) -> None:
    """Refuse a dataset missing any of the series ``names`` that ``reader`` needs."""
    missing = [n for n in names if n not in ds.data_vars]
    if missing:
        have = ", ".join(kept(ds)) or "none"
        wanted = ",".join(n for n in CATALOGUE if n in kept(ds) or n in missing)
        raise InputError(f"{reader} needs the daily series {', '.join(missing)}, which these "
                         f"results do not hold (kept: {have}). Run again with --series "
                         f"{wanted} (or --series all).")


def check_report(names: tuple[str, ...] | None) -> None:
    """Refuse ``run --report`` with ``--series`` lacking what the report draws (before running)."""
    chosen = DEFAULT if names is None else names
    missing = [n for n in DRAWN if n not in chosen]
    if missing:
        raise InputError(f"--report draws the daily series {', '.join(missing)}, which --series "
                         "leaves out. Add them to --series, or leave --report out and write "
                         "no report.")
