"""Existing reception around candidates: weighted density, places within reach, nearest site.

Pure functions on coordinate arrays in one metric CRS (metres, e.g. EPSG:28992); distances are
straight lines, not walks. Sites are existing reception locations with a capacity in places.

Every result is in places a planner can read, not a normalised probability density:

- ``reception_pressure``: the sum over sites of ``C_i * K(d_i / h)`` for sites within the cut-off,
  so a 300-place azc right next to a candidate adds 300, and one at one bandwidth adds 300 * K(1);
- ``places_within``: the plain sum of ``C_i`` for sites within a radius;
- ``nearest_site``: distance to (and index of) the closest site of at least a given capacity.
"""

from __future__ import annotations

import numpy as np

from geoschikt.errors import ConfigError, InputFileError

KERNELS = ("gaussian", "epanechnikov", "quartic", "uniform")


def kernel_weight(u: np.ndarray, kernel: str) -> np.ndarray:
    """Kernel weight for scaled distance ``u = d / h`` (``u >= 0``), with ``K(0) = 1``.

    ``gaussian``: ``exp(-u**2 / 2)`` (never reaches 0; the cut-off ends it);
    ``epanechnikov``: ``1 - u**2`` for ``u < 1``, else 0;
    ``quartic`` (biweight): ``(1 - u**2)**2`` for ``u < 1``, else 0;
    ``uniform``: 1 for ``u <= 1``, else 0.
    """
    u = np.asarray(u, dtype=float)
    if kernel == "gaussian":
        return np.exp(-0.5 * u**2)
    if kernel == "epanechnikov":
        return np.where(u < 1, 1 - u**2, 0.0)
    if kernel == "quartic":
        return np.where(u < 1, (1 - u**2) ** 2, 0.0)
    if kernel == "uniform":
        return np.where(u <= 1, 1.0, 0.0)
    raise ConfigError(f"unknown reception kernel {kernel!r}; allowed: {', '.join(KERNELS)}")


def reception_pressure(
    cand_xy: np.ndarray,
    site_xy: np.ndarray,
    capacity: np.ndarray,
    *,
    bandwidth_m: float,
    cutoff_m: float,
    kernel: str = "gaussian",
) -> np.ndarray:
    """Capacity-weighted kernel sum of existing reception around each candidate, in places.

    For candidate ``j``: ``P_j = sum_i C_i * K(d_ij / h)`` over the sites ``i`` with
    ``d_ij <= cutoff_m``, where ``C_i`` is the site's capacity (places), ``d_ij`` the straight-line
    distance in metres, ``h = bandwidth_m`` and ``K`` one of :data:`KERNELS` (see
    :func:`kernel_weight`; ``K(0) = 1``). Sites beyond the cut-off add nothing; for the
    ``epanechnikov``, ``quartic`` and ``uniform`` kernels sites beyond ``h`` add nothing either.
    Not normalised: a site of 300 places at 0 m gives 300; with the gaussian kernel a site of 300
    places at ``h`` gives ``300 * exp(-0.5) = 182.0``.

    Returns an array of ``len(cand_xy)`` floats; zeros when there are no sites.
    """
    h = _positive("bandwidth_m", bandwidth_m)
    cutoff = _positive("cutoff_m", cutoff_m)
    kernel_weight(np.zeros(0), kernel)  # rejects an unknown kernel before any work
    cand, sites, cap = _check(cand_xy, site_xy, capacity)
    reach = cutoff if kernel == "gaussian" else min(cutoff, h)
    j, i, d = _pairs(cand, sites, reach)
    contrib = cap[i] * kernel_weight(d / h, kernel)
    return np.bincount(j, weights=contrib, minlength=len(cand)).astype(float)


def places_within(
    cand_xy: np.ndarray, site_xy: np.ndarray, capacity: np.ndarray, radius_m: float
) -> np.ndarray:
    """Reception places within ``radius_m`` of each candidate: ``sum_i C_i`` for ``d_ij <= r``.

    Returns an array of ``len(cand_xy)`` floats; zeros when there are no sites.
    """
    radius = _positive("radius_m", radius_m)
    cand, sites, cap = _check(cand_xy, site_xy, capacity)
    j, i, _ = _pairs(cand, sites, radius)
    return np.bincount(j, weights=cap[i], minlength=len(cand)).astype(float)


def nearest_site(
    cand_xy: np.ndarray, site_xy: np.ndarray, capacity: np.ndarray, min_capacity: float = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) to, and index of, the nearest site with ``capacity >= min_capacity``.

    Returns ``(distance, index)``: ``index`` points into ``site_xy``; where no site qualifies
    (no sites, or none large enough) the distance is ``inf`` and the index ``-1``, so a minimum
    distance is met and a maximum distance is not.

    Use it for either direction of a distance rule, which the caller must choose explicitly:

    - a *dependance* of an azc must lie *within* a maximum distance of its main azc (COA works
      with about 7 km), so it can share the main location's staff and services;
    - an independent small-scale location is usually wanted *at least* some distance *away* from
      existing (large) reception, to spread reception rather than concentrate it.

    ``min_capacity`` restricts the sites, e.g. to main azc of several hundred places.
    """
    cand, sites, cap = _check(cand_xy, site_xy, capacity)
    distance = np.full(len(cand), np.inf)
    index = np.full(len(cand), -1, dtype=np.int64)
    eligible = np.flatnonzero(cap >= min_capacity)
    if len(cand) == 0 or len(eligible) == 0:
        return distance, index
    from scipy.spatial import cKDTree  # here, not on import: re-scoring does not need scipy

    dist, idx = cKDTree(sites[eligible]).query(cand, k=1)
    return dist, eligible[idx]


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ConfigError(f"reception {name} must be a positive number of metres, not {value!r}")
    return value


def _check(
    cand_xy: np.ndarray, site_xy: np.ndarray, capacity: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated float arrays: candidates (n, 2), sites (m, 2), capacity (m,)."""
    cand = _xy(cand_xy, "candidate")
    sites = _xy(site_xy, "reception site")
    if capacity is None:
        raise InputFileError(
            "reception capacity is missing; give the number of places of every reception site"
        )
    cap = np.asarray(capacity, dtype=float).reshape(-1)
    if len(cap) != len(sites):
        raise InputFileError(
            f"{len(sites)} reception sites but {len(cap)} capacities; give one capacity per site"
        )
    bad = ~np.isfinite(cap) | (cap < 0)
    if bad.any():
        raise InputFileError(
            f"{int(bad.sum())} reception site(s) have a missing or negative capacity (first at "
            f"site {int(np.flatnonzero(bad)[0]) + 1}); give the number of places (0 or more)"
        )
    if not np.isfinite(sites).all():
        raise InputFileError("reception sites have missing coordinates; drop or locate them")
    return cand, sites, cap


def _xy(xy: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(xy, dtype=float)
    if arr.size == 0:
        return np.zeros((0, 2))
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{what} coordinates must be an (n, 2) array of x, y; got {arr.shape}")
    return arr


def _pairs(
    cand: np.ndarray, sites: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (candidate, site, distance) with distance <= radius, as flat arrays."""
    if len(cand) == 0 or len(sites) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    from sklearn.neighbors import BallTree

    idx, dist = BallTree(sites).query_radius(cand, r=radius, return_distance=True)
    counts = np.fromiter((len(a) for a in idx), dtype=np.int64, count=len(idx))
    j = np.repeat(np.arange(len(cand), dtype=np.int64), counts)
    return j, np.concatenate(idx).astype(np.int64), np.concatenate(dist)
