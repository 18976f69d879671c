"""The Python interface: its docstring examples run as doctests on the bundled Delft extract,
the README's "From Python" example runs, and data given as GeoDataFrames scores like files."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import geoschikt
from geoschikt import api, datasets

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize(
    "module", [pytest.param(api, marks=pytest.mark.slow), datasets, geoschikt]
)  # api: five full runs
def test_docstring_examples_run(module):
    outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert outcome.failed == 0


@pytest.mark.slow  # scores and writes the README example in full
def test_readme_from_python_example_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert blocks, "README has no python example under 'From Python'"
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "delft-python" / "run.json").is_file()


def test_public_names():
    for name in ("score", "read_osm", "write_outputs", "rescore", "load_config", "example_osm"):
        assert callable(getattr(geoschikt, name)), name
        assert name in geoschikt.__all__


@pytest.mark.slow  # two full runs compared
def test_frames_score_like_files(tmp_path):
    osm = geoschikt.read_osm(geoschikt.example_osm())
    sites = gpd.GeoDataFrame(
        {"site": ["s1", "s2", "s3"], "naam": ["A", "B", "C"]},
        geometry=[
            shapely.Point(84803, 446118),
            shapely.Point(85632, 446440),
            shapely.Point(85200, 446300),
        ],
        crs="EPSG:28992",
    )
    path = tmp_path / "sites.gpkg"
    sites.to_file(path)
    from_frame = geoschikt.score(osm, candidates=sites, id_column="site")
    from_file = geoschikt.score(osm, candidates=path, id_column="site")
    a = from_frame.candidates.set_index("candidate_id").sort_index()
    b = from_file.candidates.set_index("candidate_id").sort_index()
    for col in [c for c in a.columns if c.startswith(("dist_", "score_"))] + ["suitability"]:
        np.testing.assert_allclose(a[col], b[col], equal_nan=True)
    record = next(r for r in from_frame.provenance["inputs"] if r["role"] == "candidates")
    assert record["path"] == "<GeoDataFrame>" and len(record["sha256"]) == 64
    # an area given as a GeoDataFrame limits the candidates to it
    box = gpd.GeoDataFrame(geometry=[shapely.box(84700, 446000, 85000, 446300)], crs=28992)
    inside = geoschikt.score(osm, candidates=sites, id_column="site", area=box)
    assert list(inside.candidates["candidate_id"]) == ["s1"]


def test_frames_are_checked_like_files():
    sites = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.Point(85000, 446200)])
    with pytest.raises(geoschikt.GeoschiktError, match="no CRS"):
        geoschikt.score(geoschikt.example_osm(), candidates=sites)
    wrong = sites.set_crs(4326)  # metres declared as degrees
    with pytest.raises(geoschikt.GeoschiktError, match="look like metres"):
        geoschikt.score(geoschikt.example_osm(), candidates=wrong)
