"""The criteria the sources ask for beyond COA's five: features found, distances measured.

- Features: the POIs geoschikt selects equal an independent pass over the Delft file with a
  plain pyosmium handler and hand-written tag conditions (no geoschikt code).
- Walking distances: osmnx + networkx on the same network (tests/reference_network.py).
- Busy roads: brute-force point-to-segment distances in numpy over the ways read by pyosmium.
"""

from __future__ import annotations

import re

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


@pytest.mark.parametrize("key", NEW_WALKING)
def test_delft_walking_distances_match_networkx(delft_result, delft_xml, key):
    res = delft_result
    crit = res.config.criterion(key)
    cands = res.candidates
    sources = _points(res.pois[res.pois["category"] == key])
    ref = reference_walk_distances(
        str(delft_xml), res.crs, cands[["lon", "lat"]].to_numpy(), sources, crit.reach_m
    )
    ours = cands[f"dist_{key}_m"].to_numpy(dtype=float)
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
    assert near.sum() > 50 and (~near).sum() > 50
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
