"""The user's own columns in the map panel: `naam` is the name, `[map] columns` (by default
omschrijving/description/...) are shown under their own names, text left out when blurred."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

import geoschikt
from geoschikt.outputs.webmap import MapOptions, map_data


def _result(config=None):
    sites = gpd.GeoDataFrame(
        {
            "id": ["A", "B"],
            "naam": ["Oude school", "Kantoor"],
            "Omschrijving": ["leeg sinds 2024", "=HYPERLINK(1)"],
            "eigenaar": ["gemeente", "privé"],
        },
        geometry=[shapely.Point(84803, 446118), shapely.Point(85632, 446440)],
        crs="EPSG:28992",
    )
    return geoschikt.score(geoschikt.example_osm(), candidates=sites, config=config)


def _panel(result, **over):
    options = MapOptions.from_config(result.config)
    if over:
        import dataclasses

        options = dataclasses.replace(options, **over)
    data = map_data(result, options)
    order = list(result.candidates.sort_values(["rank", "candidate_id"])["candidate_id"])
    return {e["label"]: dict(zip(order, e["v"], strict=True)) for e in data["extra"]}


@pytest.mark.slow  # its own full run
def test_default_columns_shown_under_their_own_names():
    result = _result()
    panel = _panel(result)
    assert panel == {"Omschrijving": {"A": "leeg sinds 2024", "B": "=HYPERLINK(1)"}}
    assert set(result.candidates["name"]) == {"Oude school", "Kantoor"}


@pytest.mark.slow  # its own full run
def test_configured_columns_and_blur():
    result = _result({"map": {"columns": ["eigenaar", "missing"]}})
    assert result.config.map.columns == ("eigenaar", "missing")
    assert _panel(result) == {"eigenaar": {"A": "gemeente", "B": "privé"}}
    assert _panel(result, blur_m=250.0) == {}  # text could identify a site: not when blurred
