"""Great-circle geometry for front axes: distances, positions along a polyline, projections.

Distances use the haversine formula on a sphere of radius 6371 km (the convention of the
scenario's fact sheet).
"""

from __future__ import annotations

import numpy as np

from powderkeg.model.elementary import arcsin, cos, sin

__all__ = ["haversine_km", "polyline_km", "point_at_km", "project_km", "local_km",
           "distance_to_polyline_km"]

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.subtract(lon2, lon1))
    a = sin(dphi / 2) ** 2 + cos(p1) * cos(p2) * sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * arcsin(np.sqrt(np.clip(a, 0, 1)))


def polyline_km(points: np.ndarray) -> np.ndarray:
    """Cumulative km at each vertex of a polyline of ``(n, 2)`` lat/lon points; first is 0."""
    seg = haversine_km(points[:-1, 0], points[:-1, 1], points[1:, 0], points[1:, 1])
    return np.concatenate([[0.0], np.cumsum(seg)])


def point_at_km(points: np.ndarray, km) -> np.ndarray:
    """Lat/lon at ``km`` along the polyline (clamped to its ends), linear within a segment."""
    cum = polyline_km(points)
    km = np.clip(np.asarray(km, dtype=float), 0.0, cum[-1])
    lat = np.interp(km, cum, points[:, 0])
    lon = np.interp(km, cum, points[:, 1])
    return np.stack([lat, lon], axis=-1)


def project_km(points: np.ndarray, lat: float, lon: float, step_km: float = 0.25) -> float:
    """Km along the polyline of the point nearest to (lat, lon), to within ``step_km``."""
    cum = polyline_km(points)
    grid = np.arange(0.0, cum[-1] + step_km, step_km)
    along = point_at_km(points, grid)
    d = haversine_km(along[:, 0], along[:, 1], lat, lon)
    return float(grid[int(np.argmin(d))])


def local_km(lat, lon, lat0: float, lon0: float) -> np.ndarray:
    """East and north km of points from ``(lat0, lon0)`` on the equirectangular plane there.

    ``x = R cos(lat0) (lon - lon0)``, ``y = R (lat - lat0)`` in radians; shape ``(..., 2)``.
    Good to a fraction of a percent within a few hundred km, the scale of a front.
    """
    x = EARTH_RADIUS_KM * cos(np.radians(lat0)) * np.radians(np.subtract(lon, lon0))
    y = EARTH_RADIUS_KM * np.radians(np.subtract(lat, lat0))
    return np.stack(np.broadcast_arrays(x, y), axis=-1)


def distance_to_polyline_km(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance in km from each point ``(..., 2)`` to a polyline ``(n, 2)``, both on one plane.

    A polyline of one vertex is a point. The distance to a segment ``ab`` is that to the
    projection ``a + clip(t, 0, 1) (b - a)`` with ``t = (p - a).(b - a) / |b - a|^2``.

    >>> line = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> distance_to_polyline_km(np.array([[5.0, 3.0], [13.0, 4.0]]), line).tolist()
    [3.0, 5.0]
    """
    p = np.asarray(points, dtype=float)[..., None, :]  # (..., 1, 2)
    if len(line) == 1:
        return np.linalg.norm(p[..., 0, :] - line[0], axis=-1)
    a, b = line[:-1], line[1:]  # (m, 2)
    ab = b - a
    t = np.clip(np.sum((p - a) * ab, axis=-1) / np.maximum(np.sum(ab * ab, axis=-1), 1e-12),
                0.0, 1.0)
    nearest = a + t[..., None] * ab
    return np.linalg.norm(p - nearest, axis=-1).min(axis=-1)
