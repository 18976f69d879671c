"""The criteria the sources ask for beyond COA's five: features found, distances measured.

- Features: the POIs geoschikt selects equal an independent pass over the Delft file with a
  plain pyosmium handler and hand-written tag conditions (no geoschikt code).
- Walking distances: osmnx + networkx on the same network (tests/reference_network.py).
- Busy roads: brute-force point-to-segment distances in numpy over the ways read by pyosmium.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import osmium
import pyproj
import pytest

from geoschikt.config import load_config

from .reference_network import reference_walk_distances
from .test_distances import _points

NEW_WALKING = [
    "childcare",
    "secondary_school",
    "library_community",
    "sport",
    "playground",
    "green",
    "child_health",
    "language_school",
]


def _child_health_name(tags) -> bool:
    for key in ("name", "operator", "brand", "official_name"):
        text = (tags.get(key) or "").lower()
        words = set(re.split(r"[^a-z0-9]+", text))
        if words & {"ggd", "jgz", "cjg"}:
            return True
        squeezed = text.replace("-", "").replace(" ", "")
        if any(s in squeezed for s in ("consultatiebureau", "jeugdgezondheid", "ouderkind",
                                       "ouderenkind", "centrumvoorjeugd")):  # fmt: skip
            return True
    return False


INDEPENDENT = {
    "childcare": lambda t: t.get("amenity") in ("childcare", "kindergarten"),
    "secondary_school": lambda t: (
        t.get("amenity") == "school"
        and (t.get("school") == "secondary" or t.get("isced:level") in ("2", "3", "2;3", "2-3"))
    ),
    "library_community": lambda t: (
        t.get("amenity") in ("library", "community_centre", "social_centre")
    ),
    "sport": lambda t: (
        t.get("leisure")
        in ("sports_centre", "sports_hall", "pitch", "swimming_pool", "fitness_centre")
    ),
    "playground": lambda t: t.get("leisure") == "playground",
    "green": lambda t: (
        t.get("leisure") in ("park", "nature_reserve")
        or t.get("landuse") in ("recreation_ground", "village_green")
    ),
    "child_health": lambda t: (
        (
            ("healthcare" in t and t["healthcare"] != "no")
            or t.get("amenity") in ("clinic", "doctors", "social_facility", "community_centre")
            or t.get("office") in ("government", "association", "ngo", "healthcare")
        )
        and _child_health_name(t)
    ),
    "language_school": lambda t: t.get("amenity") in ("language_school", "college"),
}


@pytest.fixture(scope="module")
def tagged_objects(delft_pbf):
    """(osm_type, id) of every Delft object matching each criterion, by a plain pyosmium pass:
    nodes, ways, and multipolygon relations (areas)."""
    found: dict[str, set] = {k: set() for k in INDEPENDENT}
    for obj in osmium.FileProcessor(str(delft_pbf)):
        tags = {t.k: t.v for t in obj.tags}
        if not tags:
            continue
        if isinstance(obj, osmium.osm.Relation) and tags.get("type") != "multipolygon":
            continue
        kind = {osmium.osm.Node: "node", osmium.osm.Way: "way"}.get(type(obj), "relation")
        for key, test in INDEPENDENT.items():
            if test(tags):
                found[key].add((kind, obj.id))
    return found


@pytest.mark.parametrize("key", NEW_WALKING)
def test_features_found_are_those_tagged_in_the_data(delft_result, tagged_objects, key):
    pois = delft_result.pois[delft_result.pois["category"] == key]
    ours = set(zip(pois["osm_type"], pois["osm_id"].astype(int), strict=True))
    assert ours == tagged_objects[key]


def test_every_new_criterion_finds_something_in_delft(tagged_objects):
    """So that the distance checks below are not vacuous."""
    assert all(tagged_objects[k] for k in NEW_WALKING)


@pytest.mark.slow  # osmnx reads the Delft XML; networkx routes every candidate
@pytest.mark.parametrize("key", NEW_WALKING)
def test_delft_walking_distances_match_networkx(delft_result, delft_xml, key):
    res = delft_result
    crit = res.config.criterion(key)
    cands = res.candidates
    sources = _points(res.pois[res.pois["category"] == key])
    ref = reference_walk_distances(
        str(delft_xml), res.crs, cands[["lon", "lat"]].to_numpy(), sources, crit.walk_search_m
    )
    column = f"dist_{key}_walk_m" if crit.mode == "walk_or_bike" else f"dist_{key}_m"
    ours = cands[column].to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    assert np.isfinite(ours).sum() > 0.2 * len(ours)
    np.testing.assert_allclose(ours[np.isfinite(ours)], ref[np.isfinite(ref)], atol=0.06)


def test_busy_road_distance_is_the_nearest_road_segment(delft_result, delft_pbf):
    """Straight distance to motorway/trunk/primary *segments* (not nodes), brute force."""
    res = delft_result
    lines = []
    proc = osmium.FileProcessor(str(delft_pbf)).with_locations()
    for obj in proc:
        if isinstance(obj, osmium.osm.Way) and obj.tags.get("highway") in (
            "motorway",
            "trunk",
            "primary",
        ):
            lines.append([(n.lon, n.lat) for n in obj.nodes if n.location.valid()])
    assert len(lines) > 50
    to_m = pyproj.Transformer.from_crs("EPSG:4326", res.crs, always_xy=True)
    seg = []
    for line in lines:
        x, y = to_m.transform(*np.array(line).T)
        seg.append(np.column_stack([x[:-1], y[:-1], x[1:], y[1:]]))
    ax, ay, bx, by = np.concatenate(seg).T
    cands = res.candidates
    px, py = to_m.transform(cands["lon"].to_numpy(), cands["lat"].to_numpy())
    best = np.full(len(px), np.inf)
    dx, dy = bx - ax, by - ay
    len2 = np.where(dx * dx + dy * dy > 0, dx * dx + dy * dy, 1.0)
    for i in range(len(px)):  # every candidate against every segment
        t = np.clip(((px[i] - ax) * dx + (py[i] - ay) * dy) / len2, 0, 1)
        best[i] = np.hypot(px[i] - ax - t * dx, py[i] - ay - t * dy).min()
    reach = res.config.criterion("busy_road").reach_m
    ours = cands["dist_busy_road_m"].to_numpy(dtype=float)
    near = best <= reach
    assert near.sum() > 20 and (~near).sum() > 20  # both sides of the reach are tested
    edge = np.abs(best - reach) < 0.1  # lon/lat rounding of the points (~1 cm) at the edge
    np.testing.assert_array_equal(np.isfinite(ours)[~edge], near[~edge])
    ok = np.isfinite(ours) & near
    np.testing.assert_allclose(ours[ok], best[ok], atol=0.06)
    # score: 0 within near_m, 100 from far_m on ("away")
    score = cands["score_busy_road"].to_numpy()
    assert (score[np.isnan(ours)] == 100).all()
    assert (score[ours <= 50] == 0).all()
    assert cands.loc[ok, "nearest_busy_road"].str.startswith("highway=").all()


def test_names_pattern_finds_ggd_and_child_health_clinics():
    crit = load_config().criterion("child_health")
    yes = [
        {"healthcare": "centre", "name": "GGD Zuid Holland West"},
        {"amenity": "clinic", "name": "Consultatiebureau De Linde"},
        {"healthcare": "clinic", "operator": "Jeugdgezondheidszorg Utrecht"},
        {"office": "government", "name": "Ouder- en Kindcentrum Noord"},
        {"amenity": "social_facility", "name": "CJG Delft"},
    ]
    no = [
        {"healthcare": "centre", "name": "Gezondheidscentrum Tanthof"},
        {"amenity": "school", "name": "GGD school"},  # not a care/office tag
        {"healthcare": "doctor", "name": "Huisartsenpraktijk Biggdam"},  # 'ggd' inside a word
    ]
    assert all(crit.matches(t) for t in yes)
    assert not any(crit.matches(t) for t in no)


# ---- walk, else cycle; counts (residential share: test_residential_walk.py) ------------


def test_walk_or_bike_effective_distance_by_hand():
    from geoschikt.criteria import walk_or_bike

    crit = load_config(
        overrides={
            "criteria": {
                "school": {"mode": "walk_or_bike", "walk_reach_m": 1000, "bike_factor": 0.25}
            }
        }
    ).criterion("school")
    walk = np.array([400, 1000, 1500, 2000, np.inf, np.nan, 1200, np.nan, 9000])
    bike = np.array([300, 900, 1400, 3000, 2000, 2200, np.nan, np.nan, 9400])
    dist, by_bike = walk_or_bike(walk, bike, crit)
    # within walking reach walking counts, even when cycling would be shorter
    assert dist[0] == 400 and dist[1] == 1000 and not by_bike[:2].any()
    # beyond it: 1000 + 0.25 * (bike - 1000), unless walking is shorter still
    assert dist[2] == 1100 and by_bike[2]
    assert dist[3] == 1500 and by_bike[3]
    assert dist[4] == 1250 and dist[5] == 1300 and by_bike[4] and by_bike[5]
    assert dist[6] == 1200 and not by_bike[6]  # no cycling route: walking still counts
    assert np.isnan(dist[7])  # off both networks: unknown
    assert np.isinf(dist[8]) and not by_bike[8]  # 3100 > reach (far_m 3000): beyond reach
    assert crit.bike_reach_m == 1000 + (3000 - 1000) / 0.25


def bike_reference(net, osm_xml: str, cx, cy, fx, fy, reach: float) -> np.ndarray:
    """networkx over the arrays of a geoschikt network, the points snapped by the reference's
    own brute-force clear snapping (osmnx obstacles; candidates past other buildings and
    water, features past water) and its phase graph for destination-only ways (usable only
    at the start and end of a trip); multi-source Dijkstra from the features."""
    import networkx as nx

    from .reference_network import _insert_snaps, _obstacles, _phase_graph, snap_clear

    g = nx.Graph()
    for i, (x, y) in enumerate(zip(net.x, net.y, strict=True)):
        g.add_node(i, px=float(x), py=float(y))
    local = np.zeros(len(net.u), bool) if net.destination_only is None else net.destination_only
    for a, b, w, dest in zip(net.u, net.v, net.length, local, strict=True):
        g.add_edge(int(a), int(b), length=float(w), kind="local" if dest else "public")
    obstacles = _obstacles(str(Path(osm_xml).resolve()), str(net.crs))
    edges, c_idx, c_s, c_t = snap_clear(g, np.column_stack([cx, cy]), obstacles, buildings=True)
    _, f_idx, f_s, f_t = snap_clear(g, np.column_stack([fx, fy]), obstacles, buildings=False)
    snaps = [(("c", i), int(c_idx[i]), float(c_s[i]), float(c_t[i])) for i in range(len(cx))]
    snaps += [(("f", j), int(f_idx[j]), float(f_s[j]), float(f_t[j])) for j in range(len(fx))]
    d = _phase_graph(_insert_snaps(g, edges, snaps))  # destination-only ways: first/last only
    src = [(("f", j), 0) for j in range(len(fx)) if (("f", j), 0) in d]
    dist = nx.multi_source_dijkstra_path_length(d, src, cutoff=reach, weight="length")
    phases = [
        [dist[(("c", i), p)] for p in range(3) if (("c", i), p) in dist] for i in range(len(cx))
    ]
    return np.array([min(found) if found else np.nan for found in phases])


@pytest.fixture(scope="module")
def bike_result(delft_pbf):
    from geoschikt.pipeline import score_area

    cfg = load_config(
        overrides={
            "surface": {"resolution_m": 0},
            "criteria": {"language_school": {"mode": "walk_or_bike", "walk_reach_m": 800}},
        }
    )
    return score_area(delft_pbf, config=cfg)


@pytest.mark.slow  # osmnx reads the Delft XML; networkx routes every candidate
def test_walk_or_bike_on_delft_against_networkx(bike_result, delft_xml):
    """Both distances agree with networkx (walking: osmnx's own graph; cycling: networkx over
    geoschikt's bike network arrays with the reference's brute-force snapping clear of other
    buildings and water); the scored distance and mode follow the rule."""
    from geoschikt.network import build_network

    res = bike_result
    crit = res.config.criterion("language_school")
    cands = res.candidates
    key = "language_school"
    sources = _points(res.pois[res.pois["category"] == key])
    walk = cands[f"dist_{key}_walk_m"].to_numpy(dtype=float)
    bike = cands[f"dist_{key}_bike_m"].to_numpy(dtype=float)
    ref_walk = reference_walk_distances(
        str(delft_xml), res.crs, cands[["lon", "lat"]].to_numpy(), sources, crit.walk_search_m
    )
    np.testing.assert_array_equal(np.isnan(walk), np.isnan(ref_walk))
    np.testing.assert_allclose(walk[np.isfinite(walk)], ref_walk[np.isfinite(walk)], atol=0.06)

    from geoschikt.pipeline import load_osm

    net = build_network(load_osm(res.provenance["inputs"][0]["path"], res.config).ways, "bike",
                        res.crs, res.config.network)  # fmt: skip
    sample = np.random.default_rng(5).choice(len(cands), 60, replace=False)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", res.crs, always_xy=True)
    cx, cy = to_m.transform(cands["lon"].to_numpy()[sample], cands["lat"].to_numpy()[sample])
    fx, fy = to_m.transform(sources[:, 0], sources[:, 1])
    ref_bike = bike_reference(net, str(delft_xml), cx, cy, fx, fy, crit.bike_reach_m)
    np.testing.assert_allclose(bike[sample], ref_bike, atol=0.06)

    dist = cands[f"dist_{key}_m"].to_numpy(dtype=float)
    mode = cands[f"mode_{key}"].to_numpy()
    by_walk, by_bike = mode == "walk", mode == "bike"
    assert by_walk.sum() > 20 and by_bike.sum() > 20  # both modes occur on Delft
    np.testing.assert_allclose(dist[by_walk], walk[by_walk], atol=0.06)
    expect = 800 + np.maximum(bike - 800, 0) / 3
    np.testing.assert_allclose(dist[by_bike], expect[by_bike], atol=0.1)
    assert (walk[by_bike] > 800).all()
    assert (expect[by_bike] < walk[by_bike] + 0.1).all()


def test_count_of_facility_kinds_within_a_walking_distance(delft_result):
    """The count equals, per candidate, the kinds whose (networkx-checked) nearest walking
    distance is within 1 km."""
    res = delft_result
    crit = res.config.criterion("daily_facilities")
    cands = res.candidates
    expect = np.zeros(len(cands))
    for key in crit.of:
        d = cands[f"dist_{key}_m"].to_numpy(dtype=float)
        expect += np.nan_to_num(d, nan=np.inf) <= crit.within_m
    got = cands["value_daily_facilities"].to_numpy()
    np.testing.assert_array_equal(got, expect)
    assert len(set(got)) >= 3  # not all the same
    np.testing.assert_allclose(
        cands["score_daily_facilities"], np.round(100 * np.minimum(expect / 5, 1), 1)
    )
