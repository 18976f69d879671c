"""Floor area, estimated places and the COA size class of candidate buildings.

Floor area is the footprint times ``building:levels`` where that tag is usable, otherwise the
footprint times a number of levels assumed per building type (``[candidates.levels_by_type]``:
a project assumption, not a measurement; ``floor_area_source`` says which was used). Places are
the floor area divided by ``[candidates] m2_per_place``.

COA size classes follow the figures of COA's "Basisvereisten voor opvanglocaties"
(coa.nl/nl/vastgoed): from 3,000 m2 gross floor area for at least 300 places; 1,500-4,500 m2
for 100-250 places; a preference for at least 500 m2 and 50 places; small-scale youth housing
350-700 m2 for 30-100 places. The ranges overlap; the classes below cut them at their lower
bounds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

MAX_LEVELS = 100  # a building:levels above this is taken for a mistake
SOURCE_TAG = "building:levels"
SOURCE_FILE = "candidates file"

# (lower bound m2, code, Dutch, English): each class runs up to the next lower bound
COA_SIZE_CLASSES: tuple[tuple[float, str, str, str], ...] = (
    (
        0.0,
        "<350",
        "kleiner dan de kleinste COA-maat (350 m²)",
        "below COA's smallest size (350 m²)",
    ),
    (
        350.0,
        "350-500",
        "COA kleinschalige jongerenhuisvesting: 350–700 m² voor 30–100 plaatsen",
        "COA small-scale youth housing: 350–700 m² for 30–100 places",
    ),
    (
        500.0,
        "500-1500",
        "COA voorkeur: vanaf 500 m² en 50 plaatsen",
        "COA preference: from 500 m² and 50 places",
    ),
    (
        1500.0,
        "1500-3000",
        "COA 1.500–4.500 m² voor 100–250 plaatsen",
        "COA 1,500–4,500 m² for 100–250 places",
    ),
    (
        3000.0,
        ">=3000",
        "COA vanaf 3.000 m² voor 300 plaatsen of meer",
        "COA from 3,000 m² for 300 places or more",
    ),
)
COA_SOURCE = 'COA, "Basisvereisten voor opvanglocaties" (coa.nl/nl/vastgoed)'


def _level(value: object) -> float:
    """A usable number of levels, or NaN."""
    try:
        levels = float(str(value).strip().replace(",", "."))
    except ValueError:
        return np.nan
    return levels if np.isfinite(levels) and 0 < levels <= MAX_LEVELS else np.nan


def parse_levels(values: pd.Series) -> tuple[np.ndarray, int]:
    """(levels, number of unusable tags): a tag that is not a number, is 0 or less, or is above
    ``MAX_LEVELS`` gives NaN and is counted; a missing tag gives NaN and is not. Each distinct
    tag value is parsed once."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    parsed = np.array([_level(u) for u in uniques] + [np.nan], dtype=float)
    blank = np.array([str(u).strip() == "" for u in uniques] + [True], dtype=bool)
    levels = parsed[codes]
    bad = ~blank[codes] & np.isnan(levels)
    return levels, int(bad.sum())


def floor_area(
    footprint_m2: np.ndarray,
    building: pd.Series,
    levels_tag: pd.Series | None,
    levels_by_type: Mapping[str, float],
    default_levels: float,
    *,
    warn: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(floor area m2, source) per building: footprint x usable ``building:levels``, else
    footprint x the levels assumed for its type. Unusable level tags are counted in one warning.
    """
    footprint_m2 = np.asarray(footprint_m2, dtype=float)
    n = len(footprint_m2)
    if levels_tag is None:
        levels, bad = np.full(n, np.nan), 0
    else:
        levels, bad = parse_levels(levels_tag)
    if bad and warn:
        log.warning(
            "%d building(s) have a building:levels that is not a number, 0 or less, or above %d;"
            " their floor area is estimated from the building type instead",
            bad,
            MAX_LEVELS,
        )
    codes, types = pd.factorize(pd.Series(building, dtype=object).fillna("yes").astype(str))
    per_type = np.array([float(levels_by_type.get(t, default_levels)) for t in types], dtype=float)
    said = np.array(
        [f"estimate: {v:g} level(s) assumed for {t}" for t, v in zip(types, per_type, strict=True)]
        + [SOURCE_TAG],
        dtype=object,
    )
    tagged = np.isfinite(levels)
    assumed = per_type[codes] if len(types) else np.full(n, float(default_levels))
    area = footprint_m2 * np.where(tagged, levels, assumed)
    source = said[np.where(tagged, len(types), codes)]
    return np.round(area, 1), source


def places_estimate(floor_m2: np.ndarray, m2_per_place: float) -> np.ndarray:
    """Whole places a floor area offers at ``m2_per_place`` (NaN where the area is unknown)."""
    area = np.asarray(floor_m2, dtype=float)
    return np.where(np.isfinite(area), np.floor(area / m2_per_place), np.nan)


def coa_size_class(floor_m2: np.ndarray) -> np.ndarray:
    """The COA size class code of each floor area (None where unknown)."""
    area = np.asarray(floor_m2, dtype=float)
    bounds = np.array([c[0] for c in COA_SIZE_CLASSES])
    codes = np.array([c[1] for c in COA_SIZE_CLASSES], dtype=object)
    idx = np.searchsorted(bounds, np.nan_to_num(area, nan=0.0), side="right") - 1
    return np.where(np.isfinite(area), codes[np.clip(idx, 0, len(codes) - 1)], None)


def coa_size_label(code: str | None, lang: str) -> str | None:
    """The Dutch or English description of a size class code."""
    for _, c, nl, en in COA_SIZE_CLASSES:
        if c == code:
            return nl if lang == "nl" else en
    return None
