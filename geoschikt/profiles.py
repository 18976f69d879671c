"""Several profiles in one run: measure once what all of them need, score each.

A profile (``config/profiles/<name>.toml``) is laid over the defaults like a user file. With
``--profile a,b`` the run's own configuration is profile ``a``'s, extended so that it measures
what ``b`` needs too: criteria only ``b`` uses are added with weight 0 and without hard limits
(shown, not counted in ``a``'s total), and a criterion ``b`` needs farther gets ``search_m``.
Each profile is then scored from the same measurements: ``suitability_<name>``,
``passes_<name>`` and ``rank_<name>``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from geoschikt.config import Config
from geoschikt.scoring import Measured, score


def profile_scores(
    measured: list[Measured], config: Config, outside: np.ndarray | None = None
) -> pd.DataFrame:
    """``suitability_<p>``, ``passes_<p>`` and ``rank_<p>`` for every profile of ``config``,
    from the run's measurements (an empty frame without profiles); candidates ``outside`` the
    data get none, as in :func:`geoschikt.scoring.score`."""
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
        s = score(mine, lang=config.lang, outside=outside)
        out[f"suitability_{name}"] = s["suitability"].to_numpy()
        out[f"passes_{name}"] = s["passes"].to_numpy()
        out[f"rank_{name}"] = s["rank"].to_numpy()
    return out
