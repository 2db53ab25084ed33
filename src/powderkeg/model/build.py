"""From a validated scenario to a :class:`Model`: index maps, geometry and the parameter list.

The model is the scenario turned into arrays and integer indices, computed once; runs then
only sample numbers (:mod:`powderkeg.model.world`) and step state
(:mod:`powderkeg.model.step`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from powderkeg.errors import InputError
from powderkeg.model.calibration import theory_weights
from powderkeg.model.geo import (
    distance_to_polyline_km,
    haversine_km,
    local_km,
    point_at_km,
    polyline_km,
    project_km,
)
from powderkeg.model.kremlin_params import PoliticsModel, build_politics
from powderkeg.model.logistics import FlowGraph, build_flow_graph
from powderkeg.model.posterior import PosteriorDraws
from powderkeg.scenario.params import _Number
from powderkeg.scenario.posterior import posterior_draws
from powderkeg.scenario.schema import MODES, Scenario
from powderkeg.scenario.walk import iter_params

if TYPE_CHECKING:
    from powderkeg.model.events import LinkEvents

__all__ = ["Model", "build_model", "posture_schedule", "KM_STEP"]

KM_STEP = 1.0  # resolution of the link-to-front distance table
END_KM = 0.1  # places at an axis' end sit this far inside it, so the front can pass them


@dataclass(frozen=True)
class Model:
    """Everything about a scenario that does not change between runs."""

    scenario: Scenario
    sides: tuple[str, str]
    node_ids: tuple[str, ...]
    node_lat: np.ndarray
    node_lon: np.ndarray
    node_sector: np.ndarray  # (N,) sector index, -1 for rear nodes
    node_km: np.ndarray  # (N,) km along its sector's axis
    node_control: np.ndarray  # (N,) side index of rear nodes, -1 for sector nodes
    link_ids: tuple[str, ...]
    link_from: np.ndarray
    link_to: np.ndarray
    link_mode: np.ndarray  # (E,) index into MODES
    sector_ids: tuple[str, ...]
    sector_axes: tuple[np.ndarray, ...]  # (n_points, 2) lat/lon per sector
    sector_length: np.ndarray  # (S,) km
    link_front_km: np.ndarray  # (S, E, K) distance of each link to the front at km k*KM_STEP
    link_km: np.ndarray  # (E,) straight-line length
    posture_days: np.ndarray  # (C,) days on which some sector's posture changes, ascending
    posture_attack: np.ndarray  # (C + 1, S, 2) bool: who attacks before, and from, each day
    link_events: "LinkEvents"  # the scenario's dated shocks to links (model/events.py)
    objective_ids: tuple[tuple[str, str], ...]  # (sector, objective)
    objective_sector: np.ndarray  # (O,)
    objective_path: tuple[str | None, ...]  # param path of a km given as a number
    objective_fixed_km: np.ndarray  # (O,) km of objectives placed at nodes
    river_ids: tuple[tuple[str, str], ...]
    river_sector: np.ndarray
    river_path: tuple[str | None, ...]
    river_fixed_km: np.ndarray
    bridgehead_side: np.ndarray  # (S,) side index or -1
    bridgehead_river: np.ndarray  # (S,) river index or -1
    supply_through: np.ndarray  # (S, M) node on each line of supply of a bridgehead, -1 pad
    demand_ids: tuple[str, ...]
    demand_side: np.ndarray
    sector_demand: np.ndarray  # (S, 2) demand index or -1
    demand_sector: np.ndarray  # (D,) sector each demand feeds, -1 for none
    demand_bridgehead: np.ndarray  # (D,) its sector when it holds a bridgehead there, else -1
    road_links: np.ndarray  # (E,) bool, haulage limited by trucks
    source_side: np.ndarray
    flow_graphs: tuple[FlowGraph | None, FlowGraph | None]  # per side
    demand_local: np.ndarray  # (D,) index of each demand within its side's graph
    source_local: np.ndarray  # (Q,)
    fire_side: np.ndarray  # (F,)
    fire_exempt: np.ndarray  # (F, E) links each fire system may not strike
    fire_air: np.ndarray  # (F,) bool: air-delivered (air defences scale its hits)
    fire_force_sectors: np.ndarray  # (F, S) bool: sectors whose forces it may strike
    air_defence_side: np.ndarray  # (A,)
    air_defence_sectors: np.ndarray  # (A, S) bool: sectors each air defence covers
    deep_side: np.ndarray  # (G,)
    deep_targets: tuple[np.ndarray, ...]
    link_repair: tuple[_Number, ...]  # repair-time distribution of each link
    link_repair_path: tuple[str, ...]  # parameter path of that distribution
    world_paths: tuple[str, ...]  # parameters sampled once per run
    world_params: tuple[_Number, ...]
    politics: PoliticsModel | None
    posterior: PosteriorDraws | None = None  # fitted parameters' draws (scenario.posterior)

    @property
    def n_sectors(self) -> int:
        return len(self.sector_ids)

    @property
    def n_links(self) -> int:
        return len(self.link_ids)


def _river_marker(sector):
    return next(r for r in sector.rivers if r.id == sector.bridgehead.river)


def _axis_points(sector, where) -> np.ndarray:
    pts = [where[a] if isinstance(a, str) else (a.lat, a.lon) for a in sector.axis]
    return np.asarray(pts, dtype=float)


def _markers(s: Scenario, group: str, node_km_of):
    ids, sec_idx, paths, fixed = [], [], [], []
    for i, sec in enumerate(s.sectors):
        for m in getattr(sec, group):
            ids.append((sec.id, m.id))
            sec_idx.append(i)
            if m.km is not None:
                paths.append(f"sectors[{sec.id}].{group}[{m.id}].km")
                fixed.append(np.nan)
            else:
                names = [m.node] if m.node else list(m.between)
                paths.append(None)
                fixed.append(float(np.mean([node_km_of(i, n) for n in names])))
    return tuple(ids), np.asarray(sec_idx, dtype=int), tuple(paths), np.asarray(fixed)


def _front_distance_table(axes, lengths, lines, line_km, link_pts) -> np.ndarray:
    """Distance from each link (nearest of its sample points) to the front at each km.

    A sector's front at km ``k`` is its day-0 front line (``lines[i]``, drawn for the front at
    ``line_km[i]``) moved by the axis point's displacement from ``line_km[i]`` to ``k``; with no
    line given, the axis point itself. Distances are on the local plane of each sector's
    reference point (:func:`~powderkeg.model.geo.local_km`). Shape ``(S, E, K)``.
    """
    k = int(np.ceil(lengths.max() / KM_STEP)) + 1
    table = np.empty((len(axes), link_pts.shape[0], k))
    for i, axis in enumerate(axes):
        lat0, lon0 = point_at_km(axis, line_km[i])
        shift = point_at_km(axis, np.arange(k) * KM_STEP)  # (K, 2)
        shift = local_km(shift[:, 0], shift[:, 1], lat0, lon0)
        line = (local_km(lines[i][:, 0], lines[i][:, 1], lat0, lon0) if len(lines[i])
                else np.zeros((1, 2)))
        pts = local_km(link_pts[..., 0], link_pts[..., 1], lat0, lon0)  # (E, P, 2)
        for j in range(k):
            table[i, :, j] = distance_to_polyline_km(pts, line + shift[j]).min(axis=1)
    return table


def _link_points(lat, lon, link_from, link_to, n: int = 5) -> np.ndarray:
    """``n`` points evenly along each link, ends included, shape ``(E, n, 2)`` lat/lon."""
    t = np.linspace(0.0, 1.0, n)[None, :]
    la = lat[link_from][:, None] + t * (lat[link_to] - lat[link_from])[:, None]
    lo = lon[link_from][:, None] + t * (lon[link_to] - lon[link_from])[:, None]
    return np.stack([la, lo], axis=-1)


def _bridgehead_depot_problem(s: Scenario, node_sector, node_km, river_km, bh_side):
    """An :class:`InputError` when a bridgehead's demand has no depot on its own bank."""
    nodes = {n.id: i for i, n in enumerate(s.nodes)}
    sectors = {x.id: i for i, x in enumerate(s.sectors)}
    for j, d in enumerate(s.supply.demands):
        sec = sectors.get(d.sector, -1)
        if sec < 0 or bh_side[sec] < 0 or s.sides[bh_side[sec]] != d.side:
            continue
        river = river_km[sec]
        own = [name for tier in d.depots for name in tier
               if node_sector[nodes[name]] == sec
               and (node_km[nodes[name]] < river if bh_side[sec] == 1
                    else node_km[nodes[name]] > river)]
        if not own:
            return InputError(
                f"supply.demands[{j}] ({d.id}).depots: the bridgehead in sector '{d.sector}' "
                f"has no depot on its own bank of the river (km {river:.1f} on the axis), so it "
                "could never be fed; depots behind the river serve it only once it is given "
                "up. Add a depot node of the sector on the bridgehead's side of the river.")
    return None


def posture_schedule(s: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """The days posture changes and who attacks in each period between them.

    Returns ``days`` ``(C,)``, the ascending days (from the scenario's date) on which some
    sector's ``posture_changes`` take effect, and ``attack`` ``(C + 1, S, 2)`` bool: row 0 is
    day 0's posture, row ``c`` holds from ``days[c - 1]`` on. Sides not named keep theirs.
    """
    days = sorted({(c.from_ - s.date).days for sec in s.sectors for c in sec.posture_changes})
    rows = []
    for day in [0, *days]:
        row = []
        for sec in s.sectors:
            now = dict(sec.posture)
            for change in sec.posture_changes:
                if (change.from_ - s.date).days <= day:
                    now.update(change.posture)
            row.append([now.get(x, "defend") == "attack" for x in s.sides])
        rows.append(row)
    return np.asarray(days, dtype=int), np.asarray(rows, dtype=bool).reshape(
        len(rows), len(s.sectors), 2)


def build_model(s: Scenario) -> Model:
    """Compile a validated scenario into index arrays and static geometry.

    Raises :class:`~powderkeg.errors.InputError` when the geometry makes the scenario
    impossible (a bridgehead with no depot on its own bank of the river), and a
    :class:`~powderkeg.model.sense.SenseError` for the errors of the sense checks.
    """
    sides = tuple(s.sides)
    side_ix = {x: i for i, x in enumerate(sides)}
    nodes = {n.id: i for i, n in enumerate(s.nodes)}
    sectors = {x.id: i for i, x in enumerate(s.sectors)}
    where = {n.id: (n.lat, n.lon) for n in s.nodes}
    axes = tuple(_axis_points(sec, where) for sec in s.sectors)
    lengths = np.array([polyline_km(a)[-1] for a in axes])

    given_km = {n.id: n.km for n in s.nodes if n.km is not None}

    def node_km_of(sector_index, node_id):
        if node_id in given_km:
            km = given_km[node_id]
        else:
            km = project_km(axes[sector_index], *where[node_id])
        return min(km, lengths[sector_index] - END_KM)

    node_sector = np.array([sectors.get(n.sector, -1) if n.sector else -1 for n in s.nodes])
    node_km = np.array([node_km_of(node_sector[i], n.id) if node_sector[i] >= 0 else np.nan
                        for i, n in enumerate(s.nodes)])
    node_control = np.array([side_ix[n.control] if n.sector is None else -1 for n in s.nodes])
    lat = np.array([n.lat for n in s.nodes])
    lon = np.array([n.lon for n in s.nodes])
    link_from = np.array([nodes[x.from_] for x in s.links])
    link_to = np.array([nodes[x.to] for x in s.links])
    lines = tuple(np.asarray([where[a] if isinstance(a, str) else (a.lat, a.lon)
                              for a in sec.front_line], dtype=float).reshape(-1, 2)
                  for sec in s.sectors)
    line_km = np.array([float(sec.front_km.ppf(0.5)) for sec in s.sectors])

    obj = _markers(s, "objectives", node_km_of)
    riv = _markers(s, "rivers", node_km_of)
    bh_side = np.array([side_ix[x.bridgehead.side] if x.bridgehead else -1 for x in s.sectors])
    bh_river = np.array([riv[0].index((x.id, x.bridgehead.river)) if x.bridgehead else -1
                         for x in s.sectors])

    bh_river_km = np.full(len(s.sectors), np.nan)
    for i, x in enumerate(s.sectors):
        if x.bridgehead:
            r = bh_river[i]
            bh_river_km[i] = (riv[3][r] if riv[2][r] is None else min(
                float(_river_marker(x).km.ppf(0.5)), lengths[i] - END_KM))
    through = [x.bridgehead.supply_through if x.bridgehead else [] for x in s.sectors]
    supply_through = -np.ones((len(s.sectors), max(map(len, through), default=0)), dtype=int)
    for i, names in enumerate(through):
        supply_through[i, :len(names)] = [nodes[n] for n in names]
    problem = _bridgehead_depot_problem(s, node_sector, node_km, bh_river_km, bh_side)
    if problem is not None:
        raise problem
    demands = s.supply.demands
    demand_side = np.array([side_ix[d.side] for d in demands], dtype=int)
    sector_demand = -np.ones((len(s.sectors), 2), dtype=int)
    for j, d in enumerate(demands):
        if d.sector is not None:
            sector_demand[sectors[d.sector], side_ix[d.side]] = j
    demand_sector = np.array([sectors[d.sector] if d.sector else -1 for d in demands],
                             dtype=int)
    demand_bridgehead = np.array([
        j if j >= 0 and bh_side[j] == demand_side[i] else -1
        for i, j in enumerate(demand_sector)], dtype=int)
    source_side = np.array([side_ix[q.side] for q in s.supply.sources], dtype=int)
    graphs, demand_local, source_local = [], np.zeros(len(demands), int), np.zeros(
        len(s.supply.sources), int)
    for k in range(2):
        mine_d = [j for j in range(len(demands)) if demand_side[j] == k]
        mine_q = [q for q in range(len(s.supply.sources)) if source_side[q] == k]
        demand_local[mine_d] = np.arange(len(mine_d))
        source_local[mine_q] = np.arange(len(mine_q))
        if not mine_d:
            graphs.append(None)
            continue
        tiers = [[[nodes[n] for n in tier] for tier in demands[j].depots] for j in mine_d]
        graphs.append(build_flow_graph(
            len(s.nodes), link_from, link_to, [x.directed for x in s.links],
            [nodes[s.supply.sources[q].node] for q in mine_q], tiers,
            [demands[j].priority for j in mine_d]))

    from powderkeg.model.events import link_events  # events applies hits, which read Model

    posture_days, posture = posture_schedule(s)
    repair = tuple(x.repair_days or getattr(s.model.logistics.repair_days, x.mode)
                   for x in s.links)
    repair_path = tuple(f"links[{x.id}].repair_days" if x.repair_days else
                        f"model.logistics.repair_days.{x.mode}" for x in s.links)
    world = [(p, v) for p, v in iter_params(s) if ".theory_weights" not in p]
    links = {x.id: i for i, x in enumerate(s.links)}
    model = Model(
        scenario=s, sides=sides, node_ids=tuple(nodes), node_lat=lat, node_lon=lon,
        node_sector=node_sector, node_km=node_km, node_control=node_control,
        link_ids=tuple(links), link_from=link_from, link_to=link_to,
        link_mode=np.array([MODES.index(x.mode) for x in s.links]),
        sector_ids=tuple(sectors), sector_axes=axes, sector_length=lengths,
        link_front_km=_front_distance_table(axes, lengths, lines, line_km,
                                            _link_points(lat, lon, link_from, link_to)),
        link_km=haversine_km(lat[link_from], lon[link_from], lat[link_to], lon[link_to]),
        posture_days=posture_days, posture_attack=posture,
        link_events=link_events(s, tuple(links)),
        objective_ids=obj[0], objective_sector=obj[1], objective_path=obj[2],
        objective_fixed_km=obj[3], river_ids=riv[0], river_sector=riv[1], river_path=riv[2],
        river_fixed_km=riv[3], bridgehead_side=bh_side, bridgehead_river=bh_river,
        supply_through=supply_through,
        demand_ids=tuple(d.id for d in demands), demand_side=demand_side,
        sector_demand=sector_demand, demand_sector=demand_sector,
        demand_bridgehead=demand_bridgehead,
        road_links=np.array([x.mode == "road" for x in s.links], dtype=bool),
        source_side=source_side, flow_graphs=tuple(graphs),
        demand_local=demand_local, source_local=source_local,
        fire_side=np.array([side_ix[f.side] for f in s.fires], dtype=int),
        fire_exempt=np.array([[x.id in f.exempt_links for x in s.links] for f in s.fires],
                             dtype=bool).reshape(len(s.fires), len(s.links)),
        fire_air=np.array([f.air_delivered for f in s.fires], dtype=bool),
        fire_force_sectors=np.array([[not f.force_sectors or x in f.force_sectors
                                      for x in sectors] for f in s.fires],
                                    dtype=bool).reshape(len(s.fires), len(sectors)),
        air_defence_side=np.array([side_ix[a.side] for a in s.air_defences], dtype=int),
        air_defence_sectors=np.array([[x in a.sectors for x in sectors] for a in s.air_defences],
                                     dtype=bool).reshape(len(s.air_defences), len(sectors)),
        deep_side=np.array([side_ix[g.side] for g in s.deep_strikes], dtype=int),
        deep_targets=tuple(np.array([links[t] for t in g.targets]) for g in s.deep_strikes),
        link_repair=repair, link_repair_path=repair_path,
        world_paths=tuple(p for p, _ in world),
        world_params=tuple(v for _, v in world),
        politics=build_politics(s, tuple(sectors), tuple(links),
                                theory_weights(s) if s.politics else None),
        posterior=posterior_draws(s, tuple(p for p, v in world if v.is_random)),
    )
    from powderkeg.model.sense import raise_for_errors  # sense reads the model built here

    raise_for_errors(model)
    return model
