"""TOML configuration -> one validated, frozen Config.

Defaults come from ``config/default.toml`` (shipped inside the package as ``default.toml``); a user
file is laid over them key by key. Every problem is collected and reported at once.

Each setting is declared once, on the attribute it fills (``geoschikt.schema.setting``): kind,
default, bounds or choices, a one-line doc and whether changing it needs a new measurement. The
key lists, the checks, ``measurement_changes`` and docs/CONFIG.md are derived from them.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from geoschikt.curves import CURVES
from geoschikt.errors import ConfigError
from geoschikt.reception import KERNELS
from geoschikt.schema import (
    Hook,
    Setting,
    Values,
    converted,
    measured_by,
    read_table,
    regex_problem,
    setting,
    settings_of,
    unknown_key,
)

MODES = ("walk", "bike", "straight", "walk_or_bike")
DECAYS = tuple(CURVES)
DIRECTIONS = ("towards", "away")
SOURCES = ("osm", "reception", "raster", "osm_ways", "buildings")
LANGS = ("nl", "en")

CSV_DIALECTS = ("international", "nl")
# tags of a feature searched by a criterion's `names` pattern
NAME_TAGS = ("name", "operator", "brand", "official_name")
# way tags that an `osm_ways` criterion may select on (what the network reader keeps)
WAY_TAG_KEYS = ("highway", "foot", "bicycle", "access", "area", "service")
DEFAULT_RESIDENTIAL = (
    "house", "residential", "apartments", "detached", "semidetached_house", "terrace",
    "bungalow", "dormitory", "farm", "houseboat", "static_caravan",
)  # fmt: skip


@dataclass(frozen=True)
class MeasureKind:
    """A kind of measurement: the sources it works on and what the score is made of (the
    distance through the decay curve, or a value between ``full_at`` and ``zero_at``)."""

    name: str
    sources: tuple[str, ...]
    scored_on: str  # "distance" or "value"


MEASURE_KINDS: dict[str, MeasureKind] = {
    k.name: k
    for k in (
        MeasureKind("distance", ("osm", "reception", "osm_ways"), "distance"),
        MeasureKind("pressure", ("reception",), "value"),
        MeasureKind("raster", ("raster",), "value"),
        MeasureKind("count", ("osm",), "value"),  # kinds of facility within a distance
        MeasureKind("share", ("buildings",), "value"),  # residential share of buildings
    )
}
"""The one list of measurement kinds; a source's default kind is the first that takes it."""
MEASURES = tuple(MEASURE_KINDS)


def measures_for(source: str) -> tuple[str, ...]:
    """The measurement kinds that go with ``source`` (the first is the default)."""
    return tuple(k.name for k in MEASURE_KINDS.values() if source in k.sources)


def default_config_path() -> Path:
    """Path of the shipped default configuration."""
    packaged = resources.files("geoschikt").joinpath("default.toml")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "config" / "default.toml"


@dataclass(frozen=True)
class TagFilter:
    """OR of ``key=value`` rules (``None`` as value set means any value) and ``key~text``
    rules (the value contains ``text``, ignoring case; e.g. ``name~GGD``)."""

    rules: tuple[tuple[str, frozenset[str] | None], ...]
    contains: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, specs: tuple[str, ...] | list[str]) -> TagFilter:
        rules, contains = [], []
        for spec in specs:
            tilde, equals = spec.find("~"), spec.find("=")
            if tilde > 0 and (equals < 0 or tilde < equals):
                key, _, text = spec.partition("~")
                contains.append((key.strip(), text.strip().casefold()))
                continue
            key, _, values = spec.partition("=")
            vals = None if values in ("", "*") else frozenset(values.split("|"))
            rules.append((key.strip(), vals))
        return cls(tuple(rules), tuple(contains))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([k for k, _ in self.rules] + [k for k, _ in self.contains]))

    def match(self, tags: Mapping[str, str]) -> str | None:
        """The first rule that ``tags`` satisfy, as ``key=value``; else None."""
        for key, vals in self.rules:
            value = tags.get(key)
            if value is not None and value != "no" and (vals is None or value in vals):
                return f"{key}={value}"
        for key, text in self.contains:
            value = tags.get(key)
            if value is not None and text in value.casefold():
                return f"{key}={value}"
        return None


MAX_WEIGHT = 1e6  # weights are relative; this keeps weight x score far from overflow
MAX_DISTANCE_M = 100_000.0  # 100 km: far beyond any walk/cycle reach, and a bound on region buffers

_DISTANCE_SCORED = tuple(k.name for k in MEASURE_KINDS.values() if k.scored_on == "distance")
_VALUE_SCORED = tuple(k.name for k in MEASURE_KINDS.values() if k.scored_on == "value")
_STRAIGHT_ONLY = ("raster", "osm_ways")  # sources measured in a straight line
_QUOTED = "{name} = {value!r}; allowed: {quoted}"
_DISTANCE = {"unit": "m", "positive": True, "maximum": MAX_DISTANCE_M}


def _default_measure(values: Values) -> str | None:
    allowed = measures_for(str(values["source"]))
    return allowed[0] if allowed else None


def _default_steepness(values: Values) -> float | None:
    curve = CURVES.get(str(values["decay"]))
    return None if curve is None else curve.default_steepness


def _keyless(name: str, rules: list[str]) -> str | None:
    if any(t.startswith(("=", "~")) for t in rules):
        return f"{name} has a rule without a key: {rules}"
    return None


def _names_problem(name: str, value: Any) -> str | None:
    return None if value is None else regex_problem(name, value)


@dataclass(frozen=True, kw_only=True)
class Criterion:
    """One criterion: which features, how distance is measured and how it becomes a score.

    Each attribute but ``key`` is a ``[criteria.<key>]`` setting declared here once (see
    geoschikt.schema); ``tags``/``exclude``/``require`` hold the parsed filters.
    """

    key: str
    label_nl: str = setting(
        "label", "name on maps and in tables (Dutch)", derive=lambda v: v["key"],
        default_doc="the criterion's key",
    )  # fmt: skip
    label_en: str = setting(
        "label", "name on maps and in tables (English)", derive=lambda v: v["key"],
        default_doc="the criterion's key",
    )  # fmt: skip
    source: str = setting(
        "choice", "osm: OSM features; reception: reception sites (file + OSM); raster: a "
        "GeoTIFF; osm_ways: OSM ways; buildings: the OSM buildings around",
        "osm", choices=SOURCES, remeasure=True,
    )  # fmt: skip
    measure: str = setting(
        "choice", "what is measured: the distance, reception pressure, a raster value, a count "
        "of kinds of facility or the residential share", "distance", choices=MEASURES,
        derive=_default_measure, default_doc="the first kind that goes with source",
        remeasure=True,
    )  # fmt: skip
    mode: str = setting(
        "choice", "walk or bike over the network, straight line, or walk_or_bike (walking up to "
        "walk_reach_m, cycling beyond)", "walk", choices=MODES, remeasure=True,
        derive=lambda v: "straight" if v["source"] in _STRAIGHT_ONLY else "walk",
        default_doc="walk; straight for raster, osm_ways and buildings",
    )  # fmt: skip
    distance_to: str = setting(
        "choice", "a point on the feature or its outline (straight mode only)", "point",
        choices=("point", "outline"), remeasure=True,
    )  # fmt: skip
    direction: str = setting(
        "choice", "towards: closer is better; away: farther is better", "towards",
        choices=DIRECTIONS,
    )  # fmt: skip
    decay: str = setting("choice", "the curve between near_m and far_m", "linear", choices=DECAYS)
    near_m: float | None = setting(
        "number", "towards: full score up to this distance; away: score 0 up to it",
        unit="m", minimum=0, maximum=MAX_DISTANCE_M, required=True,
        only=("measure", _DISTANCE_SCORED),
    )  # fmt: skip
    far_m: float | None = setting(
        "number", "towards: score 0 from this distance on; away: full score from it",
        required=True, only=("measure", _DISTANCE_SCORED), reach=True, **_DISTANCE,
    )  # fmt: skip
    full_at: float | None = setting(
        "number", "value-scored kinds: the value with full score", required=True,
        only=("measure", _VALUE_SCORED),
    )  # fmt: skip
    zero_at: float | None = setting(
        "number", "value-scored kinds: the value with score 0", required=True,
        only=("measure", _VALUE_SCORED),
    )  # fmt: skip
    weight: float = setting(
        "number", "weight in the total (0: shown, not counted)", minimum=0, maximum=MAX_WEIGHT,
        required=True,
    )  # fmt: skip
    steepness: float = setting(
        "number", "shape of the exponential/logistic curve (ignored for linear)", positive=True,
        derive=_default_steepness, default_doc="the curve's own default",
    )  # fmt: skip
    max_m: float | None = setting(
        "number", "hard limit: the nearest feature must be within this distance", reach=True,
        **_DISTANCE,
    )  # fmt: skip
    min_m: float | None = setting(
        "number", "hard limit: the nearest feature must be at least this far", reach=True,
        **_DISTANCE,
    )  # fmt: skip
    kernel: str = setting(
        "choice", "pressure: the kernel weighing reception sites by distance", "gaussian",
        choices=KERNELS, remeasure=True, when=("measure", ("pressure",)),
    )  # fmt: skip
    bandwidth_m: float = setting(
        "number", "pressure: the kernel's bandwidth", 1000.0, remeasure=True,
        when=("measure", ("pressure",)), **_DISTANCE,
    )  # fmt: skip
    cutoff_m: float = setting(
        "number", "pressure: sites farther than this are not counted",
        derive=lambda v: 3 * (v["bandwidth_m"] or 1000.0), default_doc="3 x bandwidth_m",
        remeasure=True, when=("measure", ("pressure",)), **_DISTANCE,
    )  # fmt: skip
    within_m: float = setting(
        "number", "pressure, count, share: the radius looked at", 2000.0, remeasure=True,
        when=("measure", ("pressure", "share")), reach=True, **_DISTANCE,
    )  # fmt: skip
    min_capacity: float = setting(
        "number", "pressure: reception sites counted for the nearest-site distance (capacity)",
        0.0, minimum=0, remeasure=True, when=("measure", ("pressure",)),
    )  # fmt: skip
    search_m: float | None = setting(
        "number", "measure at least this far (for another profile or a later rescore)",
        unit="m", positive=True, reach=True,
    )  # fmt: skip
    band: int = setting(
        "whole", "raster: the band read", 1, minimum=1, remeasure=True,
        when=("measure", ("raster",)),
        message="{name} = {value!r} must be a band number (1 or more)",
    )  # fmt: skip
    raster: Path | None = setting(
        "path", "raster: the GeoTIFF file (relative to the config file)",
        only=("source", ("raster",)), remeasure=True, when=("measure", ("raster",)),
        message="{name} must be the path of a raster file (GeoTIFF)",
    )  # fmt: skip
    tags: TagFilter = setting(
        "rules", "OSM tag filter: key=value, key=v1|v2, key=* or key~text; any match counts",
        (), check=_keyless, convert=TagFilter.parse, remeasure=True,
    )  # fmt: skip
    exclude: TagFilter = setting(
        "rules", "tag filter of features to leave out", (), check=_keyless,
        convert=TagFilter.parse, remeasure=True,
    )  # fmt: skip
    require: TagFilter = setting(
        "rules", "tag filter a feature must also match", (), fallback=(),
        convert=TagFilter.parse, remeasure=True,
    )  # fmt: skip
    names: str | None = setting(
        "label", "regular expression (ignoring case) the name, operator, brand or official_name "
        "must match", check=_names_problem, convert=str, remeasure=True,
    )  # fmt: skip
    walk_reach_m: float = setting(
        "number", "walk_or_bike: walking counts up to this distance", 1000.0, unit="m",
        positive=True, remeasure=True, when=("mode", ("walk_or_bike",)),
    )  # fmt: skip
    bike_factor: float = setting(
        "number", "walk_or_bike: a cycling metre beyond walk_reach_m counts as this much",
        1 / 3, positive=True, remeasure=True, when=("mode", ("walk_or_bike",)),
    )  # fmt: skip
    of: tuple[str, ...] = setting(
        "strings", "count: the criteria whose facilities are counted", (), nonempty=True,
        only=("measure", ("count",)), fallback=(),
        message="{name} must list the criteria whose facilities are counted",
    )  # fmt: skip
    residential: tuple[str, ...] = setting(
        "strings", "share: the building=* values counted as homes", DEFAULT_RESIDENTIAL,
        fallback=(), message="{name} must be a list of building=* values", remeasure=True,
        when=("measure", ("share",)),
    )  # fmt: skip

    @property
    def reach_m(self) -> float:
        """Farthest distance that is measured; beyond it a feature is 'not in reach'.

        For ``walk_or_bike`` this is the reach of the effective distance (see ``bike_reach_m``).
        """
        extra: tuple[float | None, ...]
        if self.measure == "pressure":
            extra = (self.cutoff_m, self.within_m)
        elif self.measure == "raster":
            extra = (0.0,)
        elif self.measure in ("count", "share"):
            extra = (self.within_m,)
        else:
            extra = (self.far_m,)
        return float(
            max(v for v in (*extra, self.max_m, self.min_m, self.search_m) if v is not None)
        )

    @property
    def walk_search_m(self) -> float:
        """How far walking distances are searched (``walk_or_bike``: at least its walking reach)."""
        if self.mode == "walk_or_bike":
            return max(self.reach_m, self.walk_reach_m)
        return self.reach_m

    @property
    def bike_reach_m(self) -> float:
        """``walk_or_bike``: the cycling distance whose effective distance is ``reach_m``."""
        beyond = max(self.reach_m - self.walk_reach_m, 0.0)
        return self.walk_reach_m + beyond / self.bike_factor

    @property
    def selects_features(self) -> bool:
        """Whether the criterion selects OSM features (points/areas) by their tags."""
        return self.source in ("osm", "reception")

    @property
    def scored_on(self) -> str:
        """``"distance"`` or ``"value"`` (pressure, raster, count, share): what the curve reads."""
        return MEASURE_KINDS[self.measure].scored_on

    def label(self, lang: str) -> str:
        return self.label_nl if lang == "nl" else self.label_en

    def matches(self, tags: Mapping[str, str]) -> str | None:
        hit = self.tags.match(tags)
        if hit is None or self.exclude.match(tags) is not None:
            return None
        if self.require.rules and self.require.match(tags) is None:
            return None
        if self.names is not None and not any(
            re.search(self.names, tags.get(k) or "", re.IGNORECASE) for k in NAME_TAGS
        ):
            return None
        return hit


@dataclass(frozen=True)
class CandidateRules:
    """Which OSM buildings are candidates and how their floor area and places are estimated."""

    building_types: tuple[str, ...] = setting(
        "strings", "OSM building=* values that are candidates", (), nonempty=True, fallback=(),
        message="{name} must be a non-empty list of strings", remeasure=True,
    )  # fmt: skip
    min_floor_area_m2: float = setting(
        "number", "smallest floor area (footprint x levels)", unit="m2", minimum=0,
        required=True, remeasure=True,
    )  # fmt: skip
    max_floor_area_m2: float = setting(
        "number", "largest floor area (footprint x levels)", unit="m2", positive=True,
        required=True, remeasure=True,
    )  # fmt: skip
    dwelling_types: tuple[str, ...] = setting(
        "strings", "building=* values that are private homes (a candidate only on purpose)", (),
        fallback=(), remeasure=True,
    )  # fmt: skip
    m2_per_place: float = setting(
        "number", "gross floor area per place, for places_est", 10.0, unit="m2", positive=True,
        required=True, remeasure=True,
    )  # fmt: skip
    default_levels: float = setting(
        "number", "levels assumed where building:levels is missing or unusable", 1.0,
        positive=True, required=True, remeasure=True,
    )  # fmt: skip
    levels_by_type: tuple[tuple[str, float], ...] = setting(
        "table", "levels assumed per building type (a table: type = levels)", (), fallback={},
        message="{name} must be a table of building type = levels (above 0)", remeasure=True,
    )  # fmt: skip
    unknown_use_needs_address: bool = setting(
        "bool", "building=yes counts only with an address", True,
        message="{name} must be true or false", remeasure=True,
    )  # fmt: skip

    @property
    def levels(self) -> dict[str, float]:
        return dict(self.levels_by_type)

    @property
    def includes_dwellings(self) -> bool:
        """Does the config make private homes candidates?"""
        return bool(set(self.building_types) & set(self.dwelling_types))


@dataclass(frozen=True)
class NetworkRules:
    """The ``[network]`` section: snapping to the walk/bike network."""

    max_snap_m: float = setting(
        "number", "a building or facility farther than this from the network is off network",
        required=True, remeasure=True, **_DISTANCE,
    )  # fmt: skip
    min_component_nodes: int = setting(
        "number", "network fragments with fewer nodes are dropped", minimum=1, required=True,
        convert=int, remeasure=True,
    )  # fmt: skip


@dataclass(frozen=True)
class MapSettings:
    """The ``[map]`` section: language, blurring, footprints drawn, where Leaflet comes from."""

    lang: str = setting("choice", "language of the map and reports", "nl", choices=LANGS)
    blur_m: float = setting(
        "number", "blur locations to squares of this size and leave details out (0: exact)",
        0.0, unit="m", minimum=0,
    )  # fmt: skip
    footprints: int = setting(
        "whole", "the best-ranked candidates drawn with their footprint", 2000, minimum=0,
        message="{name} = {value!r} must be a whole number, 0 or more",
    )  # fmt: skip
    assets: str = setting(
        "choice", "inline: Leaflet inside map.html (works offline); cdn: loaded from unpkg.com",
        "inline", choices=("inline", "cdn"), message=_QUOTED,
    )  # fmt: skip
    title: str = setting(
        "text", "title of the map page (empty: the default title in the map's language)", "",
        convert=str.strip,
    )  # fmt: skip
    columns: tuple[str, ...] = setting(
        "strings", "columns of your own candidate file shown in the candidate panel",
        ("omschrijving", "description", "beschrijving", "opmerking"), fallback=(),
        message="{name} = {value!r} must be a list of column names",
    )  # fmt: skip


def _crs_problem(name: str, value: Any) -> str | None:
    crs = str(value)
    if crs == "auto":
        return None
    try:
        import pyproj

        parsed = pyproj.CRS.from_user_input(crs)
    except Exception:
        return f"{name} = '{crs}' is not a known CRS; use 'auto' or e.g. 'EPSG:28992'"
    units = {a.unit_name for a in parsed.axis_info}
    if not parsed.is_projected or units - {"metre"}:
        return (
            f"{name} = '{crs}' is not a projected (metric) CRS "
            f"(units: {', '.join(sorted(units)) or 'none'}); use 'auto' or e.g. 'EPSG:28992'"
        )
    return None


@dataclass(frozen=True, kw_only=True)
class Config:
    """The effective configuration of a run.

    ``crs``, ``distance``, ``surface_m``, ``csv_dialect`` and ``xlsx`` are settings of the
    ``[analysis]``, ``[surface]`` and ``[output]`` sections, declared here once.
    """

    crs: str = setting(
        "label", "metric CRS for all distance work: auto (RD New in NL, else UTM) or e.g. "
        "EPSG:28992", "auto", section="analysis", check=_crs_problem, remeasure=True,
    )  # fmt: skip
    distance: str = setting(
        "choice", "network: over the OSM streets and paths; euclidean: straight line",
        "network", section="analysis", choices=("network", "euclidean"), message=_QUOTED,
        remeasure=True,
    )  # fmt: skip
    network: NetworkRules
    candidates: CandidateRules
    lang: str  # the map's language (map.lang)
    criteria: tuple[Criterion, ...]
    surface_m: float = setting(
        "number", "resolution of suitability.tif (0: not written; else 5 or more)", 50.0,
        key="resolution_m", section="surface", unit="m", minimum=0,
    )  # fmt: skip
    map: MapSettings = field(default_factory=MapSettings)
    csv_dialect: str = setting(
        "choice", "candidates.csv for international use or for Dutch Excel", "international",
        section="output", choices=CSV_DIALECTS, message=_QUOTED,
    )  # fmt: skip
    xlsx: bool = setting("bool", "also write candidates.xlsx", False, section="output")
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    sources: tuple[str, ...] = ()
    # several profiles scored in one run: (name, its own config); this config then measures
    # what all of them need (see geoschikt.profiles)
    profiles: tuple[tuple[str, Config], ...] = field(repr=False, compare=False, default=())

    def criterion(self, key: str) -> Criterion:
        return next(c for c in self.criteria if c.key == key)

    def to_dict(self) -> dict[str, Any]:
        """The effective configuration as plain data (what run.json records)."""
        return copy.deepcopy(dict(self.raw))

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def with_overrides(self, overrides: Mapping[str, Any]) -> Config:
        """A new Config with ``overrides`` (nested mapping) laid over this one."""
        problems: list[str] = []
        merged = _deep_merge(self.to_dict(), overrides, path="", problems=problems)
        if problems:
            raise ConfigError(_join(problems, None))
        return _build(merged, self.sources)


def profiles_dir() -> Path:
    """Folder of the shipped profiles (``config/profiles/*.toml``)."""
    packaged = resources.files("geoschikt").joinpath("profiles")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "config" / "profiles"


def available_profiles() -> list[str]:
    return sorted(p.stem for p in profiles_dir().glob("*.toml"))


def profile_path(name: str) -> Path:
    """The TOML file of the shipped profile ``name``."""
    path = profiles_dir() / f"{name}.toml"
    if not name.isidentifier() or not path.is_file():
        known = available_profiles()
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"unknown profile '{name}'; {hint}known profiles: {', '.join(known)}")
    return path


SECTIONS: dict[str, tuple[Setting, ...]] = {
    "analysis": settings_of(Config, "analysis"),
    "network": settings_of(NetworkRules),
    "candidates": settings_of(CandidateRules),
    "map": settings_of(MapSettings),
    "surface": settings_of(Config, "surface"),
    "output": settings_of(Config, "output"),
}
"""The settings of each section but ``[criteria.*]``, in the order they are checked."""
NESTED = {"network": "network", "candidates": "candidates", "map": "map"}
"""Sections read into a dataclass of their own: section -> Config attribute."""
CRITERION_SETTINGS = settings_of(Criterion)
ENABLED = Setting(
    "bool",
    "false leaves the criterion out (enabling one not measured before needs re-measuring)",
    "enabled",
    "enabled",
    default=True,
)
CRITERION_KEYS = (*(s.key for s in CRITERION_SETTINGS), ENABLED.key)


def load_config(
    path: str | Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    profile: str | None = None,
) -> Config:
    """Defaults, then the ``profile`` (a shipped profile name), then the TOML file at ``path``,
    then ``overrides``: validated and frozen.

    ``profile="a,b"`` scores several profiles in one run: each is loaded like this, and the
    returned config measures what all of them need (``Config.profiles`` holds each one).
    """
    names = [n.strip() for n in profile.split(",")] if profile else []
    if len(names) > 1:
        if len(set(names)) < len(names):
            raise ConfigError(f"--profile {profile} names a profile twice; name each once")
        return combine_profiles(
            {n: load_config(path, overrides=overrides, profile=n) for n in names}
        )
    problems: list[str] = []
    base = read_toml(default_config_path())
    sources = [str(default_config_path())]
    if names:
        prof = profile_path(names[0])
        base = _deep_merge(base, read_toml(prof), path="", problems=problems)
        sources.append(str(prof))
        if problems:
            raise ConfigError(_join(problems, prof))
    if path is not None:
        user = read_toml(Path(path))
        base = _deep_merge(base, user, path="", problems=problems)
        sources.append(str(path))
    if overrides:
        base = _deep_merge(base, overrides, path="", problems=problems)
    if problems:
        raise ConfigError(_join(problems, path))
    return _build(base, tuple(sources))


def config_from_dict(raw: Mapping[str, Any], source: str = "<dict>") -> Config:
    """A Config from a complete configuration mapping (e.g. the one recorded in run.json)."""
    return _build(copy.deepcopy(dict(raw)), (source,))


def measurement_changes(old: Config, new: Config) -> list[str]:
    """Why distances measured under ``old`` cannot be reused under ``new`` (empty: they can).

    Derived from the declared settings: those marked ``remeasure`` need a new measurement; the
    others (weights, curves, near/far, hard limits, ...) only a new score, unless a criterion now
    reaches farther than was measured.
    """
    problems = []
    for section, settings in SECTIONS.items():
        nested = NESTED.get(section)
        if nested is not None:
            if measured_by(settings, getattr(old, nested)) != measured_by(
                settings, getattr(new, nested)
            ):
                problems.append(f"[{section}] changed")
            continue
        problems += [
            f"{section}.{s.key} changed"
            for s in settings
            if s.remeasure and getattr(old, s.attr) != getattr(new, s.attr)
        ]
    before = {c.key: c for c in old.criteria}
    for c in new.criteria:
        o = before.get(c.key)
        if o is None:
            problems.append(f"criterion '{c.key}' is new")
        elif measuring_key(o) != measuring_key(c):
            problems.append(f"criterion '{c.key}' selects or measures differently")
        elif c.reach_m > o.reach_m:
            problems.append(
                f"criterion '{c.key}' now looks {c.reach_m:.0f} m far, beyond the "
                f"{o.reach_m:.0f} m measured"
            )
    return problems


def measuring_key(c: Criterion) -> tuple[object, ...]:
    """What determines a criterion's measurement (not its scoring): the values of its settings
    declared ``remeasure`` (those with a ``when`` only for that kind or mode)."""
    return measured_by(CRITERION_SETTINGS, c)


def read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; give an existing TOML file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML ({exc}); fix the syntax") from None


def _deep_merge(
    base: dict[str, Any], over: Mapping[str, Any], *, path: str, problems: list[str]
) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, Mapping):
            if key not in out and path == "criteria":
                out[key] = {}  # a new criterion: validated in _build
            elif not isinstance(out.get(key), dict):
                if path == "" and key not in out:
                    problems.append(unknown_key(here, key, out.keys()))
                    continue
                out[key] = {}
            out[key] = _deep_merge(out[key], value, path=here, problems=problems)
        else:
            out[key] = value
    return out


def _join(problems: list[str], path: str | Path | None) -> str:
    where = f" in {path}" if path else ""
    if len(problems) == 1:
        return problems[0] + where
    return f"{len(problems)} problems{where}: " + "; ".join(problems)


def _section_problems(raw: Mapping[str, Any]) -> list[str]:
    """Unknown sections and keys, and sections that are not tables."""
    problems = [
        unknown_key(section, section, (*SECTIONS, "criteria"))
        for section in raw
        if section not in (*SECTIONS, "criteria", "profiles")
    ]
    for section, settings in SECTIONS.items():
        table = raw.get(section, {})
        if not isinstance(table, dict):
            problems.append(f"[{section}] must be a table of settings")
            continue
        keys = [s.key for s in settings]
        for key in table:
            if section == "candidates" and key in ("min_area_m2", "max_area_m2"):
                problems.append(
                    f"candidates.{key} (footprint) was replaced by {key[:4]}_floor_area_m2: the "
                    "filter now works on floor area (footprint x levels); rename the key"
                )
            elif key not in keys:
                problems.append(unknown_key(f"{section}.{key}", key, keys))
    return problems


def _profiles(raw: Mapping[str, Any], problems: list[str]) -> list[tuple[str, Config]]:
    """The configurations of ``[profiles.<name>]`` (several profiles scored in one run)."""
    profiles: list[tuple[str, Config]] = []
    raw_profiles = raw.get("profiles", {})
    if not isinstance(raw_profiles, dict) or any(
        not isinstance(p, dict) or "profiles" in p for p in raw_profiles.values()
    ):
        problems.append("[profiles] must hold one complete configuration per profile name")
        return profiles
    for name, sub in raw_profiles.items():
        try:
            profiles.append((name, _build(copy.deepcopy(sub), (f"profile {name}",))))
        except ConfigError as exc:
            problems.append(f"profile {name}: {exc}")
    return profiles


def _floor_area_order(where: str, v: Values, problems: list[str]) -> None:
    lo, hi = v["min_floor_area_m2"], v["max_floor_area_m2"]
    if lo is not None and hi is not None and lo >= hi:
        problems.append(f"{where}.min_floor_area_m2 ({lo}) must be below max_floor_area_m2 ({hi})")


def _surface_fine(where: str, v: Values, problems: list[str]) -> None:
    res = v["surface_m"]
    if res is not None and 0 < res < 5:
        problems.append(
            f"{where}.resolution_m = {res:g} is finer than 5 m; use 10 or more "
            "(or 0 for no surface)"
        )


_SECTION_HOOKS: dict[str, Hook] = {
    "max_floor_area_m2": _floor_area_order,
    "surface_m": _surface_fine,
}


def _build(raw: dict[str, Any], sources: tuple[str, ...]) -> Config:
    problems: list[str] = []
    profiles = _profiles(raw, problems)
    problems += _section_problems(raw)
    read = {
        section: read_table(section, _table(raw, section), settings, problems, hooks=_SECTION_HOOKS)
        for section, settings in SECTIONS.items()
    }
    criteria: list[Criterion] = []
    crit_raw = raw.get("criteria", {})
    if not isinstance(crit_raw, dict) or not crit_raw:
        problems.append("the config defines no [criteria.*] sections")
        crit_raw = {}
    base_dir = Path(sources[-1]).parent if len(sources) > 1 else Path.cwd()
    for key, spec in crit_raw.items():
        crit = _criterion(key, spec, problems, base_dir)
        if crit is not None:
            criteria.append(crit)
    if crit_raw and not criteria and not problems:
        problems.append("all criteria are disabled; enable at least one")
    criteria = _counted_enabled(criteria, crit_raw)
    if not problems:  # a criterion with its own problems is missing from the list
        problems += _count_problems(criteria)
    if criteria and not problems:
        problem = weight_sum_problem({c.key: c.weight for c in criteria})
        if problem:
            problems.append(problem)

    if problems:
        raise ConfigError(_join(problems, sources[-1] if len(sources) > 1 else None))
    v = {s: converted(SECTIONS[s], read[s], base_dir=base_dir) for s in SECTIONS}
    map_settings = MapSettings(**v["map"])
    return Config(
        **v["analysis"],
        network=NetworkRules(**v["network"]),
        candidates=CandidateRules(**v["candidates"]),
        lang=map_settings.lang,
        criteria=tuple(criteria),
        **v["surface"],
        map=map_settings,
        **v["output"],
        raw=raw,
        sources=sources,
        profiles=tuple(profiles),
    )


def _table(raw: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    table = raw.get(section, {})
    return table if isinstance(table, dict) else {}


def _counted_enabled(criteria: list[Criterion], crit_raw: Mapping[str, Any]) -> list[Criterion]:
    """Count criteria count only the kinds that are enabled (a kind switched off is left out)."""
    off = {k for k, v in crit_raw.items() if isinstance(v, Mapping) and not v.get("enabled", True)}
    return [
        replace(c, of=tuple(k for k in c.of if k not in off)) if c.measure == "count" else c
        for c in criteria
    ]


def _count_problems(criteria: list[Criterion]) -> list[str]:
    """Count criteria must count enabled distance criteria measured at least ``within_m`` far."""
    problems: list[str] = []
    by_key = {c.key: c for c in criteria}
    for c in criteria:
        for key in c.of:
            other = by_key.get(key)
            if other is None or other.measure != "distance" or other.source == "osm_ways":
                problems.append(
                    f"criteria.{c.key}.of names '{key}', which is not an enabled criterion "
                    "measuring the distance to OSM features"
                )
            elif other.walk_search_m < c.within_m:
                problems.append(
                    f"criteria.{c.key}.within_m ({c.within_m:g}) is beyond the "
                    f"{other.walk_search_m:g} m that criterion '{key}' is measured; lower "
                    "within_m or raise its far_m"
                )
    return problems


def weight_sum_problem(weights: Mapping[str, float]) -> str | None:
    """A problem text unless the enabled criteria's weights add up to a positive finite sum."""
    total = sum(weights.values())  # overflows to inf like the weighted mean would
    if not math.isfinite(total):
        return (
            f"the weights add up to {total} ({', '.join(f'{k}={w:g}' for k, w in weights.items())})"
            "; use ordinary numbers such as 1, 2, 3"
        )
    if weights and total <= 0:
        return (
            f"the weights of all enabled criteria ({', '.join(weights)}) are 0; give at least "
            "one a weight above 0"
        )
    return None


def _measure_fits_source(where: str, v: Values, problems: list[str]) -> None:
    measure, source = v["measure"], v["source"]
    allowed = measures_for(source)
    if measure in MEASURES and source in SOURCES and measure not in allowed:
        problems.append(
            f"{where}.measure = {measure!r} does not go with source = {source!r}; "
            f"allowed: {', '.join(allowed)}"
        )


def _mode_fits(where: str, v: Values, problems: list[str]) -> None:
    mode, source = v["mode"], v["source"]
    if source in _STRAIGHT_ONLY and mode != "straight":
        problems.append(
            f"{where}.mode = {mode!r}: source = {source!r} is measured in a straight line; "
            "use mode = 'straight'"
        )
    if source == "buildings" and mode not in ("walk", "straight"):
        problems.append(
            f"{where}.mode = {mode!r}: buildings are counted walking or in a straight line; "
            "use mode = 'walk' or 'straight'"
        )
    if mode == "walk_or_bike" and v["measure"] != "distance":
        problems.append(f"{where}.mode = 'walk_or_bike' needs measure = 'distance'")


def _outline_straight(where: str, v: Values, problems: list[str]) -> None:
    if v["distance_to"] == "outline" and v["mode"] != "straight":
        problems.append(f"{where}.distance_to = 'outline' needs mode = 'straight'")


def _near_below_far(where: str, v: Values, problems: list[str]) -> None:
    near, far = v["near_m"], v["far_m"]
    if near is not None and far is not None and near >= far:
        problems.append(f"{where}: near_m ({near:g}) must be smaller than far_m ({far:g})")


def _full_zero_differ(where: str, v: Values, problems: list[str]) -> None:
    if v["full_at"] is not None and v["zero_at"] is not None and v["full_at"] == v["zero_at"]:
        problems.append(f"{where}: full_at and zero_at must differ")


def _min_below_max(where: str, v: Values, problems: list[str]) -> None:
    lo, hi = v["min_m"], v["max_m"]
    if lo is not None and hi is not None and lo >= hi:
        problems.append(f"{where}: min_m ({lo:g}) must be smaller than max_m ({hi:g})")


def _osm_tags(where: str, v: Values, problems: list[str]) -> None:
    """OSM criteria need a tag rule; osm_ways ones select only on the way tags kept."""
    tags, exclude, source = v["tags"], v["exclude"], v["source"]
    if not isinstance(tags, list | tuple):
        return
    if source in ("osm", "osm_ways") and v["measure"] != "count" and not tags:
        problems.append(f"{where}.tags is empty; an OSM criterion needs at least one tag rule")
    if source == "osm_ways":
        rules = [*tags, *(exclude if isinstance(exclude, list | tuple) else ())]
        bad = [
            t
            for t in rules
            if isinstance(t, str) and t.partition("=")[0].strip() not in WAY_TAG_KEYS
        ]
        if bad:
            problems.append(
                f"{where}: an osm_ways criterion can select on {', '.join(WAY_TAG_KEYS)} only, "
                f"not {', '.join(bad)}"
            )


def _bike_factor_share(where: str, v: Values, problems: list[str]) -> None:
    if v["bike_factor"] is not None and v["bike_factor"] > 1:
        problems.append(
            f"{where}.bike_factor = {v['bike_factor']:g} must be at most 1 (a cycling metre "
            "counts as this share of a walking metre)"
        )


_CRITERION_HOOKS: dict[str, Hook] = {
    "measure": _measure_fits_source,
    "mode": _mode_fits,
    "distance_to": _outline_straight,
    "far_m": _near_below_far,
    "zero_at": _full_zero_differ,
    "min_m": _min_below_max,
    "require": _osm_tags,
    "bike_factor": _bike_factor_share,
}
"""Rules between a criterion's settings, each run right after the setting it is keyed by."""


def _criterion(key: str, spec: Any, problems: list[str], base_dir: Path) -> Criterion | None:
    where = f"criteria.{key}"
    if not isinstance(spec, dict):
        problems.append(f"{where} must be a table of settings")
        return None
    n_before = len(problems)
    problems += [
        unknown_key(f"{where}.{k}", k, CRITERION_KEYS) for k in spec if k not in CRITERION_KEYS
    ]
    if not spec.get(ENABLED.key, ENABLED.default):
        return None
    if not key.isidentifier() or not key.islower():
        problems.append(f"criterion name '{key}' must be lower-case letters, digits and _")
    values = read_table(
        where, spec, CRITERION_SETTINGS, problems, values={"key": key}, hooks=_CRITERION_HOOKS
    )
    if len(problems) > n_before:
        return None
    return Criterion(key=key, **converted(CRITERION_SETTINGS, values, base_dir=base_dir))


_SHARED_SECTIONS = ("analysis", "network", "candidates")


def combine_profiles(configs: dict[str, Config]) -> Config:
    """The configuration measuring what every profile in ``configs`` needs: the first
    profile's, plus the criteria only later ones use (weight 0, no hard limits) and
    ``search_m`` where a later one needs a criterion measured farther (``Config.profiles``
    holds each profile's own configuration; see geoschikt.profiles)."""
    names = list(configs)
    first = configs[names[0]]
    for name in names:
        if not name.isidentifier() or not name.islower():
            raise ConfigError(f"profile name '{name}' must be lower-case letters, digits and _")
    raw = copy.deepcopy(dict(first.raw))
    problems = []
    for name in names[1:]:
        other = configs[name]
        for section in _SHARED_SECTIONS:
            if other.raw.get(section) != first.raw.get(section):
                problems.append(
                    f"profiles {names[0]} and {name} differ in [{section}]; profiles scored "
                    "together must share the candidates, network and analysis settings"
                )
    measured = {c.key: c for c in first.criteria}
    crit_raw = raw["criteria"]
    for name in names[1:]:
        for c in configs[name].criteria:
            have = measured.get(c.key)
            if have is None:
                spec = copy.deepcopy(configs[name].raw["criteria"][c.key])
                spec.update(weight=0, enabled=True, search_m=c.reach_m)
                spec.pop("max_m", None)
                spec.pop("min_m", None)
                crit_raw[c.key] = spec
                measured[c.key] = c
            elif measuring_key(have) != measuring_key(c):
                problems.append(
                    f"profiles {names[0]} and {name} measure criterion '{c.key}' differently "
                    "(tags, mode or measure); profiles scored together must measure alike"
                )
            elif c.reach_m > have.reach_m:
                crit_raw[c.key]["search_m"] = c.reach_m
                measured[c.key] = c
    if problems:
        raise ConfigError("; ".join(problems))
    raw["profiles"] = {n: copy.deepcopy(dict(configs[n].raw)) for n in names}
    combined = config_from_dict(raw, " + ".join(f"profile {n}" for n in names))
    sources = tuple(dict.fromkeys(s for n in names for s in configs[n].sources))
    return replace(combined, sources=sources)
