"""Offline borders for maps: Natural Earth regions and countries, shipped as package data.

Two layers are shipped (see ``data/README.md``): ``data/admin1_region.geojson``, the admin-1
regions (oblasts, krais, ...) of Ukraine, Russia and their neighbours inside lon 22-42.5,
lat 43.5-53.5, and ``data/admin0_world.geojson``, every country of the world at 1:110m. A map
uses the detailed regions when it lies inside them and the world's countries anywhere else;
a scenario may bring its own GeoJSON file instead.

A border between two countries is the set of ring segments that polygons of two different
countries have in common, found here without any geometry library. It is exact when
neighbours share identical vertices, as both shipped layers do (they were simplified
together); in another file, a border whose vertices differ is simply drawn thin.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from matplotlib.path import Path as MplPath

from powderkeg.errors import InputError

__all__ = ["Region", "Borders", "load_borders", "read_borders", "COUNTRY_NAMES",
           "REGIONAL_FILE", "WORLD_FILE"]

REGIONAL_FILE = "admin1_region.geojson"
WORLD_FILE = "admin0_world.geojson"
_NATURAL_EARTH = "Borders: Natural Earth (public domain)"
#: Labels of the countries of the regional layer, which names regions but not countries.
COUNTRY_NAMES = {"UKR": "UKRAINE", "RUS": "RUSSIA", "BLR": "BELARUS", "MDA": "MOLDOVA",
                 "ROU": "ROMANIA", "POL": "POLAND", "BGR": "BULGARIA", "HUN": "HUNGARY",
                 "SVK": "SLOVAKIA", "GEO": "GEORGIA"}
_COUNTRY_KEYS = ("adm0_a3", "ADM0_A3", "iso_a3", "ISO_A3", "country")
_NAME_KEYS = ("name", "NAME", "name_en", "ADMIN", "admin")
_SCALE = 10_000  # vertices are compared at 4 decimals (about 10 m)
_GRID = 48  # label placement samples the map on a grid of this many points a side


@dataclass(frozen=True)
class Region:
    """A region or a country: its country code and outer rings as ``(n, 2)`` lon/lat arrays."""

    code: str
    name: str
    country: str
    rings: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Borders:
    """Polygons, the segments of borders between different countries, and how to credit them.

    ``detailed`` is true when the polygons are regions inside countries (their outlines are
    drawn thin, the borders between countries thick); ``names`` gives each country's label.
    """

    regions: tuple[Region, ...]
    country_borders: np.ndarray  # (n, 2, 2) segments, lon/lat
    bounds: tuple[float, float, float, float]  # lon_min, lon_max, lat_min, lat_max
    names: dict[str, str]
    credit: str
    detailed: bool

    def contains(self, box) -> bool:
        """True when the box ``(lon0, lon1, lat0, lat1)`` lies inside these borders' bounds."""
        b = self.bounds
        return b[0] <= box[0] and box[1] <= b[1] and b[2] <= box[2] and box[3] <= b[3]

    def label_points(self, box, min_share: float = 0.03,
                     avoid: np.ndarray | None = None) -> dict[str, tuple[float, float]]:
        """Where to write each country's name on a map of ``box``.

        The box is sampled on a regular grid; a country covering at least ``min_share`` of
        the samples is labelled at its sample nearest the centre of its samples, so the
        label lies on the country and inside the map even when most of it is outside.
        Samples within a tenth of the box's width of a point of ``avoid`` (``(n, 2)``
        lon/lat, e.g. the network drawn on top) are passed over while others remain.
        """
        lon0, lon1, lat0, lat1 = box
        lon, lat = np.meshgrid(np.linspace(lon0, lon1, _GRID), np.linspace(lat0, lat1, _GRID))
        pts = np.column_stack([lon.ravel(), lat.ravel()])
        owner = np.full(len(pts), "", dtype=object)
        for region in self.regions:
            for ring in region.rings:
                if _overlaps(ring, box):
                    owner[MplPath(ring).contains_points(pts)] = region.country
        clear = np.ones(len(pts), dtype=bool)
        if avoid is not None and len(avoid):
            near = (lon1 - lon0) / 10
            gap = np.hypot(*(pts[:, None, :] - np.asarray(avoid)[None, :, :]).transpose(2, 0, 1))
            clear = gap.min(axis=1) > near
        out = {}
        for country in dict.fromkeys(owner):
            mine = owner == country
            if not country or mine.sum() < min_share * len(pts):
                continue
            centre = pts[mine].mean(axis=0)
            spots = pts[mine & clear] if (mine & clear).any() else pts[mine]
            at = spots[np.argmin(((spots - centre) ** 2).sum(axis=1))]
            out[country] = (float(at[0]), float(at[1]))
        return out


def _overlaps(ring: np.ndarray, box) -> bool:
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    return lo[0] <= box[1] and hi[0] >= box[0] and lo[1] <= box[3] and hi[1] >= box[2]


def _country_borders(regions: list[Region]) -> np.ndarray:
    owners: dict[tuple, set[str]] = defaultdict(set)
    for region in regions:
        for ring in region.rings:
            pts = np.rint(ring * _SCALE).astype(np.int64)
            for a, b in zip(map(tuple, pts[:-1]), map(tuple, pts[1:]), strict=True):
                if a != b:
                    owners[(a, b) if a < b else (b, a)].add(region.country)
    segs = [key for key, countries in owners.items() if len(countries) > 1]
    return np.asarray(segs, dtype=float).reshape(-1, 2, 2) / _SCALE


def _first(props: dict, keys: tuple[str, ...]) -> str | None:
    return next((str(props[k]) for k in keys if props.get(k) not in (None, "", "-99")), None)


def _outer_rings(geometry: dict) -> list[np.ndarray]:
    """Outer rings of a Polygon or MultiPolygon (holes are not drawn); nothing for others."""
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        return []
    polys = [geometry["coordinates"]] if kind == "Polygon" else geometry["coordinates"]
    rings = [np.asarray(poly[0], dtype=float)[:, :2] for poly in polys]
    return [r for r in rings if len(r) >= 3 and np.isfinite(r).all()]


def _regions(doc, name: str) -> list[Region]:
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise InputError(f"Borders file {name} is not a GeoJSON FeatureCollection (a mapping "
                         "with a 'features' list). Give a .geojson file of country or region "
                         "polygons in longitude/latitude (WGS84).")
    regions = []
    for i, f in enumerate(features):
        props = (f.get("properties") if isinstance(f, dict) else None) or {}
        try:
            rings = _outer_rings(f.get("geometry") or {})
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            raise InputError(f"Borders file {name}: features[{i}] has coordinates that are not "
                             "rings of [longitude, latitude] pairs. Fix that feature or remove "
                             "it.") from None
        if not rings:
            continue
        label = _first(props, _NAME_KEYS) or f"feature {i}"
        country = _first(props, _COUNTRY_KEYS) or label
        regions.append(Region(code=_first(props, ("iso_3166_2",)) or country, name=label,
                              country=country, rings=tuple(rings)))
    if not regions:
        raise InputError(f"Borders file {name} has no Polygon or MultiPolygon feature, so "
                         "there is nothing to draw. Give a file of country or region "
                         "polygons.")
    return regions


def _borders(regions: list[Region], names: dict[str, str], credit: str,
             detailed: bool) -> Borders:
    allpts = np.concatenate([r for region in regions for r in region.rings])
    bounds = (float(allpts[:, 0].min()), float(allpts[:, 0].max()),
              float(allpts[:, 1].min()), float(allpts[:, 1].max()))
    return Borders(regions=tuple(regions), country_borders=_country_borders(regions),
                   bounds=bounds, names=names, credit=credit, detailed=detailed)


@functools.lru_cache(maxsize=2)
def _shipped(file: str) -> Borders:
    text = resources.files("powderkeg.report").joinpath(f"data/{file}").read_text("utf-8")
    regions = _regions(json.loads(text), file)
    if file == REGIONAL_FILE:
        return _borders(regions, COUNTRY_NAMES, _NATURAL_EARTH, detailed=True)
    names = {r.country: r.name.upper() for r in regions}
    return _borders(regions, names, _NATURAL_EARTH, detailed=False)


def read_borders(path: str | Path) -> Borders:
    """Borders from a GeoJSON file of country (or region) polygons in lon/lat.

    Each feature's country is its first property among ``adm0_a3``, ``ADM0_A3``, ``iso_a3``,
    ``ISO_A3`` and ``country`` (else its name); its label is its ``name``, ``NAME``,
    ``name_en`` or ``ADMIN``. Features other than polygons are ignored.

    Raises
    ------
    InputError
        If the file cannot be read, is not GeoJSON, or has no polygon.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"Cannot read borders file {path}: {e}. Give an existing GeoJSON "
                         "file.") from None
    except ValueError as e:
        raise InputError(f"Borders file {path} is not valid JSON ({e}). Give a GeoJSON file "
                         "of country or region polygons.") from None
    regions = _regions(doc, str(path))
    names = {r.country: r.name.upper() for r in regions}
    return _borders(regions, names, f"Borders: {path.name}", detailed=False)


def load_borders(path: str | Path | None = None, box=None) -> Borders:
    """The borders to draw under a map of ``box`` (``lon0, lon1, lat0, lat1``).

    The file at ``path`` when one is given (see :func:`read_borders`); otherwise the shipped
    detailed regions when ``box`` is ``None`` or lies inside them, and the shipped world
    countries (1:110m) anywhere else. The shipped layers are read once and cached.
    """
    if path is not None:
        return read_borders(path)
    regional = _shipped(REGIONAL_FILE)
    if box is None or regional.contains(box):
        return regional
    return _shipped(WORLD_FILE)
