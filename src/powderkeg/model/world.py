"""Sampling a world: each run's values of the scenario's uncertain numbers.

A parameter's value in run ``r`` is its inverse distribution function at the uniform draw
``u = U(seed, "param/<path>", r)``; the stream is keyed by the parameter's path, so variants
of a scenario that share a seed share the draws of the parameters they have in common.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from powderkeg.model.build import END_KM, Model
from powderkeg.model.elementary import ndtri
from powderkeg.model.kremlin_params import PoliticsWorld, sample_politics
from powderkeg.model.posterior import posterior_uniforms
from powderkeg.model.random import Streams
from powderkeg.scenario import schema as S
from powderkeg.scenario.base import default_of
from powderkeg.scenario.schema import MODES

__all__ = ["World", "sample_parameters", "sample_world"]


@dataclass(frozen=True)
class World:
    """Per-run parameter values; every array has a leading run axis of length R."""

    capacity: np.ndarray  # (R, E) tons/day intact
    at_start: np.ndarray  # (R, E) capacity fraction open on day 0
    event_open: np.ndarray  # (R, K) open fraction each link event leaves (model/events.py)
    damage: np.ndarray  # (R, E) fraction of capacity a hit removes
    repair_z: np.ndarray  # (R, E) normal score of each link's per-run repair draw
    repair_share: np.ndarray  # (R,) share of the repair times' variance common to a run
    front0: np.ndarray  # (R, S)
    forces0: np.ndarray  # (R, S, 2)
    reinforcements: np.ndarray  # (R, S, 2) per day
    fortification: np.ndarray  # (R, S, 2)
    morale: np.ndarray  # (R, S, 2)
    objective_km: np.ndarray  # (R, O)
    river_km: np.ndarray  # (R, V)
    attrition: np.ndarray  # (R, 2)
    weiss: np.ndarray  # (R,)
    static_intensity: np.ndarray
    advance_km: np.ndarray
    advance_threshold: np.ndarray
    river_ratio: np.ndarray
    river_factor: np.ndarray
    noise: np.ndarray
    supply_floor: np.ndarray
    rationing_days: np.ndarray
    withdraw_supply: np.ndarray
    withdraw_force: np.ndarray
    withdraw_days: np.ndarray
    withdraw_prob: np.ndarray
    withdraw_loss: np.ndarray
    source_tons: np.ndarray  # (R, Q)
    demand_tons: np.ndarray  # (R, D)
    stock0: np.ndarray  # (R, D)
    stock_max: np.ndarray  # (R, D)
    refill_days: np.ndarray  # (R,) days of stock rebuilt per day at most
    truck_ton_km: np.ndarray  # (R, 2) per side, inf without a fleet limit
    road_km_factor: np.ndarray  # (R,)
    attack_need: np.ndarray  # (R,) an attacker's need over the same force's defending
    creep_km: np.ndarray  # (R,) attritional creep below the advance threshold
    break_ratio: np.ndarray  # (R,) attack ratio that breaks a defence, inf without the rule
    break_days: np.ndarray  # (R,) days in a row above it before the defence breaks
    exploit_km: np.ndarray  # (R,) km a day of an exploitation advance
    exploit_days: np.ndarray  # (R,) days until a broken defence re-forms
    threat_km: np.ndarray  # (R,) enemy's distance that threatens a line of supply, -inf: none
    fire_missions: np.ndarray  # (R, F) strikes on links expected per day
    fire_force_missions: np.ndarray  # (R, F) strikes on forces expected per day
    fire_kills: np.ndarray  # (R, F) personnel put out of action per hit on forces
    fire_halving: np.ndarray  # (R, F) hits on forces that halve fire support, inf if none
    fire_reach: np.ndarray  # (R, F) km from the front
    fire_success: np.ndarray  # (R, F) hit and not intercepted
    fire_redundancy: np.ndarray  # (R, F) weight of links whose loss would not cut the flow
    fire_favour: np.ndarray  # (R, F, S) targeting multiplier by nearest sector
    air_defence_factor: np.ndarray  # (R, A) multiplier on covered air-delivered hits
    air_defence_depth: np.ndarray  # (R, A) km from the covered fronts its links are covered
    deep_rate: np.ndarray  # (R, G)
    deep_success: np.ndarray  # (R, G)
    politics: PoliticsWorld | None


def parameter_uniform(streams: Streams, runs: np.ndarray, path: str,
                      uniforms: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The uniform draw of each run for the parameter at ``path``, shape ``(R,)``.

    ``uniforms`` may give it (aligned with ``runs``) in place of the stream's: a design for
    sensitivity analysis.
    """
    u = (uniforms or {}).get(path)
    return streams.uniform(f"param/{path}", np.asarray(runs), 0)[:, 0] if u is None else u


def sample_parameters(model: Model, streams: Streams, runs: np.ndarray,
                      uniforms: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Each world parameter's value per run, by path; fixed numbers broadcast.

    A per-event distribution (a link's repair time) is sampled here at its per-run draw: the
    value is the run's common part of that link's repair times (see
    :func:`powderkeg.model.fires.repair_times`). A model with a posterior draws its fitted
    parameters from it (:mod:`powderkeg.model.posterior`).
    """
    runs = np.asarray(runs)
    uniforms = posterior_uniforms(model.posterior, streams, runs, uniforms)
    out = {}
    for path, p in zip(model.world_paths, model.world_params, strict=False):
        if p.is_random:
            out[path] = p.ppf(parameter_uniform(streams, runs, path, uniforms))
        else:
            out[path] = np.full(len(runs), p.value)
    return out


def sample_world(model: Model, streams: Streams, runs: np.ndarray,
                 uniforms: dict[str, np.ndarray] | None = None) -> World:
    """Sample the world of each run in ``runs`` (see :func:`sample_parameters`)."""
    v = sample_parameters(model, streams, runs, uniforms)
    uniforms = posterior_uniforms(model.posterior, streams, np.asarray(runs), uniforms)
    s = model.scenario
    n = len(runs)

    def col(path, default=None):
        if path in v:
            return v[path]
        if default is None:
            raise KeyError(path)
        return np.full(n, float(default))

    def stack(paths, default=None):
        return np.stack([col(p, default) for p in paths], axis=-1) if paths else np.zeros((n, 0))

    def per_side(field, default=None):
        return np.stack([stack([f"sectors[{x.id}].{field}.{side}" for side in model.sides],
                               default) for x in s.sectors], axis=1)

    def markers(paths, fixed, sectors):
        """Km of each marker, kept inside its axis so the front can pass it."""
        if not paths:
            return np.zeros((n, 0))
        km = np.stack([col(p) if p else np.full(n, k)
                       for p, k in zip(paths, fixed, strict=True)], -1)
        return np.minimum(km, model.sector_length[sectors] - END_KM)

    link = [f"links[{x.id}]" for x in s.links]
    fires = [f"fires[{f.id}]" for f in s.fires]
    deep = [f"deep_strikes[{g.id}]" for g in s.deep_strikes]
    air = [f"air_defences[{a.id}]" for a in s.air_defences]
    dem = [f"supply.demands[{d.id}]" for d in s.supply.demands]
    c, lg, w = "model.combat", "model.logistics", "model.withdrawal"
    damage_by_mode = stack([f"{lg}.damage_fraction.{m}" for m in MODES])
    sorties = (stack([p + ".launchers" for p in fires])
               * stack([p + ".missions_per_launcher_day" for p in fires]))
    return World(
        capacity=stack([p + ".capacity" for p in link]),
        at_start=stack([p + ".at_start" for p in link], default_of(S.Link, "at_start")),
        event_open=stack(list(model.link_events.paths)),
        damage=damage_by_mode[:, model.link_mode],
        repair_z=ndtri(np.stack([parameter_uniform(streams, runs, p, uniforms)
                                 for p in model.link_repair_path], axis=-1)),
        repair_share=col(f"{lg}.repair_run_share", default_of(S.Logistics, "repair_run_share")),
        front0=stack([f"sectors[{x.id}].front_km" for x in s.sectors]),
        forces0=per_side("forces"),
        # a side left out of these per-side tables has none, is not fortified, has morale one
        reinforcements=per_side("reinforcements_per_day", 0.0),
        fortification=per_side("fortification", 1.0),
        morale=per_side("morale", 1.0),
        objective_km=markers(model.objective_path, model.objective_fixed_km,
                             model.objective_sector),
        river_km=markers(model.river_path, model.river_fixed_km, model.river_sector),
        attrition=stack([f"{c}.attrition_rate.{side}" for side in model.sides]),
        weiss=col(f"{c}.weiss_exponent"), static_intensity=col(f"{c}.static_intensity"),
        advance_km=col(f"{c}.advance_km_per_day"), advance_threshold=col(f"{c}.advance_threshold"),
        river_ratio=col(f"{c}.river_crossing_ratio"), river_factor=col(f"{c}.river_advance_factor"),
        noise=col(f"{c}.noise_sigma"), creep_km=col(f"{c}.creep_km_per_day",
                                                       default_of(S.Combat, "creep_km_per_day")),
        supply_floor=col(f"{lg}.supply_floor"), rationing_days=col(f"{lg}.rationing_days"),
        withdraw_supply=col(f"{w}.supply_ratio_below"),
        withdraw_force=col(f"{w}.force_ratio_above"),
        withdraw_days=col(f"{w}.untenable_days"), withdraw_prob=col(f"{w}.daily_probability"),
        withdraw_loss=col(f"{w}.loss_fraction"),
        source_tons=stack([f"supply.sources[{q.id}].tons_per_day" for q in s.supply.sources]),
        demand_tons=stack([p + ".tons_per_day" for p in dem]),
        stock0=stack([p + ".initial_stock_days" for p in dem],
                     default_of(S.Demand, "initial_stock_days")),
        stock_max=stack([p + ".max_stock_days" for p in dem],
                        default_of(S.Demand, "max_stock_days")),
        refill_days=col(f"{lg}.refill_days_per_day",
                        default_of(S.Logistics, "refill_days_per_day")),
        truck_ton_km=stack([f"supply.truck_ton_km_per_day.{side}" for side in model.sides],
                           np.inf),
        road_km_factor=col(f"{lg}.road_km_factor", default_of(S.Logistics, "road_km_factor")),
        attack_need=col(f"{lg}.attack_need_factor",
                        default_of(S.Logistics, "attack_need_factor")),
        break_ratio=col(f"{c}.breakthrough.ratio", np.inf),
        break_days=col(f"{c}.breakthrough.days", 0.0),
        exploit_km=col(f"{c}.breakthrough.exploitation_km_per_day", 0.0),
        exploit_days=col(f"{c}.breakthrough.exploitation_days", 0.0),
        threat_km=col(f"{w}.threat_km", -np.inf),
        fire_missions=sorties * stack([p + ".interdiction_share" for p in fires]),
        fire_force_missions=sorties * stack([p + ".attrition_share" for p in fires],
                                            default_of(S.Fires, "attrition_share")),
        fire_kills=stack([p + ".kills_per_hit" for p in fires],
                         default_of(S.Fires, "kills_per_hit")),
        fire_halving=stack([p + ".hits_to_halve_fire_support" for p in fires], np.inf),
        fire_reach=stack([p + ".range_km" for p in fires])
        - stack([p + ".standoff_km" for p in fires], default_of(S.Fires, "standoff_km")),
        fire_success=stack([p + ".hit_probability" for p in fires])
        * (1 - stack([p + ".interception_probability" for p in fires],
                      default_of(S.Fires, "interception_probability"))),
        fire_redundancy=stack([p + ".redundancy_weight" for p in fires],
                              default_of(S.Fires, "redundancy_weight")),
        fire_favour=np.stack([stack([f"{p}.favour_sectors.{x.id}" for x in s.sectors], 1.0)
                              for p in fires] or [np.ones((n, len(s.sectors)))],
                             axis=1)[:, :len(fires)],
        air_defence_factor=stack([p + ".factor" for p in air]),
        air_defence_depth=stack([p + ".depth_km" for p in air]),
        deep_rate=stack([p + ".rate_per_day" for p in deep]),
        deep_success=stack([p + ".success_probability" for p in deep]),
        politics=None if model.politics is None else sample_politics(
            s, model.politics, col, stack, streams.uniform("theory", runs, 0)[:, 0]),
    )
