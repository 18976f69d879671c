"""A spread set of sites: K passing candidates, pairwise at least D metres apart, at most M per
zone, with sites already decided included or excluded, maximising the sum of suitability (or,
with a number of places, the fewest sites that give them, then the most suitability).

Solved exactly as a mixed-integer programme by HiGHS (through ``scipy.optimize.milp``): one
binary per candidate, a conflict row ``x_i + x_j <= 1`` per pair closer than D (found with a
KD-tree), one row per zone. Large inputs: the K-site problem is first solved on the best
candidates only (a *pool*), and the pool's answer is proven optimal for all candidates by a
relaxation in which every site from outside the pool is worth the best suitability outside it
and ignores spacing and zones; if that bound could beat the pool's answer, the pool grows (x4)
and the problem is solved again. Pure: arrays in, a Selection out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from geoschikt.errors import GeoschiktError
from geoschikt.geo import to_crs

POOL = 1000  # candidates of the first model (at least 50 K); the pool grows x4 until proven


class SelectionError(GeoschiktError, ValueError):
    """The selection asked for cannot be made (infeasible constraints, no solution in time)."""


@dataclass(frozen=True)
class Problem:
    """Eligible candidates only (passing, not excluded), in any order.

    ``zone`` holds a zone code per candidate (>= 0) when ``per_zone`` is set; ``include`` are
    positions of sites that must be chosen. Exactly one of ``k`` and ``places_needed`` is set.
    """

    suitability: np.ndarray
    xy: np.ndarray
    spacing_m: float
    k: int | None = None
    places: np.ndarray | None = None
    places_needed: float | None = None
    zone: np.ndarray | None = None
    per_zone: int | None = None
    include: tuple[int, ...] = ()
    names: tuple[str, ...] | None = None  # for messages (candidate ids)
    zone_names: tuple[str, ...] | None = None

    @property
    def n(self) -> int:
        return len(self.suitability)

    def name(self, i: int) -> str:
        return self.names[i] if self.names is not None else f"#{i}"


@dataclass(frozen=True)
class Selection:
    chosen: np.ndarray  # positions in the problem, best suitability first
    suitability: float  # sum over the chosen sites
    gap: float  # relative optimality gap reported by the solver (0 = proven optimal)
    optimal: bool
    considered: int  # candidates in the final model (the pool)
    conflicts: int  # pairs closer than the spacing in that model
    seconds: float


def conflict_pairs(xy: np.ndarray, spacing_m: float) -> np.ndarray:
    """(p, 2) index pairs (i < j) strictly closer than ``spacing_m``."""
    if spacing_m <= 0 or len(xy) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = cKDTree(xy).query_pairs(spacing_m, output_type="ndarray")
    if len(pairs):
        d = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
        pairs = pairs[d < spacing_m]
    return pairs.astype(np.int64)


def spacing_rows(xy: np.ndarray, spacing_m: float) -> sparse.csr_array:
    """Rows ``sum x <= 1`` that together forbid every pair closer than ``spacing_m``.

    Candidates within ``spacing_m / 2`` of one point are pairwise closer than ``spacing_m``: one
    row per such disk (centres on a grid of ``spacing_m / 4``) covers many pairs at once and
    gives the solver a much tighter relaxation than pair rows; the pairs no disk covers get a
    row ``x_i + x_j <= 1`` each. (Halves the solve time on Delft at 500 m.)
    """
    n = len(xy)
    pairs = conflict_pairs(xy, spacing_m)
    if not len(pairs):
        return sparse.csr_array((0, n))
    g = spacing_m / 4
    lo = xy.min(axis=0) - spacing_m / 2
    hi = xy.max(axis=0) + spacing_m / 2
    gx, gy = np.arange(lo[0], hi[0] + g, g), np.arange(lo[1], hi[1] + g, g)
    centres = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    inside = cKDTree(xy).query_ball_point(centres, spacing_m / 2 * (1 - 1e-9))
    sets = {tuple(sorted(m)) for m in inside if len(m) >= 2}
    sets = sorted(sets)
    if sets:
        sizes = [len(t) for t in sets]
        disks = sparse.csr_array(
            (np.ones(sum(sizes)), (np.repeat(np.arange(len(sets)), sizes), np.concatenate(sets))),
            shape=(len(sets), n),
        )
        both = (disks[:, pairs[:, 0]] * disks[:, pairs[:, 1]]).sum(axis=0)
        pairs = pairs[np.asarray(both).ravel() == 0]
    else:
        disks = sparse.csr_array((0, n))
    p = len(pairs)
    rest = sparse.csr_array(
        (np.ones(2 * p), (np.repeat(np.arange(p), 2), pairs.ravel())), shape=(p, n)
    )
    return sparse.vstack([disks, rest]).tocsr()


def select(problem: Problem, *, time_limit_s: float = 60.0, pool: int | None = None) -> Selection:
    """The optimal selection (see the module docstring); SelectionError names the constraint
    that makes the problem infeasible."""
    import time

    start = time.perf_counter()
    check_feasible_basics(problem)
    order = np.argsort(-problem.suitability, kind="stable")
    include = np.asarray(problem.include, dtype=np.int64)
    size = pool or max(POOL, 50 * (problem.k or 10))
    deadline = start + time_limit_s
    while True:
        members = _pool(order, include, size)
        result = _solve_on(problem, members, max(deadline - time.perf_counter(), 1.0))
        if len(members) == problem.n:
            break
        if result is not None and _certified(problem, members, order, result, deadline):
            break
        size *= 4
    if result is None:
        raise SelectionError(diagnose(problem, time_limit_s))
    chosen, value, gap = result
    chosen = chosen[np.argsort(-problem.suitability[chosen], kind="stable")]
    pairs = conflict_pairs(problem.xy[members], problem.spacing_m)
    return Selection(
        chosen,
        float(value),
        float(gap),
        gap <= 1e-9,
        len(members),
        len(pairs),
        time.perf_counter() - start,
    )


def _pool(order: np.ndarray, include: np.ndarray, size: int) -> np.ndarray:
    head = order[:size]
    return np.unique(np.concatenate([head, include])) if len(include) else np.sort(head)


def _solve_on(problem: Problem, members: np.ndarray, time_limit: float):
    """(chosen positions, suitability sum, gap) on ``members``, or None when infeasible there."""
    if problem.k is not None:
        res = _milp(problem, members, objective="suitability", count=problem.k, limit=time_limit)
        if res is None:
            return None
        x, gap = res
        chosen = members[x]
        return chosen, problem.suitability[chosen].sum(), gap
    res = _milp(problem, members, objective="count", count=None, limit=time_limit)
    if res is None:
        return None
    fewest = int(res[0].sum())
    res = _milp(problem, members, objective="suitability", count=fewest, limit=time_limit)
    if res is None:
        return None
    x, gap = res
    chosen = members[x]
    return chosen, problem.suitability[chosen].sum(), gap


def _milp(
    problem: Problem,
    members: np.ndarray,
    *,
    objective: str,
    count: int | None,
    limit: float,
    outside: tuple[float, float] | None = None,
):
    """Solve on ``members``. ``outside`` = (suitability, places) of a relaxed slot variable y
    >= 1 standing for sites from outside the pool (no spacing, no zones). Returns (x as bool
    over members, gap) or None when infeasible; with ``outside`` returns (upper bound, None)."""
    m = len(members)
    nvar = m + (1 if outside else 0)
    suit = problem.suitability[members]
    if objective == "suitability":
        c = -np.r_[suit, [outside[0]] if outside else []]
    else:
        c = np.ones(nvar)
    rows, lbs, ubs = [], [], []

    def add(matrix, lb, ub):
        rows.append(sparse.csr_array(matrix))
        lbs.append(np.broadcast_to(lb, matrix.shape[0]))
        ubs.append(np.broadcast_to(ub, matrix.shape[0]))

    ones = np.ones((1, nvar))
    if count is not None:
        add(ones, count, count)
    if problem.places_needed is not None:
        row = np.r_[problem.places[members], [outside[1]] if outside else []][None, :]
        add(row, problem.places_needed, np.inf)
    spacing = spacing_rows(problem.xy[members], problem.spacing_m)
    if spacing.shape[0]:
        add(sparse.hstack([spacing, sparse.csr_array((spacing.shape[0], nvar - m))]), -np.inf, 1)
    if problem.per_zone is not None:
        codes = problem.zone[members]
        zones, inverse = np.unique(codes, return_inverse=True)
        a = sparse.coo_array((np.ones(m), (inverse, np.arange(m))), shape=(len(zones), nvar))
        add(a, -np.inf, problem.per_zone)
    lb = np.zeros(nvar)
    ub = np.ones(nvar)
    local = {int(g): i for i, g in enumerate(members)}
    for i in problem.include:
        lb[local[int(i)]] = 1
    if outside:
        lb[-1], ub[-1] = 1, (count if count is not None else m + 1)
    constraints = (
        [LinearConstraint(sparse.vstack(rows).tocsr(), np.concatenate(lbs), np.concatenate(ubs))]
        if rows
        else []
    )
    res = milp(
        c,
        integrality=np.ones(nvar),
        bounds=Bounds(lb, ub),
        constraints=constraints,
        options={"time_limit": max(limit, 1.0), "disp": False, "mip_rel_gap": 0.0},
    )
    if outside:
        if res.status == 2:  # infeasible: no better answer with outside sites
            return -np.inf if objective == "suitability" else np.inf, None
        bound = getattr(res, "mip_dual_bound", None)
        bound = res.fun if bound is None or not np.isfinite(bound) else bound
        return (-bound if objective == "suitability" else bound), None
    if res.x is None:
        if res.status == 2:
            return None
        raise SelectionError(
            f"HiGHS found no selection within the time limit ({limit:.0f} s); give more "
            "--time-limit or fewer candidates (--k, --min-spacing-m)"
        )
    gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
    return np.round(res.x[:m]).astype(bool), gap


def _certified(problem, members, order, result, deadline) -> bool:
    """Whether no selection using a site outside the pool can beat the pool's answer."""
    import time

    outside = np.setdiff1d(order, members, assume_unique=False)
    if not len(outside):
        return True
    best_out = float(problem.suitability[outside].max())
    places_out = float(problem.places[outside].max()) if problem.places is not None else 0.0
    chosen, value, _ = result
    limit = max(deadline - time.perf_counter(), 1.0)
    if problem.k is None:
        fewest, _ = _milp(
            problem,
            members,
            objective="count",
            count=None,
            limit=limit,
            outside=(best_out, places_out),
        )
        if fewest < len(chosen):
            return False
        count = len(chosen)
    else:
        count = problem.k
    bound, _ = _milp(
        problem,
        members,
        objective="suitability",
        count=count,
        limit=limit,
        outside=(best_out, places_out),
    )
    return bound <= value + 1e-6


def greedy(problem: Problem) -> np.ndarray:
    """The plain baseline: the included sites, then the best remaining candidate that keeps the
    spacing and zone limits, until K sites (or the places) are reached."""
    tree = cKDTree(problem.xy)
    chosen: list[int] = []
    per_zone: dict[int, int] = {}
    blocked = np.zeros(problem.n, dtype=bool)

    def take(i: int) -> None:
        chosen.append(i)
        for j in tree.query_ball_point(problem.xy[i], problem.spacing_m):
            if np.hypot(*(problem.xy[j] - problem.xy[i])) < problem.spacing_m:
                blocked[j] = True
        blocked[i] = True
        if problem.per_zone is not None:
            z = int(problem.zone[i])
            per_zone[z] = per_zone.get(z, 0) + 1

    def done() -> bool:
        if problem.k is not None:
            return len(chosen) >= problem.k
        return problem.places[chosen].sum() >= problem.places_needed if chosen else False

    for i in problem.include:
        take(int(i))
    for i in np.argsort(-problem.suitability, kind="stable"):
        if done():
            break
        if blocked[i]:
            continue
        if (
            problem.per_zone is not None
            and per_zone.get(int(problem.zone[i]), 0) >= problem.per_zone
        ):
            continue
        take(int(i))
    return np.asarray(chosen, dtype=np.int64)


def check_feasible_basics(problem: Problem) -> None:
    """The cheap causes of infeasibility, each as one SelectionError naming the constraint."""
    include = list(problem.include)
    if problem.k is not None:
        if problem.k > problem.n:
            raise SelectionError(
                f"--k {problem.k} but only {problem.n} candidates pass every hard limit (and "
                "are not excluded); choose a smaller --k"
            )
        if len(include) > problem.k:
            raise SelectionError(
                f"{len(include)} sites are included (--include) but --k is {problem.k}; raise "
                "--k or include fewer"
            )
    if include:
        xy = problem.xy[include]
        pairs = conflict_pairs(xy, problem.spacing_m)
        if len(pairs):
            a, b = include[pairs[0, 0]], include[pairs[0, 1]]
            d = float(np.hypot(*(problem.xy[a] - problem.xy[b])))
            raise SelectionError(
                f"the included sites {problem.name(a)} and {problem.name(b)} are {d:.0f} m "
                f"apart, less than --min-spacing-m {problem.spacing_m:g}; lower the spacing or "
                "include only one"
            )
        if problem.per_zone is not None:
            zones, counts = np.unique(problem.zone[include], return_counts=True)
            if counts.max() > problem.per_zone:
                z = int(zones[np.argmax(counts)])
                raise SelectionError(
                    f"zone {_zone_name(problem, z)} holds {counts.max()} included sites, more "
                    f"than --per-zone {problem.per_zone}; raise --per-zone or include fewer"
                )
    if problem.places_needed is not None:
        total = float(problem.places.sum())
        if total < problem.places_needed:
            raise SelectionError(
                f"the places of all {problem.n} passing candidates add up to {total:.0f}, fewer "
                f"than --places {problem.places_needed:g}; lower --places"
            )


def diagnose(problem: Problem, time_limit_s: float) -> str:
    """Which constraint makes a problem infeasible (after the basic checks passed)."""
    spacing_only = Problem(
        problem.suitability,
        problem.xy,
        problem.spacing_m,
        places=problem.places,
        include=problem.include,
        names=problem.names,
    )
    most_spaced = _most(spacing_only, time_limit_s)
    with_zones = _most(problem, time_limit_s) if problem.per_zone is not None else most_spaced
    what = "sites" if problem.k is not None else "places"
    need = problem.k if problem.k is not None else problem.places_needed
    if most_spaced < need:
        return (
            f"at most {most_spaced:g} {what} can be --min-spacing-m {problem.spacing_m:g} apart"
            + (" with the included sites" if problem.include else "")
            + f", fewer than the {need:g} asked; lower --min-spacing-m or ask for fewer"
        )
    return (
        f"with at most {problem.per_zone} per zone (--per-zone) and the spacing, at most "
        f"{with_zones:g} {what} fit, fewer than the {need:g} asked; raise --per-zone or give "
        "more zones"
    )


def _most(problem: Problem, time_limit_s: float) -> float:
    """The most sites (or places) that fit the spacing, zones and includes."""
    members = np.arange(problem.n)
    weights = problem.places if problem.places_needed is not None else np.ones(problem.n)
    relaxed = Problem(
        weights,
        problem.xy,
        problem.spacing_m,
        zone=problem.zone,
        per_zone=problem.per_zone,
        include=problem.include,
        names=problem.names,
    )
    res = _milp(relaxed, members, objective="suitability", count=None, limit=time_limit_s)
    return float(weights[res[0]].sum()) if res is not None else 0.0


def _zone_name(problem: Problem, z: int) -> str:
    return problem.zone_names[z] if problem.zone_names is not None else str(z)


def nearest_other(xy: np.ndarray) -> np.ndarray:
    """Distance (m) from each point to the nearest other one (nan for a single point)."""
    if len(xy) < 2:
        return np.full(len(xy), np.nan)
    d, _ = cKDTree(xy).query(xy, k=2)
    return d[:, 1]


# ---------------------------------------------------------------------------------------------
# from a run to a problem, and back to a table


@dataclass(frozen=True)
class Request:
    """What the user asked for, in the run's terms (candidate ids)."""

    spacing_m: float
    k: int | None = None
    places_needed: float | None = None
    places_column: str | None = None
    per_zone: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


PLACES_COLUMN = "places_est"


def build_problem(run, request: Request, zone_codes=None, zone_names=None):
    """(Problem over the eligible candidates, their row positions in the run, places or None)."""
    ids = run.ids
    known = set(ids)
    for what, chosen in (("--include", request.include), ("--exclude", request.exclude)):
        unknown = [i for i in chosen if i not in known]
        if unknown:
            raise SelectionError(
                f"{what} {unknown[0]} is not a candidate of this run; give a candidate_id from "
                "its candidates.csv"
            )
    both = set(request.include) & set(request.exclude)
    if both:
        raise SelectionError(f"{sorted(both)[0]} is both included and excluded; give it once")
    passes = run.passes
    failing = [i for i in request.include if not passes[np.flatnonzero(ids == i)[0]]]
    if failing:
        raise SelectionError(
            f"included site {failing[0]} fails a hard limit ({_fails(run, failing[0])}); only "
            "passing candidates can be selected"
        )
    places = _places(run, request)
    eligible = passes & ~np.isin(ids, list(request.exclude))
    if places is not None and request.places_needed is not None:
        eligible &= np.isfinite(places)
    rows = np.flatnonzero(eligible)
    if zone_codes is not None and request.per_zone is not None:
        outside = zone_codes[rows] < 0
        if outside.any():
            raise SelectionError(
                f"{int(outside.sum())} of {len(rows)} passing candidates lie in no zone (e.g. "
                f"{ids[rows[outside][0]]}); give zones that cover the whole area"
            )
    position = {c: k for k, c in enumerate(ids[rows])}
    problem = Problem(
        suitability=run.candidates["suitability"].to_numpy(float)[rows],
        xy=run.xy[rows],
        spacing_m=request.spacing_m,
        k=request.k,
        places=None if places is None else np.nan_to_num(places[rows]),
        places_needed=request.places_needed,
        zone=None if zone_codes is None else zone_codes[rows],
        per_zone=request.per_zone,
        include=tuple(position[i] for i in request.include),
        names=tuple(ids[rows]),
        zone_names=None if zone_names is None else tuple(zone_names),
    )
    return problem, rows, places


def _fails(run, cid: str) -> str:
    row = run.candidates.loc[run.ids == cid]
    return str(row["fails"].iloc[0]) if "fails" in row else "see candidates.csv"


def _places(run, request: Request) -> np.ndarray | None:
    column = request.places_column or PLACES_COLUMN
    if column in run.candidates:
        return np.asarray(pd.to_numeric(run.candidates[column], errors="coerce"), float)
    if request.places_needed is not None:
        if request.places_column:
            raise SelectionError(
                f"the run has no column {request.places_column!r} (--places-column); name a "
                "numeric column of its candidates.csv"
            )
        raise SelectionError(
            f"--places needs the places per candidate, but the run has no {PLACES_COLUMN} "
            "column; give --places-column COL (a column of its candidates.csv), or use --k"
        )
    return None


def zone_codes_for(run, zones) -> tuple[np.ndarray, list[str]]:
    """Per candidate the position of the (first) zone polygon holding its point, or -1."""
    zones = to_crs(zones, run.crs)
    points = shapely.points(run.xy[:, 0], run.xy[:, 1])
    tree = shapely.STRtree(zones.geometry.values)
    point_idx, zone_idx = tree.query(points, predicate="within")
    codes = np.full(len(points), -1, dtype=np.int64)
    first = np.unique(point_idx, return_index=True)[1]
    codes[point_idx[first]] = zone_idx[first]
    return codes, zones["zone"].astype(str).tolist()


def read_zones(path, column: str | None):
    """Zone polygons from a file (GeoPackage/GeoJSON/...), with a ``zone`` name column."""
    from geoschikt.errors import InputFileError
    from geoschikt.inputs import read_points_or_shapes

    frame = read_points_or_shapes(path, "zones")
    frame = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    if frame.empty:
        raise InputFileError(f"zones file {path} holds no polygons; give zone polygons")
    if column is not None and column not in frame:
        raise InputFileError(
            f"zones file {path} has no column {column!r} (--zone-column); it has "
            f"{', '.join(map(str, frame.columns.drop('geometry')))}"
        )
    if column is None:
        column = next((c for c in ("name", "naam", "statnaam", "buurtnaam") if c in frame), None)
    names = (
        frame[column].astype(str)
        if column
        else pd.Series([f"zone {i + 1}" for i in range(len(frame))], index=frame.index)
    )
    return frame.assign(zone=names.to_numpy()).reset_index(drop=True)


def selection_table(
    run, problem: Problem, rows: np.ndarray, sel: Selection, places
) -> pd.DataFrame:
    """selection.csv: one row per chosen site, ``order`` 1 = best suitability."""
    picked = rows[sel.chosen]
    cands = run.candidates.iloc[picked]
    table = pd.DataFrame(
        {
            "candidate_id": run.ids[picked],
            "order": np.arange(1, len(picked) + 1),
            "label": run.labels().to_numpy()[picked],
            "suitability": cands["suitability"].to_numpy(float),
            "places": places[picked] if places is not None else np.nan,
            "nearest_selected_m": np.round(nearest_other(run.xy[picked]), 1),
            "included": np.isin(sel.chosen, problem.include),
            "rank": run.rank[picked],
        }
    )
    if problem.zone is not None and problem.zone_names is not None:
        table["zone"] = [problem.zone_names[z] for z in problem.zone[sel.chosen]]
    if "region_id" in cands:
        table.insert(1, "region_id", cands["region_id"].to_numpy())
    return table
