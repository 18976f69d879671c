"""The suitability surface (GeoTIFF) and rasters as extra criteria."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from geoschikt.cli import cli
from geoschikt.config import load_config
from geoschikt.errors import InputFileError
from geoschikt.pipeline import score_area
from geoschikt.scoring import decay


@pytest.fixture(scope="module")
def delft_run(delft_pbf, tmp_path_factory):
    """Houses included on purpose: many small buildings, each close to its cell's centre."""
    out = tmp_path_factory.mktemp("surface") / "out"
    homes = out.parent / "homes.toml"
    homes.write_text('[candidates]\nbuilding_types = ["yes", "house", "apartments", "office"]\n')
    res = CliRunner().invoke(
        cli, ["-q", "score", "--osm", str(delft_pbf), "--config", str(homes), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "Private homes shown" in res.output  # the CLI says so when dwellings are candidates
    return out


def test_geotiff_bands_crs_and_transform_read_back(delft_run, config):
    with rasterio.open(delft_run / "suitability.tif") as src:
        assert src.crs.to_epsg() == 28992  # Dutch data: RD New
        assert src.res == (config.surface_m, config.surface_m)
        assert src.transform.c % config.surface_m == 0 and src.transform.f % config.surface_m == 0
        assert src.nodata == -9999
        # one band per assessed criterion, then the total; no pharmacy in the extract (not
        # assessed: no band), no reception data (not assessed)
        assert src.descriptions[:5] == (
            "score_transit",
            "score_school",
            "score_supermarket",
            "score_gp",
            "score_water",
        )
        assert src.descriptions[-1] == "suitability"
        assert not {"score_pharmacy", "score_reception"} & set(src.descriptions)
        assert len(src.descriptions) > 6  # the further criteria (weight 0) have their bands
        data = src.read(masked=True)
        assert data.count() > 1000
        assert data.min() >= 0 and data.max() <= 100
        assert "OpenStreetMap" in src.tags()["ATTRIBUTION"]


def test_surface_values_at_candidates_match_their_scores(delft_run, config):
    """A cell's score is the score of its centre, at most half a cell diagonal from the
    building: the difference is bounded by the curve's slope times that distance (and by
    different snapping, which we allow for a few candidates)."""
    import pandas as pd

    table = pd.read_csv(delft_run / "candidates.csv")
    with rasterio.open(delft_run / "suitability.tif") as src:
        from pyproj import Transformer

        x, y = Transformer.from_crs(4326, 28992, always_xy=True).transform(
            table["lon"], table["lat"]
        )
        sampled = np.array(list(src.sample(zip(x, y, strict=True))), dtype=float)
        names = src.descriptions
    half_diag = config.surface_m * np.sqrt(2) / 2
    for key in ("transit", "school", "supermarket", "gp"):
        crit = config.criterion(key)
        raster = sampled[:, names.index(f"score_{key}")]
        ok = raster != -9999
        assert ok.mean() > 0.95
        diff = np.abs(raster[ok] - table[f"score_{key}"].to_numpy()[ok])
        steepest = (
            100.0 / (crit.far_m - crit.near_m) * (crit.steepness if crit.decay != "linear" else 1)
        )
        # a cell centre's path can differ by up to 2 x half a diagonal (there and along the edge)
        bound = steepest * 2 * half_diag + 0.1
        assert np.mean(diff <= bound) > 0.9, (key, np.percentile(diff, [50, 90, 99]))
        assert np.median(diff) < bound / 2


def make_raster(path, crs, bounds, values, nodata=None):
    left, bottom, right, top = bounds
    h, w = values.shape
    transform = rasterio.transform.Affine((right - left) / w, 0, left, 0, -(top - bottom) / h, top)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(values.astype("float32"), 1)
    return transform


@pytest.mark.slow  # its own full run
def test_raster_criterion_in_another_crs_is_sampled_at_candidates(delft_pbf, tmp_path):
    # a made-up "noise" raster in EPSG:4326 (not real noise data): value = 40 + 10 * column
    bounds = (4.35, 51.99, 4.40, 52.01)
    values = 40 + 10 * np.tile(np.arange(5, dtype=float), (4, 1))
    transform = make_raster(tmp_path / "noise.tif", "EPSG:4326", bounds, values)
    cfg_path = tmp_path / "cfg.toml"
    cfg_path.write_text(
        "[criteria.noise]\nsource = 'raster'\nraster = 'noise.tif'\nfull_at = 50\nzero_at = 70\n"
        "weight = 1\n"
    )
    cfg = load_config(cfg_path)
    res = score_area(delft_pbf, config=cfg)
    c = res.candidates
    cols = np.floor((c["lon"].to_numpy() - bounds[0]) / transform.a).astype(int)
    expected = 40 + 10 * cols
    np.testing.assert_allclose(c["value_noise"], expected)
    crit = cfg.criterion("noise")
    by_hand = 100 * np.clip(1 - (expected - 50) / 20, 0, 1)
    np.testing.assert_allclose(c["score_noise"], np.round(by_hand, 1))
    assert "dist_noise_m" not in c.columns
    assert crit.raster == tmp_path / "noise.tif"
    assert any(i["role"] == "raster (noise)" for i in res.provenance["inputs"])


@pytest.mark.slow  # its own full run
def test_raster_that_does_not_cover_the_area(delft_pbf, tmp_path):
    make_raster(tmp_path / "far.tif", "EPSG:28992", (0, 0, 1000, 1000), np.ones((10, 10)))
    cfg_path = tmp_path / "cfg.toml"
    cfg_path.write_text(
        "[criteria.noise]\nsource = 'raster'\nraster = 'far.tif'\nfull_at = 0\n"
        "zero_at = 1\nweight = 1\n"
    )
    with pytest.raises(InputFileError, match="does not cover the area"):
        score_area(delft_pbf, config=load_config(cfg_path))


@pytest.mark.slow  # its own full run
def test_raster_without_crs(delft_pbf, tmp_path):
    make_raster(tmp_path / "nocrs.tif", None, (0, 0, 1, 1), np.ones((2, 2)))
    cfg_path = tmp_path / "cfg.toml"
    cfg_path.write_text(
        "[criteria.noise]\nsource = 'raster'\nraster = 'nocrs.tif'\nfull_at = 0\n"
        "zero_at = 1\nweight = 1\n"
    )
    res = CliRunner().invoke(
        cli,
        ["score", "--osm", str(delft_pbf), "--config", str(cfg_path), "--out", str(tmp_path / "o")],
    )
    assert res.exit_code == 2 and "has no CRS; set it" in res.output


@pytest.mark.slow  # its own full run
def test_no_surface_when_resolution_is_zero(delft_pbf, tmp_path):
    cfg = load_config(overrides={"surface": {"resolution_m": 0}})
    assert score_area(delft_pbf, config=cfg).surface is None


def test_decay_slope_bound_is_sane(config):
    c = config.criterion("transit")
    d = np.array([300.0, 300.0 + 35.0])
    assert abs(np.diff(decay(d, c))[0]) <= 100 / (c.far_m - c.near_m) * 35 + 1e-9
