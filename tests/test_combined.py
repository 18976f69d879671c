"""The batch's combined GeoPackage, streamed region by region: CRS, geometry types and columns
that differ between regions (made-up shapes, to reach those cases)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from geoschikt.outputs.combined import common_geometry_type, write_region_layers
from geoschikt.outputs.write import write_layer


def test_regions_in_other_crs_types_and_columns_combine_into_one_layer(tmp_path):
    a = gpd.GeoDataFrame(
        {"candidate_id": ["a1", "a2"], "suitability": [80.5, 12.0], "name": ["x", None]},
        geometry=[
            shapely.box(85000, 446000, 85010, 446010),
            shapely.box(85100, 446100, 85120, 446130),
        ],
        crs=28992,
    )
    b_geom = shapely.MultiPolygon([shapely.box(4.36, 52.0, 4.3601, 52.0001)])
    b = gpd.GeoDataFrame(
        {"candidate_id": ["b1"], "suitability": [55.0]},  # no name column
        geometry=[b_geom],
        crs=4326,
    ).to_crs(32631)
    write_layer(a, tmp_path / "a.gpkg", "candidates")
    write_layer(b, tmp_path / "b.gpkg", "candidates")
    dest = tmp_path / "all.gpkg"
    rows = write_region_layers(
        [("A", "Alpha", tmp_path / "a.gpkg"), ("B", "Beta", tmp_path / "b.gpkg")], dest
    )
    assert rows == 3
    info = pyogrio.read_info(dest, layer="candidates")
    assert info["geometry_type"] == "MultiPolygon"
    out = gpd.read_file(dest, layer="candidates")
    assert out.crs.to_epsg() == 28992
    assert list(out.columns[:2]) == ["region_id", "region_name"]
    assert out["region_id"].tolist() == ["A", "A", "B"]
    assert out["name"].tolist()[:1] == ["x"] and out["name"].isna().tolist()[1:] == [True, True]
    np.testing.assert_allclose(out["suitability"], [80.5, 12.0, 55.0])
    back = gpd.GeoSeries([b_geom], crs=4326).to_crs(28992).iloc[0]
    assert shapely.equals_exact(out.geometry.iloc[2], back, tolerance=1e-6)
    assert shapely.equals_exact(
        out.geometry.iloc[0], shapely.MultiPolygon([a.geometry.iloc[0]]), tolerance=0
    )


def test_common_geometry_type():
    assert common_geometry_type(["Polygon"]) == "Polygon"
    assert common_geometry_type(["Polygon", "MultiPolygon"]) == "MultiPolygon"
    assert common_geometry_type(["Point", "Polygon"]) == "Unknown"
