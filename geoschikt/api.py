"""The Python interface: score an area, write its outputs, re-score a finished run.

These are the functions ``import geoschikt`` offers (``geoschikt.score``, ...). They take paths
or data already in memory, keep every option keyword-only, and return the same
:class:`~geoschikt.pipeline.ScoreResult` the command line writes.

Examples
--------
>>> import geoschikt
>>> result = geoschikt.score(geoschikt.example_osm())
>>> int(result.candidates["rank"].min())
1
>>> {"candidate_id", "suitability", "passes", "rank"} <= set(result.candidates.columns)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd

from geoschikt.acquire import OsmData
from geoschikt.config import Config, load_config
from geoschikt.datasets import example_osm
from geoschikt.features import area_frame
from geoschikt.geo import WGS84, to_crs
from geoschikt.pipeline import ScoreResult, Timings, load_osm, score_osm

__all__ = ["as_config", "example_osm", "read_osm", "rescore", "score", "write_outputs"]

ConfigLike = Config | str | Path | Mapping[str, Any] | None


def as_config(config: ConfigLike) -> Config:
    """A :class:`Config` from a Config, a TOML path, a nested mapping laid over the defaults,
    or None (the defaults).

    Examples
    --------
    >>> as_config({"criteria": {"school": {"weight": 5}}}).criterion("school").weight
    5.0
    """
    if isinstance(config, Config):
        return config
    if config is None:
        return load_config()
    if isinstance(config, Mapping):
        return load_config(overrides=config)
    return load_config(config)


def read_osm(path: str | Path, *, config: ConfigLike = None) -> OsmData:
    """Read what the configured criteria need from an OSM file once, to score it many times.

    Parameters
    ----------
    path
        ``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz``.
    config
        The configuration whose criteria decide which features are kept.

    Examples
    --------
    >>> osm = read_osm(example_osm())
    >>> len(osm.buildings) > 100
    True
    """
    return load_osm(path, as_config(config))


def score(
    osm: str | Path | OsmData,
    *,
    config: ConfigLike = None,
    area: str | Path | gpd.GeoDataFrame | None = None,
    area_name: str | None = None,
    admin_level: str | None = None,
    candidates: str | Path | gpd.GeoDataFrame | None = None,
    id_column: str | None = None,
    reception: str | Path | gpd.GeoDataFrame | None = None,
    balance: str | Path | None = None,
    csv_crs: str | None = None,
) -> ScoreResult:
    """Score every candidate of an area, as ``geoschikt score`` does.

    Parameters
    ----------
    osm
        An OSM file, or data read once with :func:`read_osm`.
    config
        A :class:`Config`, a TOML file, a nested mapping of changes to the defaults, or None.
    area
        Polygons to score inside (a file or a GeoDataFrame with a CRS); or ``area_name`` (an
        administrative boundary in the OSM data, with ``admin_level``); default: the data's
        extent.
    candidates
        Your own sites (a file or a GeoDataFrame with a CRS; their columns are kept), with
        their ids in ``id_column``; default: the OSM buildings fit for reception.
    reception
        Existing reception locations with a ``capacity`` column (file or GeoDataFrame).
    balance
        A ``balance.gpkg`` from ``geoschikt balance``, shown on the map.
    csv_crs
        CRS of x/y columns in CSV inputs (EPSG:28992 by default).

    Returns
    -------
    ScoreResult
        ``candidates`` (one row per site with distances, scores, ``suitability``, ``passes``,
        ``rank``), ``pois``, ``area``, ``provenance`` and the rest; write it with
        :func:`write_outputs`.

    Examples
    --------
    >>> result = score(example_osm(), config={"criteria": {"school": {"weight": 4}}})
    >>> result.config.criterion("school").weight
    4.0
    >>> top = result.top(3)
    >>> list(top["rank"]) == sorted(top["rank"])
    True

    Your own sites, as a GeoDataFrame in RD New:

    >>> import geopandas as gpd, shapely
    >>> sites = gpd.GeoDataFrame(
    ...     {"id": ["A", "B"], "naam": ["Oude school", "Kantoor"]},
    ...     geometry=[shapely.Point(84803, 446118), shapely.Point(85632, 446440)],
    ...     crs="EPSG:28992",
    ... )
    >>> own = score(example_osm(), candidates=sites)
    >>> sorted(own.candidates["candidate_id"])
    ['A', 'B']
    >>> list(own.candidates.sort_values("candidate_id")["name"])
    ['Oude school', 'Kantoor']
    """
    cfg = as_config(config)
    timings = Timings()
    if not isinstance(osm, OsmData):
        with timings.stage("reading OSM data"):
            osm = load_osm(osm, cfg)
    area_polygon, area_file = None, None
    if isinstance(area, gpd.GeoDataFrame):
        from geoschikt.inputs import checked_frame

        polygons = checked_frame(area, "area")
        area_polygon = area_frame(
            to_crs(polygons, WGS84).geometry.union_all(), "area (GeoDataFrame)", "GeoDataFrame"
        )
    elif area is not None:
        area_file = area
    own = candidates if isinstance(candidates, gpd.GeoDataFrame) else None
    sites = reception if isinstance(reception, gpd.GeoDataFrame) else None
    return score_osm(
        osm,
        config=cfg,
        area=area_polygon,
        area_name=area_name,
        admin_level=admin_level,
        area_file=area_file,
        candidates_file=None if own is not None else candidates,
        candidates_frame=own,
        id_column=id_column,
        reception_file=None if sites is not None else reception,
        reception_frame=sites,
        balance_file=balance,
        csv_crs=csv_crs,
        timings=timings,
    )


def write_outputs(
    result: ScoreResult,
    out: str | Path,
    *,
    overwrite: bool = False,
    csv_dialect: str | None = None,
    xlsx: bool | None = None,
) -> Path:
    """Write a result's GeoPackage, CSV, map, surface, distances and ``run.json`` to ``out``,
    all at once (an existing ``out`` only with ``overwrite``).

    Examples
    --------
    >>> import tempfile
    >>> result = score(example_osm())
    >>> out = write_outputs(result, Path(tempfile.mkdtemp()) / "run")
    >>> sorted(p.name for p in out.iterdir())[:3]
    ['candidates.csv', 'candidates.gpkg', 'distances.npz']
    """
    from geoschikt.outputs.write import write_outputs as write

    return write(
        result,
        out,
        overwrite=overwrite,
        command="geoschikt.write_outputs (Python)",
        csv_dialect=csv_dialect,
        xlsx=xlsx,
    )


def rescore(
    run: str | Path,
    *,
    config: Mapping[str, Any] | str | Path | None = None,
    weights: Mapping[str, float] | None = None,
) -> ScoreResult:
    """Re-score a finished ``score`` run directory with new weights, curves or limits, without
    measuring again.

    Parameters
    ----------
    run
        The output directory of ``geoschikt score`` or :func:`write_outputs`.
    config
        Changes laid over the run's own configuration: a TOML file or a nested mapping.
    weights
        A shortcut for ``{"criteria": {key: {"weight": w}}}``.

    Examples
    --------
    >>> import tempfile
    >>> out = write_outputs(score(example_osm()), Path(tempfile.mkdtemp()) / "run")
    >>> again = rescore(out, weights={"transit": 0})
    >>> again.config.criterion("transit").weight
    0.0
    """
    from geoschikt.config import read_toml
    from geoschikt.rescoring import rescore_run, run_config

    changes: dict[str, Any] = {}
    if isinstance(config, Mapping):
        changes = {k: dict(v) if isinstance(v, Mapping) else v for k, v in config.items()}
    elif config is not None:
        changes = read_toml(Path(config))
    if weights:
        crit = changes.setdefault("criteria", {})
        for key, w in weights.items():
            crit.setdefault(key, {})["weight"] = w
    return rescore_run(run, run_config(run, options=changes))
