"""Readable addresses: OSM address points (and a building's own ``addr:*`` tags) joined into
footprints with a spatial index, and addresses taken from the columns of a user's file.

Dutch OSM carries the BAG addresses as nodes inside buildings, so a building's addresses are
the address points inside its footprint. A label reads like "Mekelweg 8, 2628 CD Delft"; with
several, the first (by street and number) and "+N".
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import shapely

ADDRESS_TAGS = ("addr:street", "addr:housenumber", "addr:postcode", "addr:city")
_POSTCODE_NL = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})\s*$")

# column names of a user's file, lower-cased: (whole address, street, number, postcode, place)
FULL_NAMES = ("address", "adres", "addr:full", "volledig_adres")
STREET_NAMES = ("addr:street", "straat", "straatnaam", "street", "openbareruimte")
NUMBER_NAMES = ("addr:housenumber", "huisnummer", "housenumber", "huisnr", "nummer")
POSTCODE_NAMES = ("addr:postcode", "postcode", "zip")
CITY_NAMES = ("addr:city", "woonplaats", "plaats", "city", "place")


def _text(values) -> pd.Series:
    """Stripped strings, "" where missing; whole floats (a CSV column of house numbers with
    gaps) without their ".0"."""
    s = pd.Series(values)
    if pd.api.types.is_float_dtype(s):
        s = s.map(lambda v: "" if pd.isna(v) else (f"{v:.0f}" if float(v).is_integer() else str(v)))
    s = s.astype("object").astype("string").str.strip()
    return s.fillna("")


def format_addresses(street, number, postcode, city) -> np.ndarray:
    """'Street Number, Postcode City' per row (parts that are missing are left out); None where
    there is neither a street nor a number. Dutch postcodes are written '2628 CD'."""
    street, number, postcode, city = (_text(v) for v in (street, number, postcode, city))
    postcode = postcode.str.replace(_POSTCODE_NL, lambda m: f"{m[1]} {m[2].upper()}", regex=True)
    first = (street + " " + number).str.strip()
    place = (postcode + " " + city).str.strip()
    label = first.where(place == "", first + ", " + place)
    label = label.where(first != "", None)
    return label.to_numpy(dtype=object, na_value=None)


def address_order(street, number) -> np.ndarray:
    """Position of each address when sorted by street, house number (numerically), then text."""
    street, number = _text(street), _text(number)
    numeric = pd.to_numeric(number.str.extract(r"^(\d+)", expand=False), errors="coerce")
    order = np.lexsort(
        (
            number.to_numpy(dtype=object).astype(str),
            numeric.fillna(1e12).to_numpy(float),
            street.str.casefold().to_numpy(dtype=object).astype(str),
        )
    )
    pos = np.empty(len(order), dtype=np.int64)
    pos[order] = np.arange(len(order))
    return pos


def join_addresses(
    polygons: np.ndarray,
    points: np.ndarray,
    point_labels: np.ndarray,
    point_order: np.ndarray,
    own: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(address label, address count) per polygon.

    ``points`` (same CRS as ``polygons``; a polygon may be None) carry ``point_labels`` and
    their sort position ``point_order``; ``own`` is each polygon's own address (its ``addr:*``
    tags), which comes first when present. The count is the number of address points inside
    plus the own address when no point inside has the same label. One STRtree query, no loop
    per polygon.
    """
    n = len(polygons)
    own = np.full(n, None, dtype=object) if own is None else np.asarray(own, dtype=object)
    has_point = np.zeros(n, dtype=np.int64)
    first = np.full(n, None, dtype=object)
    own_matched = np.zeros(n, dtype=bool)
    valid = np.flatnonzero(~shapely.is_missing(np.asarray(polygons, dtype=object)))
    labelled = np.flatnonzero(np.array([v is not None for v in point_labels], dtype=bool))
    if len(valid) and len(labelled):
        tree = shapely.STRtree(np.asarray(polygons, dtype=object)[valid])
        pt, poly = tree.query(np.asarray(points, dtype=object)[labelled], predicate="within")
        pt, poly = labelled[pt], valid[poly]
        if len(pt):
            # one pair per (polygon, label): an address point mapped twice counts once
            labels = np.asarray(point_labels, dtype=object)[pt].astype(str)
            pairs = pd.DataFrame({"poly": poly, "label": labels, "order": point_order[pt]})
            pairs = pairs.sort_values(["poly", "order"], kind="stable")
            pairs = pairs.drop_duplicates(["poly", "label"])
            has_point = np.bincount(pairs["poly"].to_numpy(), minlength=n)
            heads = pairs.drop_duplicates("poly")
            first[heads["poly"].to_numpy()] = heads["label"].to_numpy(dtype=object)
            own_of_pair = own[pairs["poly"].to_numpy()]
            same = pairs["label"].to_numpy(dtype=object) == own_of_pair
            own_matched[pairs["poly"].to_numpy()[same]] = True
    has_own = np.array([v is not None for v in own], dtype=bool)
    count = has_point + (has_own & ~own_matched)
    label = np.where(has_own, own, first)
    more = count - 1
    out = np.full(n, None, dtype=object)
    some = np.flatnonzero(count > 0)
    out[some] = [
        f"{lab} +{m}" if m > 0 else lab
        for lab, m in zip(label[some].tolist(), more[some].tolist(), strict=True)
    ]
    return out, count.astype(np.int64)


def address_columns(frame: pd.DataFrame) -> np.ndarray | None:
    """Addresses from a user's own columns (``address``/``adres``, or street + number +
    postcode + place in English, Dutch or ``addr:*`` names); None when it has none. A street
    without a number (or the other way round) is used as it is."""
    cols = {str(c).lower().strip(): c for c in frame.columns}

    def pick(names):
        name = next((cols[n] for n in names if n in cols), None)
        return frame[name] if name is not None else pd.Series("", index=frame.index)

    full = next((cols[n] for n in FULL_NAMES if n in cols), None)
    if full is not None:
        return _text(frame[full]).replace("", None).to_numpy(dtype=object, na_value=None)
    if not any(n in cols for n in (*STREET_NAMES, *NUMBER_NAMES)):
        return None
    return format_addresses(
        pick(STREET_NAMES), pick(NUMBER_NAMES), pick(POSTCODE_NAMES), pick(CITY_NAMES)
    )


def own_tag_addresses(tags: pd.DataFrame) -> np.ndarray:
    """Each row's address from its ``addr:*`` columns (missing columns count as empty)."""
    parts = [
        tags[k] if k in tags else pd.Series("", index=tags.index, dtype=object)
        for k in ADDRESS_TAGS
    ]
    return format_addresses(*parts)
