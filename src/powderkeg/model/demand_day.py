"""Each demand's day around the supply pass, run by run: its need before the flow, then what
the flow delivered, its stocks and the supply combat sees.

Two compiled passes over the runs, each calling small per-run functions built from the
equations of :mod:`powderkeg.model.logistics` (:func:`~powderkeg.model.logistics.demand_need`,
:func:`~powderkeg.model.logistics.posture_need_factor`,
:func:`~powderkeg.model.logistics.stock_update`,
:func:`~powderkeg.model.logistics.supply_effectiveness`): :func:`needs` before the supply
day (:func:`~powderkeg.model.logistics_day.supply_day`) and :func:`after_supply` after it.
A run's arrays are rows of the batch's, so its results are the same alone or in any batch.

The tests keep the former NumPy glue over the batch (``tests/glue_reference.py``) and compare
it with these passes bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from powderkeg.model.logistics import (
    demand_need,
    posture_need_factor,
    stock_update,
    supply_effectiveness,
)

__all__ = ["fed", "attacks", "run_need", "needs", "delivered_over_need", "supply_ratio",
           "run_after_supply", "after_supply", "supply_ratios", "warm_up"]

_JIT = {"cache": True, "nogil": True}


@njit(**_JIT)
def fed(forces, sector, side):
    """Personnel a demand feeds: its ``sector``'s forces of its ``side`` in ``forces``
    (S, 2), one for a demand of no sector (``sector`` -1)."""
    return forces[sector, side] if sector >= 0 else 1.0


@njit(**_JIT)
def attacks(posture, sector, side):
    """Whether a demand's ``side`` attacks in its ``sector`` under ``posture`` (S, 2) bool,
    False for a demand of no sector."""
    return posture[sector, side] if sector >= 0 else False


@njit(**_JIT)
def run_need(base_tons, forces, forces0, demand_sector, demand_side, attack_factor, posture,
             posture0, out):
    """One run's tons needed today by each demand into ``out`` (D,):
    ``demand_need(base_j, fed_j, fed0_j, posture_need_factor(k, a_j, a0_j))`` with the
    forces it feeds today and on day 0 (:func:`fed`, ``forces``, ``forces0`` (S, 2)) and
    whether its side attacks today and on day 0 (:func:`attacks`, ``posture``, ``posture0``
    (S, 2) bool); ``base_tons`` (D,), ``k`` the run's attack need factor."""
    for j in range(len(out)):
        sector, side = demand_sector[j], demand_side[j]
        factor = posture_need_factor(attack_factor, attacks(posture, sector, side),
                                     attacks(posture0, sector, side))
        out[j] = demand_need(base_tons[j], fed(forces, sector, side),
                             fed(forces0, sector, side), factor)


@njit(**_JIT)
def needs(base_tons, forces, forces0, demand_sector, demand_side, attack_factor, posture,
          posture0, out):
    """:func:`run_need` of every run: ``base_tons`` (R, D), ``forces``, ``forces0``
    (R, S, 2), ``attack_factor`` (R,) into ``out`` (R, D)."""
    for r in range(out.shape[0]):
        run_need(base_tons[r], forces[r], forces0[r], demand_sector, demand_side,
                 attack_factor[r], posture, posture0, out[r])


@njit(**_JIT)
def delivered_over_need(delivered, need):
    """Delivered over needed of a demand today, uncapped (refills count):
    ``delivered / max(need, 1e-9)`` (``max`` as ``np.maximum``)."""
    return delivered / (need if need > 1e-9 or need != need else 1e-9)


@njit(**_JIT)
def supply_ratio(delivered, need):
    """Delivered over needed of a demand today, capped at one: ``min(1, d / max(n, 1e-9))``
    (:func:`delivered_over_need`; ``min`` as ``np.minimum``)."""
    ratio = delivered_over_need(delivered, need)
    return ratio if ratio < 1.0 or ratio != ratio else 1.0


@njit(**_JIT)
def run_after_supply(delivered, need, stock, max_stock, floor, rationing_days, sector_demand,
                     ratio, new_stock, mult, sector_ratio):
    """One run's results of the supply day, each demand ``j`` of ``delivered``, ``need``,
    ``stock``, ``max_stock`` (D,):

    - ``ratio`` (D,): :func:`supply_ratio`, ``min(1, d_j / n_j)``;
    - ``new_stock`` (D,): :func:`~powderkeg.model.logistics.stock_update` with the uncapped
      ratio (:func:`delivered_over_need`);
    - ``mult`` (D,): :func:`~powderkeg.model.logistics.supply_effectiveness` of the stock
      the day started with and ``ratio`` (the run's ``floor`` and ``rationing_days``);
    - ``sector_ratio`` (S, 2): ``ratio`` of each sector's demand of each side
      (``sector_demand`` (S, 2), -1 for none: one).
    """
    for j in range(len(ratio)):
        uncapped = delivered_over_need(delivered[j], need[j])
        ratio[j] = supply_ratio(delivered[j], need[j])
        new_stock[j] = stock_update(stock[j], uncapped, max_stock[j])
        mult[j] = supply_effectiveness(stock[j], ratio[j], floor, rationing_days)
    for s in range(sector_demand.shape[0]):
        for side in range(2):
            j = sector_demand[s, side]
            sector_ratio[s, side] = ratio[j] if j >= 0 else 1.0


@njit(**_JIT)
def after_supply(delivered, need, stock, max_stock, floor, rationing_days, sector_demand,
                 ratio, new_stock, mult, sector_ratio):
    """:func:`run_after_supply` of every run: ``delivered``, ``need``, ``stock``,
    ``max_stock`` (R, D), ``floor``, ``rationing_days`` (R,) into ``ratio``, ``new_stock``,
    ``mult`` (R, D) and ``sector_ratio`` (R, S, 2)."""
    for r in range(ratio.shape[0]):
        run_after_supply(delivered[r], need[r], stock[r], max_stock[r], floor[r],
                         rationing_days[r], sector_demand, ratio[r], new_stock[r], mult[r],
                         sector_ratio[r])


@njit(**_JIT)
def supply_ratios(delivered, need, out):
    """:func:`supply_ratio` of every run and demand: ``delivered``, ``need`` (R, D) into
    ``out`` (R, D)."""
    for r in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[r, j] = supply_ratio(delivered[r, j], need[r, j])


def warm_up() -> None:
    """Compile :func:`needs`, :func:`after_supply` and :func:`supply_ratios`, or load them
    from Numba's cache, on one run, one sector and one demand (the step's dtypes)."""
    one, ids = np.ones((1, 1)), np.zeros(1, np.int64)
    forces, posture = np.ones((1, 1, 2)), np.zeros((1, 2), np.bool_)
    needs(one, forces, forces, ids, ids, np.ones(1), posture, posture, np.empty((1, 1)))
    after_supply(one, one, one, one, np.ones(1), np.ones(1), np.zeros((1, 2), np.int64),
                 np.empty((1, 1)), np.empty((1, 1)), np.empty((1, 1)), np.empty((1, 1, 2)))
    supply_ratios(one, one, np.empty((1, 1)))
