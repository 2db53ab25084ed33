"""Offline borders for maps: first-level regions from Natural Earth, shipped as package data.

``data/admin1_region.geojson`` holds the admin-1 regions (oblasts, krais, ...) of Ukraine,
Russia and their neighbours inside lon 22-42.5, lat 43.5-53.5 (see ``data/README.md``).
Regions were simplified together so that neighbours share identical vertices; a border
between two countries is therefore the set of ring segments that regions of two different
countries (``adm0_a3``) have in common, found here without any geometry library.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources

import numpy as np

__all__ = ["Region", "Borders", "load_borders", "COUNTRY_NAMES", "CREDIT"]

CREDIT = "Borders: Natural Earth (public domain)"
COUNTRY_NAMES = {"UKR": "UKRAINE", "RUS": "RUSSIA", "BLR": "BELARUS", "MDA": "MOLDOVA",
                 "ROU": "ROMANIA", "POL": "POLAND", "BGR": "BULGARIA", "HUN": "HUNGARY",
                 "SVK": "SLOVAKIA", "GEO": "GEORGIA"}
_SCALE = 10_000  # coordinates carry 4 decimals


@dataclass(frozen=True)
class Region:
    """One admin-1 region: its country and outer rings as ``(n, 2)`` lon/lat arrays."""

    code: str
    name: str
    country: str
    rings: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Borders:
    """Regions, and the segments of borders between different countries."""

    regions: tuple[Region, ...]
    country_borders: np.ndarray  # (n, 2, 2) segments, lon/lat
    bounds: tuple[float, float, float, float]  # lon_min, lon_max, lat_min, lat_max

    def label_point(self, country: str, box) -> tuple[float, float] | None:
        """Area-weighted centre of the ``country``'s rings whose centre lies in ``box``."""
        lon0, lon1, lat0, lat1 = box
        total, acc = 0.0, np.zeros(2)
        for region in self.regions:
            if region.country != country:
                continue
            for ring in region.rings:
                area, centre = _ring_centroid(ring)
                if lon0 <= centre[0] <= lon1 and lat0 <= centre[1] <= lat1:
                    total += area
                    acc += area * centre
        return None if total == 0 else (float(acc[0] / total), float(acc[1] / total))


def _ring_centroid(ring: np.ndarray) -> tuple[float, np.ndarray]:
    x, y = ring[:, 0], ring[:, 1]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    area = cross.sum() / 2
    if abs(area) < 1e-12:
        return 0.0, ring.mean(axis=0)
    cx = ((x[:-1] + x[1:]) * cross).sum() / (6 * area)
    cy = ((y[:-1] + y[1:]) * cross).sum() / (6 * area)
    return abs(area), np.array([cx, cy])


def _rings(geometry: dict) -> list[np.ndarray]:
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" \
        else geometry["coordinates"]
    return [np.asarray(poly[0], dtype=float) for poly in polys]  # outer rings only


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


@functools.lru_cache(maxsize=1)
def load_borders() -> Borders:
    """Read the shipped regions (cached) and find the borders between countries."""
    text = resources.files("powderkeg.report").joinpath("data/admin1_region.geojson") \
        .read_text("utf-8")
    doc = json.loads(text)
    regions = [Region(code=f["properties"]["iso_3166_2"], name=f["properties"]["name_en"],
                      country=f["properties"]["adm0_a3"], rings=tuple(_rings(f["geometry"])))
               for f in doc["features"]]
    allpts = np.concatenate([r for region in regions for r in region.rings])
    bounds = (float(allpts[:, 0].min()), float(allpts[:, 0].max()),
              float(allpts[:, 1].min()), float(allpts[:, 1].max()))
    return Borders(regions=tuple(regions), country_borders=_country_borders(regions),
                   bounds=bounds)
