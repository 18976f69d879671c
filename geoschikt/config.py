"""TOML configuration -> one validated, frozen Config.

Defaults come from ``config/default.toml`` (shipped inside the package as ``default.toml``); a user
file is laid over them key by key. Every problem is collected and reported at once.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from geoschikt.curves import CURVES
from geoschikt.errors import ConfigError
from geoschikt.reception import KERNELS

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


@dataclass(frozen=True)
class Criterion:
    """One criterion: which features, how distance is measured and how it becomes a score."""

    key: str
    label_nl: str
    label_en: str
    tags: TagFilter
    exclude: TagFilter
    source: str
    mode: str
    direction: str
    decay: str
    near_m: float | None
    far_m: float | None
    steepness: float
    weight: float
    max_m: float | None = None
    min_m: float | None = None
    measure: str = "distance"  # "distance", "pressure" (reception kernel sum) or "raster"
    kernel: str = "gaussian"
    bandwidth_m: float = 1000.0
    cutoff_m: float = 3000.0
    within_m: float = 2000.0
    full_at: float | None = None  # pressure/raster: value with full score
    zero_at: float | None = None  # pressure/raster: value with score 0
    min_capacity: float = 0.0  # reception sites counted for the nearest-site distance
    raster: Path | None = None
    band: int = 1
    require: TagFilter = TagFilter(())  # optional: a feature must also match one of these
    names: str | None = None  # optional regex a feature's name/operator/brand must match
    walk_reach_m: float = 1000.0  # walk_or_bike: walking counts up to this distance
    bike_factor: float = 1 / 3  # walk_or_bike: a cycling metre beyond it counts as this much
    of: tuple[str, ...] = ()  # count: the criteria whose facilities are counted
    residential: tuple[str, ...] = DEFAULT_RESIDENTIAL  # share: building types counted
    search_m: float | None = None  # measure at least this far (e.g. for another profile)
    distance_to: str = "point"  # "point" on the feature or its "outline" (straight mode)

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

    building_types: tuple[str, ...]
    min_floor_area_m2: float
    max_floor_area_m2: float
    dwelling_types: tuple[str, ...] = ()
    m2_per_place: float = 10.0
    default_levels: float = 1.0
    levels_by_type: tuple[tuple[str, float], ...] = ()
    unknown_use_needs_address: bool = True

    @property
    def levels(self) -> dict[str, float]:
        return dict(self.levels_by_type)

    @property
    def includes_dwellings(self) -> bool:
        """Does the config make private homes candidates?"""
        return bool(set(self.building_types) & set(self.dwelling_types))


@dataclass(frozen=True)
class NetworkRules:
    max_snap_m: float
    min_component_nodes: int


@dataclass(frozen=True)
class MapSettings:
    """The ``[map]`` section: language, blurring, footprints drawn, where Leaflet comes from."""

    lang: str = "nl"
    blur_m: float = 0.0
    footprints: int = 2000
    assets: str = "inline"  # "inline" or "cdn"
    title: str = ""  # empty: the default title in the map's language
    # columns of your own candidate file shown in the candidate panel (those present)
    columns: tuple[str, ...] = ("omschrijving", "description", "beschrijving", "opmerking")


@dataclass(frozen=True)
class Config:
    """The effective configuration of a run."""

    crs: str
    distance: str
    network: NetworkRules
    candidates: CandidateRules
    lang: str
    criteria: tuple[Criterion, ...]
    surface_m: float = 50.0
    map: MapSettings = field(default_factory=MapSettings)
    csv_dialect: str = "international"  # [output]: "nl" for Dutch Excel
    xlsx: bool = False  # [output]: also write candidates.xlsx
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


def _names(cls: type, *, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name not in without)


# The keys each section accepts, from the typed settings (one place for each key).
_SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "analysis": ("crs", "distance"),
    "network": _names(NetworkRules),
    "candidates": _names(CandidateRules),
    "surface": ("resolution_m",),
    "map": _names(MapSettings),
    "output": ("csv_dialect", "xlsx"),
}
_CRITERION_KEYS = (*_names(Criterion, without=("key",)), "enabled")


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

    Weights, curves, near/far and hard limits may change freely; what selects candidates or
    features, how distance is measured, or a longer reach needs a new measurement.
    """
    problems = [
        f"{name} changed"
        for name, a, b in (
            ("analysis.distance", old.distance, new.distance),
            ("analysis.crs", old.crs, new.crs),
            ("[network]", old.network, new.network),
            ("[candidates]", old.candidates, new.candidates),
        )
        if a != b
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
    """What determines a criterion's measurement (not its scoring)."""
    base: tuple[object, ...] = (
        c.tags, c.exclude, c.require, c.names, c.source, c.mode, c.measure, c.distance_to
    )  # fmt: skip
    if c.mode == "walk_or_bike":
        base = (*base, c.walk_reach_m, c.bike_factor)
    if c.measure == "count":  # counted again from the stored distances when re-scoring
        return base
    if c.measure == "share":
        return (*base, c.residential, c.within_m)
    if c.measure == "pressure":
        return (*base, c.kernel, c.bandwidth_m, c.cutoff_m, c.within_m, c.min_capacity)
    if c.measure == "raster":
        return (*base, str(c.raster), c.band)
    return base


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
                    problems.append(_unknown(here, key, out.keys()))
                    continue
                out[key] = {}
            out[key] = _deep_merge(out[key], value, path=here, problems=problems)
        else:
            out[key] = value
    return out


def _unknown(here: str, key: str, allowed: Iterable[str]) -> str:
    allowed = sorted(allowed)
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown config key '{here}'{hint} (allowed: {', '.join(allowed)})"


def _join(problems: list[str], path: str | Path | None) -> str:
    where = f" in {path}" if path else ""
    if len(problems) == 1:
        return problems[0] + where
    return f"{len(problems)} problems{where}: " + "; ".join(problems)


def _build(raw: dict[str, Any], sources: tuple[str, ...]) -> Config:
    problems: list[str] = []
    profiles: list[tuple[str, Config]] = []
    raw_profiles = raw.get("profiles", {})
    if not isinstance(raw_profiles, dict) or any(
        not isinstance(p, dict) or "profiles" in p for p in raw_profiles.values()
    ):
        problems.append("[profiles] must hold one complete configuration per profile name")
    else:
        for name, sub in raw_profiles.items():
            try:
                profiles.append((name, _build(copy.deepcopy(sub), (f"profile {name}",))))
            except ConfigError as exc:
                problems.append(f"profile {name}: {exc}")
    for section in raw:
        if section not in (*_SECTION_KEYS, "criteria", "profiles"):
            problems.append(_unknown(section, section, (*_SECTION_KEYS, "criteria")))
    for section, keys in _SECTION_KEYS.items():
        for key in raw.get(section, {}):
            if section == "candidates" and key in ("min_area_m2", "max_area_m2"):
                problems.append(
                    f"candidates.{key} (footprint) was replaced by {key[:4]}_floor_area_m2: the "
                    "filter now works on floor area (footprint x levels); rename the key"
                )
            elif key not in keys:
                problems.append(_unknown(f"{section}.{key}", key, keys))

    an = raw.get("analysis", {})
    crs = str(an.get("crs", "auto"))
    if crs != "auto":
        try:
            import pyproj

            parsed = pyproj.CRS.from_user_input(crs)
            units = {a.unit_name for a in parsed.axis_info}
            if not parsed.is_projected or units - {"metre"}:
                problems.append(
                    f"analysis.crs = '{crs}' is not a projected (metric) CRS "
                    f"(units: {', '.join(sorted(units)) or 'none'}); "
                    "use 'auto' or e.g. 'EPSG:28992'"
                )
        except Exception:
            problems.append(
                f"analysis.crs = '{crs}' is not a known CRS; use 'auto' or e.g. 'EPSG:28992'"
            )
    distance = an.get("distance", "network")
    if distance not in ("network", "euclidean"):
        problems.append(f"analysis.distance = {distance!r}; allowed: 'network', 'euclidean'")

    net = raw.get("network", {})
    max_snap = _number(
        net, "max_snap_m", "network", problems, positive=True, maximum=MAX_DISTANCE_M
    )
    min_comp = _number(net, "min_component_nodes", "network", problems, minimum=1)

    cand = raw.get("candidates", {})
    types = cand.get("building_types", [])
    if not (isinstance(types, list) and all(isinstance(t, str) for t in types) and types):
        problems.append("candidates.building_types must be a non-empty list of strings")
        types = []
    dwellings = cand.get("dwelling_types", [])
    if not (isinstance(dwellings, list) and all(isinstance(t, str) for t in dwellings)):
        problems.append("candidates.dwelling_types must be a list of strings")
        dwellings = []
    min_a = _number(cand, "min_floor_area_m2", "candidates", problems, minimum=0)
    max_a = _number(cand, "max_floor_area_m2", "candidates", problems, positive=True)
    if min_a is not None and max_a is not None and min_a >= max_a:
        problems.append(
            f"candidates.min_floor_area_m2 ({min_a}) must be below max_floor_area_m2 ({max_a})"
        )
    per_place = _number(cand, "m2_per_place", "candidates", problems, positive=True)
    default_levels = _number(cand, "default_levels", "candidates", problems, positive=True)
    by_type = cand.get("levels_by_type", {})
    if not isinstance(by_type, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in by_type.values()
    ):
        problems.append(
            "candidates.levels_by_type must be a table of building type = levels (above 0)"
        )
        by_type = {}
    needs_address = cand.get("unknown_use_needs_address", True)
    if not isinstance(needs_address, bool):
        problems.append("candidates.unknown_use_needs_address must be true or false")

    map_raw = raw.get("map", {})
    lang = map_raw.get("lang", "nl")
    if lang not in LANGS:
        problems.append(f"map.lang = {lang!r}; allowed: {', '.join(LANGS)}")
    _number(map_raw, "blur_m", "map", problems, minimum=0, required=False)
    footprints = map_raw.get("footprints", 0)
    if isinstance(footprints, bool) or not isinstance(footprints, int) or footprints < 0:
        problems.append(f"map.footprints = {footprints!r} must be a whole number, 0 or more")
    if map_raw.get("assets", "inline") not in ("inline", "cdn"):
        problems.append(f"map.assets = {map_raw.get('assets')!r}; allowed: 'inline', 'cdn'")
    if not isinstance(map_raw.get("title", ""), str):
        problems.append(f"map.title = {map_raw.get('title')!r} must be text")
    map_columns = map_raw.get("columns", list(MapSettings.columns))
    if not isinstance(map_columns, list) or not all(isinstance(c, str) for c in map_columns):
        problems.append(f"map.columns = {map_columns!r} must be a list of column names")
        map_columns = []

    surface_m = _number(
        raw.get("surface", {}), "resolution_m", "surface", problems, minimum=0, required=False
    )
    if surface_m is not None and 0 < surface_m < 5:
        problems.append(
            f"surface.resolution_m = {surface_m:g} is finer than 5 m; use 10 or more "
            "(or 0 for no surface)"
        )

    out_raw = raw.get("output", {})
    csv_dialect = out_raw.get("csv_dialect", "international")
    if csv_dialect not in CSV_DIALECTS:
        problems.append(
            f"output.csv_dialect = {csv_dialect!r}; allowed: {', '.join(map(repr, CSV_DIALECTS))}"
        )
    xlsx = out_raw.get("xlsx", False)
    if not isinstance(xlsx, bool):
        problems.append(f"output.xlsx = {xlsx!r} must be true or false")

    criteria = []
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
    return Config(
        crs=crs,
        distance=distance,
        network=NetworkRules(float(max_snap or 0), int(min_comp or 0)),  # checked above
        candidates=CandidateRules(
            tuple(types),
            float(min_a or 0),  # None only with a problem, raised above
            float(max_a or 0),
            dwelling_types=tuple(dwellings),
            m2_per_place=float(per_place or 0),
            default_levels=float(default_levels or 0),
            levels_by_type=tuple(sorted((str(k), float(v)) for k, v in by_type.items())),
            unknown_use_needs_address=bool(needs_address),
        ),
        lang=lang,
        criteria=tuple(criteria),
        surface_m=50.0 if surface_m is None else float(surface_m),
        map=MapSettings(
            lang=lang,
            blur_m=float(map_raw.get("blur_m", 0) or 0),
            footprints=int(map_raw.get("footprints", MapSettings.footprints)),
            assets=str(map_raw.get("assets", MapSettings.assets)),
            title=str(map_raw.get("title", "") or "").strip(),
            columns=tuple(map_columns),
        ),
        csv_dialect=str(csv_dialect),
        xlsx=bool(xlsx),
        raw=raw,
        sources=sources,
        profiles=tuple(profiles),
    )


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


MAX_WEIGHT = 1e6  # weights are relative; this keeps weight x score far from overflow
MAX_DISTANCE_M = 100_000.0  # 100 km: far beyond any walk/cycle reach, and a bound on region buffers


def not_finite(name: str, value: float) -> str | None:
    """A problem text when ``value`` is nan or infinite (TOML allows both), else None."""
    if not math.isfinite(value):
        return f"{name} = {value} is not a finite number; give a plain number"
    return None


def above_maximum(name: str, value: float, maximum: float | None) -> str | None:
    """A problem text when ``value`` exceeds ``maximum``, else None."""
    if maximum is not None and value > maximum:
        return f"{name} = {value:g} is above the maximum {maximum:g}"
    return None


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


def _number(
    spec: Mapping[str, Any],
    key: str,
    where: str,
    problems: list[str],
    *,
    positive: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    required: bool = True,
) -> float | None:
    value = spec.get(key)
    name = f"{where}.{key}"
    if value is None:
        if required:
            problems.append(f"{name} is missing; give a number")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{name} = {value!r} is not a number")
        return None
    problem = not_finite(name, value) or above_maximum(name, value, maximum)
    if problem:
        problems.append(problem)
        return None
    if positive and value <= 0:
        problems.append(f"{name} = {value} must be greater than 0")
        return None
    if minimum is not None and value < minimum:
        problems.append(f"{name} = {value} must be at least {minimum}")
        return None
    return float(value)


def _criterion(key: str, spec: Any, problems: list[str], base_dir: Path) -> Criterion | None:
    where = f"criteria.{key}"
    if not isinstance(spec, dict):
        problems.append(f"{where} must be a table of settings")
        return None
    n_before = len(problems)
    for k in spec:
        if k not in _CRITERION_KEYS:
            problems.append(_unknown(f"{where}.{k}", k, _CRITERION_KEYS))
    if not spec.get("enabled", True):
        return None
    if not key.isidentifier() or not key.islower():
        problems.append(f"criterion name '{key}' must be lower-case letters, digits and _")

    def choice(name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = spec.get(name, default)
        if value not in allowed:
            problems.append(f"{where}.{name} = {value!r}; allowed: {', '.join(allowed)}")
        return str(value)

    def num(name: str, **kw: Any) -> float | None:
        return _number(spec, name, where, problems, **kw)

    source = choice("source", SOURCES, "osm")
    allowed_measure = measures_for(source)
    default_measure = allowed_measure[0] if allowed_measure else None
    measure = choice("measure", MEASURES, default_measure)
    if measure in MEASURES and source in SOURCES and measure not in allowed_measure:
        problems.append(
            f"{where}.measure = {measure!r} does not go with source = {source!r}; "
            f"allowed: {', '.join(allowed_measure)}"
        )
    straight_only = source in ("raster", "osm_ways", "buildings")
    mode = choice("mode", MODES, "straight" if straight_only else "walk")
    if straight_only and mode != "straight":
        problems.append(
            f"{where}.mode = {mode!r}: source = {source!r} is measured in a straight line; "
            "use mode = 'straight'"
        )
    if mode == "walk_or_bike" and measure != "distance":
        problems.append(f"{where}.mode = 'walk_or_bike' needs measure = 'distance'")
    distance_to = choice("distance_to", ("point", "outline"), "point")
    if distance_to == "outline" and mode != "straight":
        problems.append(f"{where}.distance_to = 'outline' needs mode = 'straight'")
    direction = choice("direction", DIRECTIONS, "towards")
    decay = choice("decay", DECAYS, "linear")
    near = far = full_at = zero_at = None
    kind = MEASURE_KINDS.get(measure)
    if kind is not None and kind.scored_on == "distance":
        near = num("near_m", minimum=0, maximum=MAX_DISTANCE_M)
        far = num("far_m", positive=True, maximum=MAX_DISTANCE_M)
        if near is not None and far is not None and near >= far:
            problems.append(f"{where}: near_m ({near:g}) must be smaller than far_m ({far:g})")
    else:
        full_at = num("full_at")
        zero_at = num("zero_at")
        if full_at is not None and zero_at is not None and full_at == zero_at:
            problems.append(f"{where}: full_at and zero_at must differ")
    weight = num("weight", minimum=0, maximum=MAX_WEIGHT)
    steep = num("steepness", positive=True, required=False)
    max_m = num("max_m", positive=True, maximum=MAX_DISTANCE_M, required=False)
    min_m = num("min_m", positive=True, maximum=MAX_DISTANCE_M, required=False)
    if max_m is not None and min_m is not None and min_m >= max_m:
        problems.append(f"{where}: min_m ({min_m:g}) must be smaller than max_m ({max_m:g})")
    kernel = choice("kernel", KERNELS, "gaussian")
    bandwidth = num("bandwidth_m", positive=True, maximum=MAX_DISTANCE_M, required=False) or 1000.0
    cutoff = num("cutoff_m", positive=True, maximum=MAX_DISTANCE_M, required=False) or 3 * bandwidth
    within = num("within_m", positive=True, maximum=MAX_DISTANCE_M, required=False) or 2000.0
    min_capacity = num("min_capacity", minimum=0, required=False) or 0.0
    search_m = num("search_m", positive=True, required=False)
    band = spec.get("band", 1)
    if not isinstance(band, int) or isinstance(band, bool) or band < 1:
        problems.append(f"{where}.band = {band!r} must be a band number (1 or more)")
    raster = None
    if source == "raster":
        if not isinstance(spec.get("raster"), str):
            problems.append(f"{where}.raster must be the path of a raster file (GeoTIFF)")
        else:
            raster = Path(spec["raster"]).expanduser()
            raster = raster if raster.is_absolute() else base_dir / raster

    tags = spec.get("tags", [])
    exclude = spec.get("exclude", [])
    for name, value in (("tags", tags), ("exclude", exclude)):
        if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
            problems.append(f"{where}.{name} must be a list of 'key=value' strings")
        elif any(t.startswith(("=", "~")) for t in value):
            problems.append(f"{where}.{name} has a rule without a key: {value}")
    require = spec.get("require", [])
    if not isinstance(require, list) or not all(isinstance(t, str) and t for t in require):
        problems.append(f"{where}.require must be a list of 'key=value' strings")
        require = []
    if source in ("osm", "osm_ways") and measure != "count" and isinstance(tags, list) and not tags:
        problems.append(f"{where}.tags is empty; an OSM criterion needs at least one tag rule")
    if source == "osm_ways" and isinstance(tags, list):
        bad = [t for t in [*tags, *exclude] if t.partition("=")[0].strip() not in WAY_TAG_KEYS]
        if bad:
            problems.append(
                f"{where}: an osm_ways criterion can select on {', '.join(WAY_TAG_KEYS)} only, "
                f"not {', '.join(bad)}"
            )
    names = spec.get("names")
    if names is not None:
        try:
            re.compile(str(names))
        except re.error as exc:
            problems.append(f"{where}.names = {names!r} is not a valid regular expression ({exc})")
    walk_reach = num("walk_reach_m", positive=True, required=False) or 1000.0
    bike_factor = num("bike_factor", positive=True, required=False) or 1 / 3
    if bike_factor > 1:
        problems.append(
            f"{where}.bike_factor = {bike_factor:g} must be at most 1 (a cycling metre counts "
            "as this share of a walking metre)"
        )
    of = spec.get("of", [])
    if measure == "count" and (
        not isinstance(of, list) or not of or not all(isinstance(k, str) for k in of)
    ):
        problems.append(f"{where}.of must list the criteria whose facilities are counted")
        of = []
    residential = spec.get("residential", list(DEFAULT_RESIDENTIAL))
    if not isinstance(residential, list) or not all(isinstance(t, str) for t in residential):
        problems.append(f"{where}.residential must be a list of building=* values")
        residential = []
    if len(problems) > n_before:
        return None
    return Criterion(
        key=key,
        label_nl=str(spec.get("label_nl", key)),
        label_en=str(spec.get("label_en", key)),
        tags=TagFilter.parse(tags),
        exclude=TagFilter.parse(exclude),
        source=source,
        mode=mode,
        direction=direction,
        decay=decay,
        near_m=near,
        far_m=far,
        steepness=steep if steep is not None else CURVES[decay].default_steepness,
        weight=float(weight or 0),  # None only with a problem, which returned above
        max_m=max_m,
        min_m=min_m,
        measure=measure,
        kernel=kernel,
        bandwidth_m=bandwidth,
        cutoff_m=cutoff,
        within_m=within,
        full_at=full_at,
        zero_at=zero_at,
        min_capacity=min_capacity,
        raster=raster,
        band=band,
        require=TagFilter.parse(require),
        names=None if names is None else str(names),
        walk_reach_m=walk_reach,
        bike_factor=bike_factor,
        of=tuple(of) if measure == "count" else (),
        residential=tuple(residential),
        search_m=search_m,
        distance_to=distance_to,
    )


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
