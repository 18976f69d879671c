"""Several profiles in one run: measure once what all of them need, score each.

A profile (``config/profiles/<name>.toml``) is laid over the defaults like a user file. With
``--profile a,b`` the run's own configuration is profile ``a``'s, extended so that it measures
what ``b`` needs too: criteria only ``b`` uses are added with weight 0 and without hard limits
(shown, not counted in ``a``'s total), and a criterion ``b`` needs farther gets ``search_m``.
Each profile is then scored from the same measurements: ``suitability_<name>``,
``passes_<name>`` and ``rank_<name>``.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd

from geoschikt.config import Config, config_from_dict, measuring_key
from geoschikt.errors import ConfigError
from geoschikt.scoring import Measured, score

_SHARED_SECTIONS = ("analysis", "network", "candidates")


def combine_profiles(configs: dict[str, Config]) -> Config:
    """The configuration measuring what every profile in ``configs`` needs (see module doc)."""
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


def profile_scores(measured: list[Measured], config: Config) -> pd.DataFrame:
    """``suitability_<p>``, ``passes_<p>`` and ``rank_<p>`` for every profile of ``config``,
    from the run's measurements (an empty frame without profiles)."""
    by_key = {m.criterion.key: m for m in measured}
    n = len(measured[0].distance) if measured else 0
    out = pd.DataFrame(index=range(n))
    for name, prof in config.profiles:
        mine = []
        for c in prof.criteria:
            m = by_key[c.key]
            d = np.asarray(m.distance, dtype=float).copy()
            d[d > c.reach_m] = np.inf
            mine.append(replace(m, criterion=c, distance=d))
        s = score(mine, lang=config.lang)
        out[f"suitability_{name}"] = s["suitability"].to_numpy()
        out[f"passes_{name}"] = s["passes"].to_numpy()
        out[f"rank_{name}"] = s["rank"].to_numpy()
    return out
