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


def _clean(values) -> np.ndarray:
    """Stripped strings as an object array, "" where missing; whole floats (a CSV column of house
    numbers with gaps) without their ".0". Each distinct value is cleaned once."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    cleaned = np.array(
        [f"{u:.0f}" if isinstance(u, float) and u.is_integer() else str(u).strip() for u in uniques]
        + [""],
        dtype=object,
    )
    return cleaned[codes]  # the sentinel -1 picks the trailing ""


def _postcode(code: str) -> str:
    match = _POSTCODE_NL.match(code)
    return f"{match[1]} {match[2].upper()}" if match else code


def format_addresses(street, number, postcode, city) -> np.ndarray:
    """'Street Number, Postcode City' per row (parts that are missing are left out); None where
    there is neither a street nor a number. Dutch postcodes are written '2628 CD'."""
    street, number, city = _clean(street), _clean(number), _clean(city)
    codes, uniques = pd.factorize(pd.Series(_clean(postcode), dtype=object))
    postcode = np.array([_postcode(u) for u in uniques], dtype=object)[codes]
    out = []
    rows = zip(street.tolist(), number.tolist(), postcode.tolist(), city.tolist(), strict=True)
    for s, h, p, c in rows:
        first = f"{s} {h}" if s and h else s or h
        if not first:
            out.append(None)
            continue
        place = f"{p} {c}" if p and c else p or c
        out.append(f"{first}, {place}" if place else first)
    return np.array(out, dtype=object)


def address_order(street, number) -> np.ndarray:
    """Sort key of each address: by street (ignoring case), house number (numerically), then
    the number's text. Integers; computed on the distinct streets and numbers only."""
    s_codes, s_uniques = pd.factorize(pd.Series(_clean(street), dtype=object))
    s_rank = np.argsort(np.argsort([u.casefold() for u in s_uniques], kind="stable"))
    n_codes, n_uniques = pd.factorize(pd.Series(_clean(number), dtype=object))
    keys = []
    for u in n_uniques:
        digits = re.match(r"\d+", u)
        keys.append((int(digits[0]) if digits else 10**12, u))
    n_rank = np.empty(len(keys), dtype=np.int64)
    n_rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    n_rank = n_rank if len(keys) else np.zeros(0, dtype=np.int64)
    return np.lexsort((n_rank[n_codes], s_rank[s_codes])).argsort().astype(np.int64)


def join_addresses(
    polygons: np.ndarray,
    points: np.ndarray,
    tags: pd.DataFrame,
    own: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(address label, address count) per polygon.

    ``points`` (same CRS as ``polygons``; a polygon may be None) carry the ``addr:*`` columns of
    ``tags`` (row by row); ``own`` is each polygon's own address (its ``addr:*`` tags), which
    comes first when present. The label of several addresses is the first by street and number
    with "+N"; the count is the number of distinct addresses inside plus the own address when no
    point inside has the same label. One STRtree query, and labels are formatted only for the
    points that lie in some polygon.
    """
    n = len(polygons)
    polygons = np.asarray(polygons, dtype=object)
    own = np.full(n, None, dtype=object) if own is None else np.asarray(own, dtype=object)
    has_point = np.zeros(n, dtype=np.int64)
    first = np.full(n, None, dtype=object)
    own_matched = np.zeros(n, dtype=bool)
    valid = np.flatnonzero(~shapely.is_missing(polygons))
    if len(valid) and len(points):
        tree = shapely.STRtree(polygons[valid])
        pt, poly = tree.query(np.asarray(points, dtype=object), predicate="within")
        poly = valid[poly]
        matched, pt_local = np.unique(pt, return_inverse=True)
        sub = tags[[k for k in ADDRESS_TAGS if k in tags]].iloc[matched]  # no geometry copy
        labels = format_addresses(*(_column(sub, k) for k in ADDRESS_TAGS))
        keep = np.array([v is not None for v in labels], dtype=bool)[pt_local]
        poly, pt_local = poly[keep], pt_local[keep]
        pair_label = labels[pt_local]
        multi = np.bincount(poly, minlength=n)[poly] > 1
        one = poly[~multi]  # the common case: one address point in the polygon
        has_point[one] = 1
        first[one] = pair_label[~multi]
        own_matched[one] = own[one] == pair_label[~multi]
        if multi.any():
            poly, pt_local, pair_label = poly[multi], pt_local[multi], pair_label[multi]
            order = address_order(_column(sub, "addr:street"), _column(sub, "addr:housenumber"))
            label_code, label_uniques = pd.factorize(pd.Series(pair_label, dtype=object))
            by = np.lexsort((order[pt_local], poly))
            poly, label_code = poly[by], label_code[by]
            # one row per (polygon, label): an address point mapped twice counts once
            pair = np.lexsort((label_code, poly))
            dup = np.zeros(len(poly), dtype=bool)
            same = (poly[pair][1:] == poly[pair][:-1]) & (
                label_code[pair][1:] == label_code[pair][:-1]
            )
            dup[pair[1:][same]] = True
            poly, label_code = poly[~dup], label_code[~dup]  # the first of each stays
            has_point += np.bincount(poly, minlength=n)
            heads = np.r_[True, poly[1:] != poly[:-1]]
            first[poly[heads]] = np.asarray(label_uniques, dtype=object)[label_code[heads]]
            own_code = pd.Index(label_uniques).get_indexer(pd.Series(own[poly], dtype=object))
            own_matched[poly[own_code == label_code]] = True
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


def _column(frame: pd.DataFrame, key: str):
    return frame[key] if key in frame else pd.Series(None, index=frame.index, dtype=object)


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
        text = _clean(frame[full])
        return np.where(text == "", None, text).astype(object)
    if not any(n in cols for n in (*STREET_NAMES, *NUMBER_NAMES)):
        return None
    return format_addresses(
        pick(STREET_NAMES), pick(NUMBER_NAMES), pick(POSTCODE_NAMES), pick(CITY_NAMES)
    )


def own_tag_addresses(tags: pd.DataFrame) -> np.ndarray:
    """Each row's address from its ``addr:*`` columns (missing columns count as empty);
    formatted only for the rows that have a street or a number."""
    cols = [_column(tags, k).to_numpy(dtype=object) for k in ADDRESS_TAGS]
    some = ~(pd.isna(cols[0]) & pd.isna(cols[1]))
    out = np.full(len(tags), None, dtype=object)
    if some.any():
        out[some] = format_addresses(*(c[some] for c in cols))
    return out
