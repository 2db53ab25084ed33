"""The supply network on real borders: capacity, interdiction, fire ranges, fronts, objectives.

An equirectangular map (x = longitude, y = latitude, aspect 1/cos of the middle latitude, so
distances are true near the centre) of the box around the scenario's nodes and front axes:
borders from :func:`~powderkeg.report.borders.load_borders` (detailed regions where they
exist, the world's countries elsewhere, or the scenario's own file) with the borders between
countries drawn thicker, links coloured and sized by their intact capacity, links
interdicted in at least :data:`INTERDICTED_SHARE` of runs haloed and labelled with the share
of runs, long-range fire ranges as circles around each sector's median day-0 front, and the
objectives named. Nothing is downloaded.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib import patheffects as pe
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, NullLocator

from powderkeg.model.geo import EARTH_RADIUS_KM, point_at_km
from powderkeg.report.borders import Borders, load_borders
from powderkeg.report.inputs import ReportInputs
from powderkeg.report.style import SIDE_COLOURS, new_figure, styled

__all__ = ["INTERDICTED_SHARE", "interdiction_share", "front_points", "fire_ranges",
           "circle_lonlat", "map_extent", "map_borders", "degree_label", "network_map"]

INTERDICTED_SHARE = 0.10
_SEA, _LAND, _EDGE, _BORDER = "#d9e8f3", "#f3f1ec", "#c8c3b8", "#4d4d4d"
_THEATRE = "#fbf6e4"  # land of the countries the network lies in
_MARGIN, _MIN_SPAN = 0.08, 1.0  # share of the span added on each side; smallest span, degrees
_HALO = [pe.withStroke(linewidth=2.6, foreground="white")]
_INTERDICTED = "#D55E00"


def interdiction_share(link_capacity: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Share of runs in which each link was interdicted, shape ``(link,)``.

    ``link_capacity`` is the open fraction (run, day, link) at the recorded days. A link is
    interdicted in a run when its open fraction drops below its day-0 value on any recorded
    day after day 0. ``weights`` (run,) weigh the runs (default: equally).
    """
    cap = np.asarray(link_capacity, dtype=float)
    if cap.shape[1] < 2:
        return np.zeros(cap.shape[2])
    dropped = (cap[:, 1:, :] < cap[:, :1, :] - 1e-6).any(axis=1)
    w = np.ones(len(cap)) if weights is None else np.asarray(weights, dtype=float)
    return (w[:, None] * dropped).sum(axis=0) / w.sum()


def front_points(inp: ReportInputs, day_index: int = 0) -> np.ndarray:
    """Lat/lon of each sector's median front at a recorded day, shape ``(sector, 2)``."""
    km = np.nanmedian(inp.ds.front_km.values[:, day_index, :], axis=0)
    axes = inp.model.sector_axes
    return np.array([point_at_km(axis, k) for axis, k in zip(axes, km, strict=True)])


def fire_ranges(inp: ReportInputs) -> list[tuple[str, str, float]]:
    """``(fire id, side, median range in km)`` of each long-range fire system."""
    return [(f.id, f.side, float(f.range_km.ppf(0.5))) for f in inp.scenario.fires]


def circle_lonlat(lat: float, lon: float, radius_km: float, n: int = 120) -> np.ndarray:
    """Points (lon, lat) of a circle of ``radius_km`` on the sphere around a point."""
    d = radius_km / EARTH_RADIUS_KM
    lat1, lon1 = np.radians(lat), np.radians(lon)
    theta = np.linspace(0, 2 * np.pi, n)
    lat2 = np.arcsin(np.sin(lat1) * np.cos(d) + np.cos(lat1) * np.sin(d) * np.cos(theta))
    lon2 = lon1 + np.arctan2(np.sin(theta) * np.sin(d) * np.cos(lat1),
                             np.cos(d) - np.sin(lat1) * np.sin(lat2))
    return np.degrees(np.stack([lon2, lat2], axis=1))


def map_extent(inp: ReportInputs) -> tuple[float, float, float, float]:
    """The box ``(lon0, lon1, lat0, lat1)`` of the map: the nodes and front axes with a margin.

    The margin is 8% of the span on each side, at least 0.35 degrees, and a span is at least
    one degree, so a network of a few close towns still shows its surroundings. Fire ranges
    may reach past the box; they are clipped.
    """
    m = inp.model
    pts = np.concatenate([np.stack([m.node_lon, m.node_lat], 1)]
                         + [a[:, ::-1] for a in m.sector_axes])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, span = (lo + hi) / 2, np.maximum(hi - lo, _MIN_SPAN)
    half = span / 2 + np.maximum(_MARGIN * span, 0.35)
    lon0, lat0 = centre - half
    lon1, lat1 = centre + half
    return (float(max(lon0, -180.0)), float(min(lon1, 180.0)), float(max(lat0, -85.0)),
            float(min(lat1, 85.0)))


def map_borders(inp: ReportInputs, path=None) -> Borders:
    """The borders under the map of ``inp``: the file at ``path``, else the one the scenario
    names (``borders:``), else the shipped ones."""
    return load_borders(path or inp.scenario.borders, map_extent(inp))


def _theatre_countries(borders: Borders, inp: ReportInputs) -> set[str]:
    """Countries that hold at least one node of the network."""
    m = inp.model
    nodes = np.stack([m.node_lon, m.node_lat], 1)
    found = set()
    for region in borders.regions:
        if region.country not in found and any(
                MplPath(ring).contains_points(nodes).any() for ring in region.rings):
            found.add(region.country)
    return found


def _network_points(inp: ReportInputs, per_link: int = 12) -> np.ndarray:
    """Points (lon, lat) along every link, ``(links * per_link, 2)``: where the network lies."""
    m = inp.model
    a = np.stack([m.node_lon[m.link_from], m.node_lat[m.link_from]], 1)
    b = np.stack([m.node_lon[m.link_to], m.node_lat[m.link_to]], 1)
    f = np.linspace(0, 1, per_link)[None, :, None]
    return (a[:, None, :] + f * (b - a)[:, None, :]).reshape(-1, 2)


def _draw_land(ax, borders: Borders, inp: ReportInputs, box) -> None:
    theatre = _theatre_countries(borders, inp)
    polys, faces = [], []
    for region in borders.regions:
        for ring in region.rings:
            polys.append(ring)
            faces.append(_THEATRE if region.country in theatre else _LAND)
    ax.add_collection(PolyCollection(polys, facecolors=faces, edgecolors=_EDGE,
                                     linewidths=0.4, zorder=0))
    ax.add_collection(LineCollection(borders.country_borders, colors=_BORDER, linewidths=1.5,
                                     capstyle="round", zorder=1))
    lon0, lon1, lat0, lat1 = box
    inner = (lon0 + 0.3, lon1 - 0.3, lat0 + 0.3, lat1 - 0.3)
    for code, at in borders.label_points(inner, avoid=_network_points(inp)).items():
        ax.text(*at, borders.names.get(code, code), fontsize=13, color="#9a9488",
                ha="center", va="center", fontweight="bold", zorder=1, path_effects=_HALO)


def _link_lines(inp: ReportInputs, cos0: float) -> np.ndarray:
    """Link segments (link, 2, 2) in lon/lat, parallel links between one pair side by side."""
    m = inp.model
    a = np.stack([m.node_lon[m.link_from], m.node_lat[m.link_from]], 1)
    b = np.stack([m.node_lon[m.link_to], m.node_lat[m.link_to]], 1)
    segs = np.stack([a, b], axis=1)
    pairs: dict[tuple, list[int]] = {}
    for e, (f, t) in enumerate(zip(m.link_from, m.link_to, strict=True)):
        pairs.setdefault((min(f, t), max(f, t)), []).append(e)
    for group in pairs.values():
        if len(group) < 2:
            continue
        e0 = group[0]
        d = (segs[e0, 1] - segs[e0, 0]) * [cos0, 1.0]
        normal = np.array([-d[1], d[0]]) / (np.hypot(*d) or 1.0)
        for k, e in enumerate(group):
            shift = (k - (len(group) - 1) / 2) * 0.045 * normal / [cos0, 1.0]
            segs[e] += shift
    return segs


def _draw_links(ax, fig, inp: ReportInputs, cos0: float) -> np.ndarray:
    segs = _link_lines(inp, cos0)
    cap = np.array([float(x.capacity.ppf(0.5)) for x in inp.scenario.links])
    widths = 0.8 + 3.2 * np.sqrt(cap / cap.max())
    share = interdiction_share(inp.ds.link_capacity.transpose("run", "day", "link").values)
    hit = share >= INTERDICTED_SHARE
    if hit.any():
        ax.add_collection(LineCollection(segs[hit], colors=_INTERDICTED,
                                         linewidths=widths[hit] + 5.0, alpha=0.8,
                                         capstyle="round", zorder=3))
    norm = LogNorm(vmin=max(cap.min(), 1.0), vmax=max(cap.max(), 10.0))
    lines = LineCollection(segs, array=np.maximum(cap, 1.0), cmap=colormaps["cividis"],
                           norm=norm, linewidths=widths, capstyle="round", zorder=4)
    ax.add_collection(lines)
    bar = fig.colorbar(lines, ax=ax, shrink=0.55, pad=0.01, aspect=30)
    bar.set_label("intact link capacity, tons per day (median)")
    nice = [v for v in (500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)
            if norm.vmin <= v <= norm.vmax]
    bar.set_ticks(nice or [norm.vmin, norm.vmax])
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    bar.ax.yaxis.set_minor_locator(NullLocator())
    return share


def _draw_fronts(ax, inp: ReportInputs) -> None:
    m = inp.model
    start, end = front_points(inp, 0), front_points(inp, -1)
    for axis in m.sector_axes:
        ax.plot(axis[:, 1], axis[:, 0], color="#444444", linewidth=0.9, linestyle=(0, (4, 3)),
                zorder=5)
    ax.plot(start[:, 1], start[:, 0], "D", color="black", markersize=6, zorder=7,
            markeredgecolor="white", markeredgewidth=0.8)
    ax.plot(end[:, 1], end[:, 0], "D", color="white", markeredgecolor="black", markersize=5.5,
            zorder=7, markeredgewidth=1.1)


def _draw_fires(ax, inp: ReportInputs, sides) -> list:
    handles, start = [], front_points(inp, 0)
    for fid, side, radius in fire_ranges(inp):
        col = SIDE_COLOURS[sides.index(side)] if side in sides else "#555555"
        for lat, lon in start:
            ring = circle_lonlat(lat, lon, radius)
            ax.add_patch(Polygon(ring, closed=True, facecolor=col, alpha=0.06, zorder=2,
                                 edgecolor="none"))
            ax.add_patch(Polygon(ring, closed=True, fill=False, edgecolor=col, zorder=2,
                                 linewidth=1.1, linestyle=(0, (2, 2))))
        handles.append(Line2D([], [], color=col, linestyle=(0, (2, 2)), linewidth=1.1,
                              label=f"{fid} ({side}) range {radius:.0f} km around the "
                                    "day-0 front"))
    return handles


def _objective_points(inp: ReportInputs) -> list[tuple[str, float, float]]:
    """``(name, lat, lon)`` of every objective."""
    m, out = inp.model, []
    for i, (_, obj_id) in enumerate(m.objective_ids):
        s = m.objective_sector[i]
        sec = inp.scenario.sectors[s]
        obj = next(o for o in sec.objectives if o.id == obj_id)
        km = float(obj.km.ppf(0.5)) if obj.km is not None else float(m.objective_fixed_km[i])
        lat, lon = point_at_km(m.sector_axes[s], km)
        if obj.node is not None:
            j = m.node_ids.index(obj.node)
            lat, lon = m.node_lat[j], m.node_lon[j]
        out.append((obj.name or obj.id, float(lat), float(lon)))
    return out


def _draw_nodes(ax, inp: ReportInputs) -> None:
    m = inp.model
    ax.plot(m.node_lon, m.node_lat, "o", color="#222222", markersize=3.2, zorder=6,
            markeredgecolor="white", markeredgewidth=0.5)
    src = [m.node_ids.index(q.node) for q in inp.scenario.supply.sources]
    ax.plot(m.node_lon[src], m.node_lat[src], "s", color="#222222", markersize=6, zorder=6,
            markeredgecolor="white", markeredgewidth=0.7)


class _Labeller:
    """Places labels one by one at the first candidate position that overlaps no earlier one."""

    def __init__(self, ax, fig):
        self.ax, self.renderer, self.placed = ax, fig.canvas.get_renderer(), []

    def place(self, text: str, candidates, **style) -> None:
        """``candidates``: ``((x, y), (dx, dy), ha, va)``; the first is kept if all overlap."""
        best = None
        for xy, offset, ha, va in candidates:
            leader = {"arrowprops": dict(arrowstyle="-", color=style.get("color", "black"),
                                         lw=0.6, shrinkA=0, shrinkB=2)} \
                if np.hypot(*offset) > 15 else {}
            label = self.ax.annotate(text, xy, xytext=offset, textcoords="offset points",
                                     ha=ha, va=va, **leader, **style)
            label.update_positions(self.renderer)
            box = Text.get_window_extent(label, self.renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in self.placed):
                if best is not None:
                    best[0].remove()
                best = (label, box)
                break
            if best is None:
                best = (label, box)
            else:
                label.remove()
        self.placed.append(best[1])


def _label_interdicted(labeller: _Labeller, segs: np.ndarray, share: np.ndarray) -> None:
    style = dict(fontsize=7.5, fontweight="bold", color=_INTERDICTED, zorder=9,
                 bbox=dict(boxstyle="round,pad=0.15", fc="white", ec=_INTERDICTED, lw=0.6))
    for e in np.argsort(-share):
        if share[e] < INTERDICTED_SHARE:
            break
        a, b = segs[e]
        spots = [a + f * (b - a) for f in (0.5, 0.3, 0.7, 0.15, 0.85)]
        candidates = [(tuple(p), (0, 0), "center", "center") for p in spots]
        candidates += [(tuple(spots[0]), off, "center", "center")
                       for off in ((0, 11), (0, -11), (14, 0), (-14, 0), (0, 24), (0, -24),
                                   (28, 0), (-28, 0), (22, 18), (-22, 18), (22, -18),
                                   (-22, -18))]
        labeller.place(f"{share[e]:.0%}", candidates, **style)


def _label_objectives(labeller: _Labeller, inp: ReportInputs) -> None:
    """Mark and name each objective (once per place)."""
    seen = set()
    for name, lat, lon in _objective_points(inp):
        labeller.ax.plot(lon, lat, "*", color="black", markersize=9, zorder=8,
                         markeredgecolor="white", markeredgewidth=0.6)
        key = (name, round(lat, 3), round(lon, 3))
        if key in seen:
            continue
        seen.add(key)
        candidates = [((lon, lat), (dx, dy), ha, va) for dx, dy, ha, va in (
            (6, 3, "left", "bottom"), (-6, 3, "right", "bottom"), (6, -3, "left", "top"),
            (-6, -3, "right", "top"), (0, 8, "center", "bottom"), (0, -8, "center", "top"),
            (20, 14, "left", "bottom"), (-20, 14, "right", "bottom"), (20, -14, "left", "top"),
            (-20, -14, "right", "top"))]
        labeller.place(name, candidates, fontsize=8.5, fontweight="bold", zorder=10,
                       path_effects=_HALO)


def degree_label(value: float, positive: str, negative: str) -> str:
    """A longitude or latitude as a map reads it.

    >>> degree_label(33.5, "E", "W"), degree_label(-63.5, "E", "W"), degree_label(0, "N", "S")
    ('33.5°E', '63.5°W', '0°')
    """
    if value == 0:
        return "0°"
    return f"{abs(value):g}°{positive if value > 0 else negative}"


def _degree_axes(ax) -> None:
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: degree_label(v, "E", "W")))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: degree_label(v, "N", "S")))
    ax.grid(color="white", linewidth=0.5, alpha=0.6)


@styled
def network_map(inp: ReportInputs, borders: Borders | None = None) -> tuple[Figure, np.ndarray]:
    """The map, and the share of runs in which each link was interdicted.

    ``borders`` default to :func:`map_borders` of ``inp`` (the shipped ones).
    """
    box = map_extent(inp)
    borders = borders if borders is not None else load_borders(None, box)
    lat_mid = (box[2] + box[3]) / 2
    cos0 = float(np.cos(np.radians(lat_mid)))
    width = 11.0
    height = min(11.0, max(5.0, width * 0.86 * (box[3] - box[2]) / ((box[1] - box[0]) * cos0)))
    fig, axes = new_figure(width, height)
    ax = axes[0, 0]
    ax.set_facecolor(_SEA)
    _draw_land(ax, borders, inp, box)
    fire_handles = _draw_fires(ax, inp, list(inp.scenario.sides))
    share = _draw_links(ax, fig, inp, cos0)
    _draw_fronts(ax, inp)
    _draw_nodes(ax, inp)
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_aspect(1 / cos0)
    _degree_axes(ax)
    handles = [
        Line2D([], [], color=_INTERDICTED, linewidth=6, alpha=0.8,
               label=f"link interdicted in ≥{INTERDICTED_SHARE:.0%} of runs (share labelled)"),
        *fire_handles,
        Line2D([], [], color="#444444", linewidth=0.9, linestyle=(0, (4, 3)),
               label="sector axis"),
        Line2D([], [], marker="D", color="black", linestyle="none", markeredgecolor="white",
               label="front on day 0 (median run)"),
        Line2D([], [], marker="D", color="white", markeredgecolor="black", linestyle="none",
               label=f"front on day {int(inp.ds.day.values[-1])} (median run)"),
        Line2D([], [], marker="*", color="black", linestyle="none", markersize=9,
               label="objective"),
        Line2D([], [], marker="s", color="#222222", linestyle="none", label="supply source"),
        Line2D([], [], marker="o", color="#222222", linestyle="none", markersize=3.2,
               label="network node"),
        Patch(facecolor=_THEATRE, edgecolor=_BORDER, label="borders between countries "
              f"(thick) and {'regions' if borders.detailed else 'coasts'} (thin)"),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=7.5, framealpha=0.92,
              edgecolor="#bbbbbb")
    ax.text(0.995, 0.005, f"{borders.credit}. Equirectangular projection.", transform=ax.transAxes,
            ha="right", va="bottom", fontsize=7, color="#555555", zorder=11,
            path_effects=_HALO)
    fig.canvas.draw()  # fix the layout before placing labels by their size on screen
    labeller = _Labeller(ax, fig)
    _label_objectives(labeller, inp)
    _label_interdicted(labeller, _link_lines(inp, cos0), share)
    return fig, share
