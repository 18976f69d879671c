"""CSV files as Dutch Excel and Dutch GIS users write them: semicolons, decimal commas,
Windows-1252, RD New x/y. They must score the same sites as a plain lon/lat CSV.

The sites are real Delft candidates; their RD coordinates are computed here with pyproj
directly (not through geoschikt), and the files are written by hand in each dialect.
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from geoschikt.errors import CRSError, InputFileError
from geoschikt.inputs import read_candidates
from geoschikt.pipeline import score_area
from geoschikt.tables import sniff


@pytest.fixture(scope="module")
def sites(delft_result):
    """Eight real candidates of the Delft run (ids, lon, lat) and their RD New x/y."""
    cands = delft_result.candidates.sort_values("candidate_id").iloc[::100].head(8)
    lon, lat = cands["lon"].to_numpy(), cands["lat"].to_numpy()
    to_rd = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    x, y = to_rd.transform(lon, lat)
    return [
        (f"site-{i}", lo, la, xx, yy)
        for i, (lo, la, xx, yy) in enumerate(zip(lon, lat, x, y, strict=True))
    ]


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def _plain(tmp_path, sites):
    rows = "".join(f"{i},Café {i},{lo:.7f},{la:.7f}\n" for i, lo, la, _x, _y in sites)
    return _write(tmp_path / "plain.csv", "id,name,lon,lat\n" + rows)


def _dutch_excel(tmp_path, sites, encoding):
    # what "CSV (gescheiden door lijstscheidingsteken)" in Dutch Excel writes
    rows = "".join(
        f"{i};Café {i};{lo:.7f};{la:.7f}\r\n".replace(".", ",") for i, lo, la, _x, _y in sites
    )
    return _write(tmp_path / f"excel-{encoding}.csv", "id;naam;lon;lat\r\n" + rows, encoding)


def _rd(tmp_path, sites, header="x;y"):
    rows = "".join(f"{i};{x:.3f};{y:.3f}\n".replace(".", ",") for i, _lo, _la, x, y in sites)
    return _write(tmp_path / "rd.csv", f"id;{header}\n" + rows)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,c\n1,2.5,3\n", (",", ".")),
        ("a;b;c\n1;2,5;3\n", (";", ",")),
        ("a;b\nx, y;1\n", (";", ".")),
        ("a\tb\n1,5\t2\n", ("\t", ",")),
        ('naam,"x"\n"Kerk; oud",1.5\n', (",", ".")),
    ],
)
def test_sniff(text, expected):
    assert sniff(text) == expected


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_dutch_excel_csv_reads_like_the_plain_one(tmp_path, sites, encoding):
    plain = read_candidates(_plain(tmp_path, sites))
    excel = read_candidates(_dutch_excel(tmp_path, sites, encoding))
    assert list(excel["candidate_id"]) == list(plain["candidate_id"])
    assert list(excel["name"]) == [f"Café {i}" for i, *_ in sites]  # naam is the name
    np.testing.assert_allclose(excel.geometry.x, plain.geometry.x, atol=1e-9)
    np.testing.assert_allclose(excel.geometry.y, plain.geometry.y, atol=1e-9)


def test_rd_columns_and_crs_option(tmp_path, sites):
    rd = read_candidates(_rd(tmp_path, sites))
    lon = np.array([s[1] for s in sites])
    lat = np.array([s[2] for s in sites])
    # back in degrees within a few millimetres (the file has millimetres)
    np.testing.assert_allclose(rd.geometry.x, lon, atol=1e-7)
    np.testing.assert_allclose(rd.geometry.y, lat, atol=1e-7)
    utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    ux, uy = utm.transform(lon, lat)
    rows = "".join(f"{s[0]},{x:.3f},{y:.3f}\n" for s, x, y in zip(sites, ux, uy, strict=True))
    utm_file = _write(tmp_path / "utm.csv", "id,x,y\n" + rows)
    got = read_candidates(utm_file, csv_crs="EPSG:32631")
    np.testing.assert_allclose(got.geometry.x, lon, atol=1e-7)
    with pytest.raises(CRSError, match="area of use"):  # UTM metres read as RD New
        read_candidates(utm_file)
    with pytest.raises(CRSError, match="not a CRS"):
        read_candidates(utm_file, csv_crs="EPSG:nonsense")


def test_missing_coordinates_named(tmp_path):
    bad = _write(tmp_path / "bad.csv", "id;straat;huisnummer\n1;Mekelweg;8\n")
    with pytest.raises(InputFileError, match="no geometry.*'x' and 'y'"):
        read_candidates(bad)
    empty = _write(tmp_path / "empty.csv", "")
    with pytest.raises(InputFileError, match="empty"):
        read_candidates(empty)


@pytest.mark.slow  # three full Delft runs compared
def test_every_dialect_scores_the_same_sites(tmp_path, sites, delft_pbf, config):
    plain = score_area(delft_pbf, config=config, candidates_file=_plain(tmp_path, sites))
    for path in (_dutch_excel(tmp_path, sites, "cp1252"), _rd(tmp_path, sites)):
        other = score_area(delft_pbf, config=config, candidates_file=path)
        a = plain.candidates.set_index("candidate_id")
        b = other.candidates.set_index("candidate_id")
        assert list(a.index) == list(b.index)
        for col in [c for c in a.columns if c.startswith("dist_")]:
            np.testing.assert_allclose(b[col], a[col], atol=0.05, equal_nan=True)
        assert list(b["rank"]) == list(a["rank"])
