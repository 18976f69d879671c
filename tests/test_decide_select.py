"""`geoschikt select`: the exact MILP against brute force on small SYNTHETIC instances, never
worse than greedy, and spacing / zones / include / exclude holding on the real Delft run."""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

from geoschikt.cli import cli
from geoschikt.decide.select import Problem, SelectionError, greedy, select
from tests.conftest import assert_one_clear_error


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


def instance(seed: int, n: int = 13, zones: int | None = None, places: bool = False, **kw):
    """SYNTHETIC: n points in a 2 km square, suitability in steps of 0.1 (ties happen)."""
    rng = np.random.default_rng(seed)
    return Problem(
        suitability=np.round(rng.uniform(40, 90, n), 0),
        xy=rng.uniform(0, 2000, (n, 2)),
        zone=rng.integers(0, zones, n) if zones else None,
        places=rng.integers(5, 40, n).astype(float) if places else None,
        **kw,
    )


def feasible(p: Problem, chosen) -> bool:
    chosen = list(chosen)
    for a, b in itertools.combinations(chosen, 2):
        if np.hypot(*(p.xy[a] - p.xy[b])) < p.spacing_m:
            return False
    if p.per_zone is not None:
        _, counts = np.unique(p.zone[chosen], return_counts=True)
        if len(counts) and counts.max() > p.per_zone:
            return False
    if not set(p.include) <= set(chosen):
        return False
    return not (p.places_needed is not None and p.places[chosen].sum() < p.places_needed)


def brute_force(p: Problem):
    """Best (count, -suitability) over every subset: plain enumeration."""
    best = None
    sizes = [p.k] if p.k is not None else range(1, p.n + 1)
    for size in sizes:
        for combo in itertools.combinations(range(p.n), size):
            if feasible(p, combo):
                value = p.suitability[list(combo)].sum()
                if best is None or value > best[1] + 1e-9:
                    best = (size, value)
        if best is not None and p.k is None:
            return best  # the fewest sites first
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "kw",
    [
        {"k": 3, "spacing_m": 600.0},
        {"k": 4, "spacing_m": 450.0, "include": (0,)},
        {"k": 3, "spacing_m": 300.0, "per_zone": 1},
    ],
)
def test_k_sites_match_brute_force(seed, kw):
    p = instance(seed, zones=3 if "per_zone" in kw else None, **kw)
    truth = brute_force(p)
    if truth is None:
        with pytest.raises(SelectionError):
            select(p)
        return
    sel = select(p)
    assert feasible(p, sel.chosen) and len(sel.chosen) == p.k
    assert sel.suitability == pytest.approx(truth[1])
    assert sel.optimal
    base = greedy(p)
    if len(base) == p.k and feasible(p, base):
        assert sel.suitability >= p.suitability[base].sum() - 1e-9


@pytest.mark.parametrize("seed", range(5))
def test_places_fewest_sites_then_suitability(seed):
    p = instance(seed, n=12, places=True, spacing_m=400.0, places_needed=70.0)
    truth = brute_force(p)
    sel = select(p)
    assert feasible(p, sel.chosen)
    assert (len(sel.chosen), sel.suitability) == (truth[0], pytest.approx(truth[1]))


@pytest.mark.parametrize("seed", range(3))
def test_pool_answer_is_proven_for_all_candidates(seed):
    """A pool of 3 of 40 candidates must grow (or be certified) to the global optimum."""
    p = instance(seed, n=40, k=4, spacing_m=500.0)
    truth = brute_force(p)
    sel = select(p, pool=3)
    assert sel.suitability == pytest.approx(truth[1])
    assert feasible(p, sel.chosen)


def test_greedy_can_be_beaten_but_never_wins():
    """SYNTHETIC: the best site blocks two good ones; greedy takes it, the MILP does not."""
    xy = np.array([[0, 0], [-300, 0], [300, 0], [5000, 0]], float)
    p = Problem(np.array([90.0, 80, 80, 10]), xy, 400.0, k=3)
    assert p.suitability[greedy(p)].sum() == 90 + 10 + 0 or len(greedy(p)) < 3
    sel = select(p)
    assert sorted(sel.chosen.tolist()) == [1, 2, 3]
    assert sel.suitability == 170


# --- the command on the real Delft run --------------------------------------------------------

GEOD = Geod(ellps="WGS84")


def geodesic_pairs(table: pd.DataFrame, cands: pd.DataFrame) -> np.ndarray:
    pts = cands.set_index("candidate_id").loc[table["candidate_id"], ["lon", "lat"]].to_numpy()
    out = []
    for a, b in itertools.combinations(range(len(pts)), 2):
        out.append(GEOD.inv(pts[a, 0], pts[a, 1], pts[b, 0], pts[b, 1])[2])
    return np.asarray(out)


@pytest.fixture(scope="module")
def delft_csv(delft_run_dir):
    return pd.read_csv(delft_run_dir / "candidates.csv")


def test_delft_selection(delft_run_dir, delft_csv, tmp_path):
    out = tmp_path / "sel"
    best = delft_csv.sort_values("rank")
    include = best["candidate_id"].iloc[0]
    exclude = best["candidate_id"].iloc[1:6].tolist()
    args = ["select", delft_run_dir, "--k", 5, "--min-spacing-m", 300, "--include", include]
    for e in exclude:
        args += ["--exclude", e]
    result = invoke(*args, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "selection.csv")
    assert len(table) == 5 and include in set(table["candidate_id"])
    assert not set(exclude) & set(table["candidate_id"])
    passing = delft_csv.set_index("candidate_id").loc[table["candidate_id"], "passes"]
    assert passing.all()
    # spacing in metres on the ellipsoid (pyproj), independent of the run's projected CRS
    assert geodesic_pairs(table, delft_csv).min() >= 300 * (1 - 1e-3)
    assert list(table["order"]) == [1, 2, 3, 4, 5]
    assert (table["suitability"].diff().dropna() <= 0).all()
    record = json.loads((out / "selection.json").read_text())
    assert record["proven_optimal"] and record["optimality_gap"] == 0
    assert record["suitability_sum"] >= (record["greedy_suitability_sum"] or 0) - 1e-9
    assert '"highlight"' in (out / "map.html").read_text()
    gpkg = gpd.read_file(out / "selection.gpkg")
    assert len(gpkg) == 5 and gpkg.crs is not None


def test_delft_zones_per_zone(delft_run_dir, delft_csv, tmp_path):
    """SYNTHETIC zones: the four quadrants around the Delft candidates, at most one site each."""
    lon, lat = delft_csv["lon"], delft_csv["lat"]
    x0, x1, y0, y1 = lon.min() - 0.01, lon.max() + 0.01, lat.min() - 0.01, lat.max() + 0.01
    xm, ym = lon.median(), lat.median()
    boxes = [
        shapely.box(*b)
        for b in [(x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)]
    ]
    zones = gpd.GeoDataFrame({"name": ["SW", "SE", "NW", "NE"]}, geometry=boxes, crs=4326)
    path = tmp_path / "zones.geojson"
    zones.to_file(path)
    out = tmp_path / "sel"
    result = invoke(
        "select",
        delft_run_dir,
        "--k",
        4,
        "--min-spacing-m",
        100,
        "--zones",
        path,
        "--per-zone",
        1,
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "selection.csv")
    assert sorted(table["zone"]) == ["NE", "NW", "SE", "SW"]
    pts = gpd.points_from_xy(
        *delft_csv.set_index("candidate_id").loc[table["candidate_id"], ["lon", "lat"]].to_numpy().T
    )
    for zone, pt in zip(table["zone"], pts, strict=True):
        assert zones.set_index("name").loc[zone, "geometry"].contains(pt)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--k", 5000, "--min-spacing-m", 0], "only {passing} candidates pass"),
        (["--k", 30, "--min-spacing-m", 500], "sites can be --min-spacing-m 500 apart, fewer than"),
        (
            ["--places", 100, "--places-column", "no_such", "--min-spacing-m", 0],
            "the run has no column 'no_such'",
        ),
        (["--k", 3, "--include", "way/0"], "is not a candidate of this run"),
        (["--k", 3, "--places", 10], "give either"),
    ],
)
def test_infeasible_or_bad_requests(delft_run_dir, delft_csv, tmp_path, extra, fragment):
    out = tmp_path / "sel"
    fragment = fragment.format(passing=int(delft_csv["passes"].sum()))
    assert_one_clear_error(invoke("select", delft_run_dir, *extra, "--out", out), fragment, out=out)


def test_delft_places_from_places_est(delft_run_dir, delft_csv, tmp_path):
    """Runs carry places_est now: --places uses it; the chosen sites' places, summed from the
    run's own candidates.csv (not from the selection output), reach the places asked for."""
    out = tmp_path / "sel"
    result = invoke("select", delft_run_dir, "--places", 100, "--min-spacing-m", 0, "--out", out)
    assert result.exit_code == 0, result.output
    chosen = pd.read_csv(out / "selection.csv")["candidate_id"]
    rows = delft_csv.set_index("candidate_id").loc[chosen]
    assert rows["passes"].all()
    assert rows["places_est"].sum() >= 100


def test_included_sites_too_close(delft_run_dir, delft_csv, tmp_path):
    out = tmp_path / "sel"
    a = delft_csv[delft_csv["passes"]].iloc[0]
    d = np.hypot(delft_csv["lon"] - a["lon"], (delft_csv["lat"] - a["lat"]) * 1.6)
    b = (
        delft_csv[delft_csv["passes"] & (delft_csv["candidate_id"] != a["candidate_id"])]
        .loc[lambda f: d[f.index].sort_values().index[:1]]["candidate_id"]
        .iloc[0]
    )
    result = invoke(
        "select",
        delft_run_dir,
        "--k",
        3,
        "--min-spacing-m",
        2000,
        "--include",
        a["candidate_id"],
        "--include",
        b,
        "--out",
        out,
    )
    assert_one_clear_error(
        result, "included sites", "apart, less than --min-spacing-m 2000", out=out
    )


def test_zones_must_cover_the_candidates(delft_run_dir, delft_csv, tmp_path):
    lon, lat = delft_csv["lon"], delft_csv["lat"]
    half = gpd.GeoDataFrame(
        {"name": ["west"]},
        crs=4326,
        geometry=[shapely.box(lon.min() - 0.01, lat.min() - 0.01, lon.median(), lat.max() + 0.01)],
    )
    path = tmp_path / "zones.geojson"
    half.to_file(path)
    out = tmp_path / "sel"
    result = invoke(
        "select", delft_run_dir, "--k", 2, "--zones", path, "--per-zone", 1, "--out", out
    )
    assert_one_clear_error(result, "lie in no zone", out=out)


def test_failing_include_is_refused(delft_run_dir, delft_csv, tmp_path):
    failing = delft_csv[~delft_csv["passes"]]["candidate_id"].iloc[0]
    out = tmp_path / "sel"
    result = invoke("select", delft_run_dir, "--k", 2, "--include", failing, "--out", out)
    assert_one_clear_error(result, "fails a hard limit", out=out)


def test_places_through_a_column(delft_run_dir, delft_csv, tmp_path):
    """--places with --places-column (footprint area as a stand-in for places): the fewest
    sites whose values add up; fewer than 4 cannot, since the 3 largest passing fall short."""
    passing = delft_csv[delft_csv["passes"]]
    need = float(passing["area_m2"].nlargest(3).sum()) + 1
    out = tmp_path / "sel"
    result = invoke(
        "select",
        delft_run_dir,
        "--places",
        need,
        "--places-column",
        "area_m2",
        "--min-spacing-m",
        200,
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "selection.csv")
    assert table["places"].sum() >= need and len(table) >= 4
    assert geodesic_pairs(table, delft_csv).min() >= 200 * (1 - 1e-3)
