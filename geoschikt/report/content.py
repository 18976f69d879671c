"""What the report says: tables, numbers and texts (nl/en by key) for a score or batch run.

Computes the content once; ``pdf.py`` and ``htmldoc.py`` only lay it out. Every number comes
from the run's own files (``run.json``, ``candidates.gpkg``, ``robustness.csv``), and each table
or figure says in plain words what its numbers mean.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd

import geoschikt.report.figures as figures
from geoschikt.config import Config, Criterion, load_config
from geoschikt.decide.robustness import spread_text
from geoschikt.report.model import (
    Block,
    Bullets,
    Figure,
    FigureGrid,
    Heading,
    PageBreak,
    Para,
    Report,
    Table,
)
from geoschikt.report.runs import Batch, Robustness, Run, open_run
from geoschikt.report.texts import TEXT, metres, number, percent
from geoschikt.scoring import dist_col, value_col, why_not_assessed

# Hard limits of the default configuration and the source they follow (config/default.toml):
# the report names that source only while the run uses the default value.
LIMIT_SOURCES = {
    ("transit", "max_m"): "source_coa_transit",
    ("school", "max_m"): "source_coa_school",
    ("supermarket", "max_m"): "source_coa_shops",
}
BLUR_STEP_M = 50.0  # distances on a blurred report are rounded to this, as on a blurred map
BATCH_SITE_MAPS = 3  # site maps per region in a batch report


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def address(row: pd.Series) -> str:
    """The address a reader recognises: the ``address`` column when the run has one, else the
    OSM name and ``addr:*`` tags; empty when there is none."""
    given = _text(row.get("address"))
    if given:
        return given
    street = " ".join(
        p for p in (_text(row.get("addr:street")), _text(row.get("addr:housenumber"))) if p
    )
    place = " ".join(p for p in (_text(row.get("addr:postcode")), _text(row.get("addr:city"))) if p)
    addr = ", ".join(p for p in (street, place) if p)
    name = _text(row.get("name"))
    return ", ".join(p for p in (name, addr) if p)


def has_address(frame: pd.DataFrame) -> pd.Series:
    """Whether :func:`address` gives anything, for every row at once."""
    found = pd.Series(False, index=frame.index)
    for col in ("address", "name", "addr:street", "addr:housenumber", "addr:postcode", "addr:city"):
        if col in frame:
            found |= frame[col].fillna("").astype(str).str.strip() != ""
    return found


def failed_keys(fails) -> set[str]:
    """The criteria whose hard limit a candidate misses, from the ``fails`` column
    (``"transit: 640 m > 500 m; school: ..."``)."""
    text = _text(fails)
    return {part.split(":", 1)[0].strip() for part in text.split(";") if ":" in part}


def _assessed(config: Config, record: dict) -> tuple[list[Criterion], dict[str, str]]:
    not_assessed = dict(record.get("criteria_not_assessed") or {})
    return [c for c in config.criteria if c.key not in not_assessed], not_assessed


def _limit(c: Criterion, t: dict, lang: str) -> str:
    parts = []
    if c.max_m is not None:
        parts.append(t["limit_max"].format(d=metres(c.max_m, lang)))
    if c.min_m is not None:
        parts.append(t["limit_min"].format(d=metres(c.min_m, lang)))
    return "; ".join(parts) or t["limit_none"]


def _limit_source(c: Criterion, defaults: dict[str, Criterion], t: dict) -> str:
    if c.max_m is None and c.min_m is None:
        return "–"
    base = defaults.get(c.key)
    for (key, field), text_key in LIMIT_SOURCES.items():
        if key == c.key and base is not None and getattr(c, field) == getattr(base, field):
            other = "min_m" if field == "max_m" else "max_m"
            if getattr(c, other) is None:
                return t[text_key]
    return t["source_own"]


def _curve(c: Criterion, t: dict, lang: str) -> tuple[str, str, str]:
    """(full score up to, 0 from, curve) in words."""
    if c.measure == "pressure":
        full = t["pressure_full"].format(v=number(c.full_at, lang))
        zero = t["pressure_full"].format(v=number(c.zero_at, lang))
    elif c.measure == "raster":
        full, zero = number(c.full_at, lang, 1), number(c.zero_at, lang, 1)
    else:
        full, zero = metres(c.near_m, lang), metres(c.far_m, lang)
    k = number(c.steepness, lang, 1)
    curve = t[f"curve_{c.decay}"].format(k=k) if f"curve_{c.decay}" in t else c.decay
    if c.direction == "away" and c.measure == "distance":
        curve = f"{curve}; {t['away']}"
        full, zero = zero, full
    return full, zero, curve


def _counts(c: Criterion, raw: dict, t: dict) -> str:
    spec = raw.get("criteria", {}).get(c.key, {})
    tags = ", ".join(tag.replace("|", " | ") for tag in spec.get("tags", []))
    if c.measure == "pressure":
        return t["pressure_counts"].format(tags=tags)
    if c.measure == "raster":
        return t["raster_counts"].format(raster=getattr(c.raster, "name", c.raster))
    excl = spec.get("exclude", [])
    excl = ", ".join(tag.replace("|", " | ") for tag in excl)
    return tags + (f" (− {excl})" if excl else "")


def method_section(config: Config, record: dict, t: dict, lang: str) -> list[Block]:
    """What was scored and why: criteria, weights, curves, hard limits and their sources."""
    assessed, not_assessed = _assessed(config, record)
    total_w = sum(c.weight for c in assessed) or 1.0
    defaults = {c.key: c for c in load_config().criteria}
    rows = []
    for c in config.criteria:
        full, zero, curve = _curve(c, t, lang)
        share = percent(c.weight / total_w, lang) if c.key not in not_assessed else "–"
        rows.append(
            (
                c.label(lang),
                _counts(c, dict(config.raw), t),
                t["weight_share"].format(
                    w=number(c.weight, lang, 1 if c.weight % 1 else 0), share=share
                ),
                full,
                zero,
                curve,
                _limit(c, t, lang),
                _limit_source(c, defaults, t),
            )
        )
    blocks: list[Block] = [Heading(t["h_method"]), Para(t["method"])]
    if config.distance == "euclidean":
        blocks.append(Para(t["method_euclidean"]))
    blocks.append(
        Table(
            (
                t["col_criterion"],
                t["col_counts"],
                t["col_weight"],
                t["col_full"],
                t["col_zero"],
                t["col_curve"],
                t["col_limit"],
                t["col_limit_source"],
            ),
            tuple(rows),
            numeric=(False, False, True, True, True, False, False, False),
            widths=(1.3, 2.0, 0.8, 0.8, 0.8, 1.1, 0.9, 1.6),
            caption=t["criteria_caption"],
            small=True,
        )
    )
    blocks.append(Para(t["weights_source"], "note"))
    sources = [s for s in record.get("config_sources", []) if not str(s).endswith("default.toml")]
    if sources:
        blocks.append(
            Para(t["weights_changed"].format(sources=", ".join(map(str, sources))), "note")
        )
    if not_assessed:
        blocks.append(Heading(t["not_assessed_h"], 2))
        blocks.append(
            Bullets(
                tuple(
                    t["not_assessed_item"].format(
                        label=c.label(lang), why=why_not_assessed(c, record, lang)
                    )
                    for c in config.criteria
                    if c.key in not_assessed
                )
            )
        )
    return blocks


def _distance_cell(
    row: pd.Series, c: Criterion, fails: set[str], not_assessed, t, lang, blurred: bool = False
) -> str:
    if c.key in not_assessed:
        return t["not_assessed_short"]
    if c.scored_on == "value":
        value = pd.to_numeric(row.get(value_col(c.key)), errors="coerce")
        text = (
            t["places"].format(v=number(value, lang))
            if c.measure == "pressure"
            else number(value, lang, 2 if c.measure == "share" else 1)
        )
        if not math.isfinite(value):
            text = t["unknown"]
    else:
        d = pd.to_numeric(row.get(dist_col(c.key)), errors="coerce")
        if math.isfinite(d):
            text = metres(round(d / BLUR_STEP_M) * BLUR_STEP_M if blurred else d, lang)
        else:
            snap = pd.to_numeric(row.get("snap_walk_m", 0.0), errors="coerce")
            text = t["beyond"] if (math.isfinite(snap) or c.mode == "straight") else t["unknown"]
    return f"{text} ✗" if c.key in fails else text


def top_rows(run: Run, n: int) -> pd.DataFrame:
    return run.candidates.head(n)


def top_section(run: Run, top: pd.DataFrame, t: dict, lang: str, level: int = 1) -> list[Block]:
    """The best N: address, rank, suitability, hard limits; then distances per criterion."""
    config, record = run.config, run.record
    _, not_assessed = _assessed(config, record)
    labels = {c.key: c.label(lang) for c in config.criteria}
    n = len(top)
    rows = []
    for i, (_, row) in enumerate(top.iterrows(), start=1):
        fails = failed_keys(row.get("fails"))
        passes = (
            t["passes_yes"]
            if not fails
            else t["passes_no"].format(which=", ".join(labels.get(k, k) for k in sorted(fails)))
        )
        where = (
            (t["site_n"].format(i=i), "–")
            if run.blur_m > 0
            else (address(row) or t["no_address"], str(row["candidate_id"]))
        )
        rows.append(
            (str(i), str(int(row["rank"])), *where, number(row["suitability"], lang, 1), passes)
        )
    blocks: list[Block] = [Heading(t["h_top"].format(n=n), level), Para(t["top_intro"].format(n=n))]
    if run.blur_m > 0:
        blocks.append(Para(t["blurred"].format(m=metres(run.blur_m, lang)), "note"))
    else:
        blocks.append(Para(t["privacy"], "note"))
    ties = int((run.candidates["rank"] == 1).sum())
    if ties > n:
        blocks.append(Para(t["top_ties"].format(k=number(ties, lang), n=n), "note"))
    blocks.append(
        Table(
            (
                t["col_nr"],
                t["col_rank"],
                t["col_address"],
                t["col_id"],
                t["col_suitability"],
                t["col_passes"],
            ),
            tuple(rows),
            numeric=(True, True, False, False, True, False),
            widths=(0.4, 0.5, 2.6, 1.5, 1.1, 1.6),
        )
    )
    blocks += [Heading(t["h_distances"], 2), Para(t["distances_intro"])]
    per_table = 6  # criteria per table, so that every column stays readable on A4
    crits = list(config.criteria)
    for part in range(0, len(crits), per_table):
        chunk = crits[part : part + per_table]
        drows = []
        for i, (_, row) in enumerate(top.iterrows(), start=1):
            fails = failed_keys(row.get("fails"))
            drows.append(
                (
                    str(i),
                    *(
                        _distance_cell(row, c, fails, not_assessed, t, lang, run.blur_m > 0)
                        for c in chunk
                    ),
                )
            )
        k = len(chunk)
        blocks.append(
            Table(
                (t["col_nr"], *(c.label(lang) for c in chunk)),
                tuple(drows),
                numeric=(True,) * (k + 1),
                widths=(0.4,) + (1.0,) * k,
                small=True,
            )
        )
    return blocks


def overview_figure(run: Run, top: pd.DataFrame, t: dict, lang: str) -> Figure:
    assessed, _ = _assessed(run.config, run.record)
    png, aspect = figures.overview_map(
        run.candidates, run.area, run.pois, assessed, top, t, lang, blur_m=run.blur_m
    )
    area = run.record.get("area", {}).get("name", "")
    caption = t["overview_caption"].format(n=len(top))
    if run.blur_m > 0:
        caption = t["overview_caption_blurred"].format(n=len(top), m=metres(run.blur_m, lang))
    return Figure(png, caption, alt=f"{t['h_overview']}: {area}", aspect=aspect)


def site_maps(
    run: Run, top: pd.DataFrame, t: dict, lang: str, limit: int | None = None, level: int = 1
) -> list[Block]:
    if run.blur_m > 0:
        return [Heading(t["h_sites"], level), Para(t["blurred"].format(m=metres(run.blur_m, lang)))]
    assessed, _ = _assessed(run.config, run.record)
    half = 350.0
    figs = []
    for i, (_, row) in enumerate(top.head(limit).iterrows(), start=1):
        label = address(row) or str(row["candidate_id"])
        title = f"{i}. {label}"[:70]
        png, aspect = figures.site_map(
            run.candidates, row, run.area, run.pois, assessed, title, t, lang, half_m=half
        )
        figs.append(Figure(png, "", alt=title, width=1 / 3, aspect=aspect))
    if not figs:
        return []
    legend, aspect = figures.legend_strip(assessed, t, lang)
    return [
        Heading(t["h_sites"], level),
        Para(t["sites_caption"].format(w=metres(2 * half, lang))),
        Figure(legend, "", alt=t["h_sites"], aspect=aspect),
        FigureGrid(tuple(figs), columns=3),
    ]


def distributions_section(run: Run, t: dict, lang: str) -> list[Block]:
    assessed, _ = _assessed(run.config, run.record)
    cands = run.candidates
    png, aspect = figures.histograms(cands, assessed, t, lang)
    rows = []
    for c in assessed:
        col = value_col(c.key) if c.scored_on == "value" else dist_col(c.key)
        v = pd.to_numeric(cands.get(col), errors="coerce").to_numpy(dtype=float)
        finite = v[np.isfinite(v)]
        fmt = (
            (lambda x: metres(x, lang))
            if col == dist_col(c.key)
            else (lambda x: number(x, lang, 1))
        )
        if len(finite):
            p10, med, p90 = np.percentile(finite, [10, 50, 90])
            median, spread = fmt(med), f"{fmt(p10)} – {fmt(p90)}"
        else:
            median = spread = "–"
        if c.max_m is not None or c.min_m is not None:
            missed = cands["fails"].map(lambda f, k=c.key: k in failed_keys(f))
            within = percent(1 - missed.mean(), lang)
        else:
            within = "–"
        missing = int((~np.isfinite(v)).sum()) if col == dist_col(c.key) else 0
        rows.append((c.label(lang), median, spread, within, number(missing, lang)))
    return [
        Heading(t["h_distributions"]),
        Para(t["distributions_intro"].format(n=number(len(cands), lang))),
        Figure(png, "", alt=t["h_distributions"], aspect=aspect),
        Table(
            (
                t["col_criterion"],
                t["col_median"],
                t["col_p10_p90"],
                t["col_within_limit"],
                t["col_beyond"],
            ),
            tuple(rows),
            numeric=(False, True, True, True, True),
            widths=(2.0, 1.0, 1.6, 1.0, 1.1),
        ),
    ]


def coverage_section(run: Run, t: dict, lang: str, level: int = 1) -> list[Block]:
    config, record, cands = run.config, run.record, run.candidates
    _, not_assessed = _assessed(config, record)
    found = (record.get("counts") or {}).get("features") or {}
    rows = []
    for c in config.criteria:
        if c.key in not_assessed:
            rows.append((c.label(lang), t["not_assessed_short"]))
        else:
            count = int(found.get(c.key, 0))
            rows.append((c.label(lang), number(count, lang) if count else t["features_none"]))
    blocks: list[Block] = [
        Heading(t["h_coverage"], level),
        Para(t["coverage_intro"]),
        Table(
            (t["col_criterion"], t["col_features"]),
            tuple(rows),
            numeric=(False, True),
            widths=(2.5, 2.0),
        ),
    ]
    notes = []
    networks = (record.get("counts") or {}).get("networks") or {}
    off = sum(int(v.get("candidates_off_network", 0)) for v in networks.values())
    if off:
        notes.append(
            t["off_network"].format(n=number(off, lang), d=metres(config.network.max_snap_m, lang))
        )
    with_address = int(has_address(cands).sum())
    notes.append(
        t["address_coverage"].format(
            n=number(with_address, lang),
            total=number(len(cands), lang),
            share=percent(with_address / max(len(cands), 1), lang),
        )
    )
    if "coverage" in cands.columns:
        cov = pd.to_numeric(cands["coverage"], errors="coerce").dropna()
        if len(cov):
            digits = 2 if cov.max() <= 1 else 0
            notes.append(
                t["coverage_column"].format(
                    median=number(cov.median(), lang, digits), low=number(cov.min(), lang, digits)
                )
            )
    for c in config.criteria:
        if c.key in not_assessed:
            why = why_not_assessed(c, record, lang)
            notes.append(t["not_assessed_item"].format(label=c.label(lang), why=why))
    if not not_assessed:
        notes.append(t["all_assessed"])
    notes.append(t["not_in_model"])
    blocks.append(Bullets(tuple(notes)))
    return blocks


def robustness_section(
    rob: Robustness | None,
    items: list[tuple[str, str, str | None]],
    t: dict,
    lang: str,
    level: int = 1,
) -> list[Block]:
    """P(top), P(first) and the rank range of ``items`` (label, candidate_id, region_id or
    None), from ``robustness.csv``."""
    if rob is None:
        return [Heading(t["h_robustness"], level), Para(t["robustness_none"], "note")]
    table = rob.table.assign(candidate_id=rob.table["candidate_id"].astype(str))
    keys = ["region_id", "candidate_id"] if "region_id" in table else ["candidate_id"]
    table = table.drop_duplicates(keys).set_index(keys)
    rows = []
    for i, (label, cid, region) in enumerate(items, start=1):
        key = (region, cid) if len(keys) == 2 else cid
        if key not in table.index:
            rows.append((str(i), label, t["robustness_missing"], "", ""))
            continue
        r = table.loc[key]
        ranks = " – ".join(
            number(float(r[k]), lang) for k in ("rank_p05", "rank_median", "rank_p95")
        )
        p_top, p_best = percent(float(r["p_top"]), lang), percent(float(r["p_best"]), lang)
        rows.append((str(i), label, p_top, p_best, ranks))
    blocks: list[Block] = [Heading(t["h_robustness"], level), Para(t["robustness_intro"])]
    st = rob.settings
    if {"top", "samples", "spread"} <= set(st):
        blocks.append(
            Para(
                t["robustness_settings"].format(
                    samples=number(st["samples"], lang),
                    how=spread_text(st["spread"], lang),
                    k=st["top"],
                )
            )
        )
    blocks += [
        Table(
            (t["col_nr"], t["col_address"], t["col_p_top"], t["col_p_best"], t["col_rank_range"]),
            tuple(rows),
            numeric=(True, False, True, True, True),
            widths=(0.4, 3.0, 0.9, 0.9, 1.8),
        ),
        Para(t["robustness_source"].format(path=rob.path), "note"),
    ]
    return blocks


def _items(run: Run, top: pd.DataFrame, t: dict, region: str | None = None) -> list:
    return [
        (
            t["site_n"].format(i=i) if run.blur_m > 0 else address(row) or str(row["candidate_id"]),
            str(row["candidate_id"]),
            region,
        )
        for i, (_, row) in enumerate(top.iterrows(), start=1)
    ]


def _batch_items(rob: Robustness, top: int, blurred: dict | None) -> list:
    """The batch's best ``top`` by its combined ranking (as robustness.csv holds it); with
    ``blurred`` (the texts) sites are numbered instead of named."""
    table = rob.table.sort_values(["rank", "candidate_id"], kind="stable").head(top)
    out = []
    for i, (_, r) in enumerate(table.iterrows(), start=1):
        region = _text(r.get("region_id")) or None
        label = _text(r.get("label")) or str(r["candidate_id"])
        if blurred is not None:
            label = blurred["site_n"].format(i=i)
        out.append((f"{label} ({region})" if region else label, str(r["candidate_id"]), region))
    return out


def config_sha256(raw: dict) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()


def provenance_section(
    record: dict, config: Config, t: dict, lang: str, extra: list[tuple[str, str]] = ()
) -> list[Block]:
    rows: list[tuple[str, str]] = [
        (t["prov_version"], str(record.get("geoschikt_version", t["unknown_value"]))),
    ]
    if record.get("started"):
        rows.append((t["prov_started"], str(record["started"])))
    if record.get("command"):
        rows.append((t["prov_command"], str(record["command"])))
    if record.get("area"):
        area = record["area"]
        rows.append((t["prov_area"], f"{area.get('name', '')} ({area.get('source', '')})"))
    for inp in record.get("inputs", []):
        label = (
            t["prov_osm"]
            if inp.get("role") == "osm"
            else t["prov_input"].format(role=inp.get("role", ""))
        )
        rows.append((label, f"{inp.get('path', '')}\nSHA-256 {inp.get('sha256', '')}"))
    if "osm" in record:  # a batch record
        rows.append(
            (
                t["prov_osm"],
                f"{record['osm'].get('path', '')}\nSHA-256 {record['osm'].get('sha256', '')}",
            )
        )
    if record.get("osm_data_timestamp"):
        how = record.get("osm_data_timestamp_source")
        rows.append(
            (t["prov_osm_date"], f"{record['osm_data_timestamp']}" + (f" ({how})" if how else ""))
        )
    rows += list(extra)
    rows.append((t["prov_config"], ", ".join(map(str, record.get("config_sources", [])))))
    rows.append((t["prov_config_hash"], config_sha256(dict(config.raw))))
    rows.append((t["prov_candidates"], ", ".join(config.candidates.building_types)))
    rows.append(
        (
            t["prov_floor_area"],
            f"{number(config.candidates.min_floor_area_m2, lang)} – "
            f"{number(config.candidates.max_floor_area_m2, lang)} m²",
        )
    )
    if record.get("crs"):
        rows.append((t["prov_crs"], str(record["crs"])))
    rows.append((t["prov_distance"], t.get(f"distance_{config.distance}", config.distance)))
    for name, out in sorted((record.get("outputs") or {}).items()):
        if name in ("candidates.csv", "candidates.gpkg", "distances.npz"):
            rows.append((t["prov_outputs"].format(name=name), f"SHA-256 {out.get('sha256', '')}"))
    libs = record.get("libraries") or {}
    if libs:
        rows.append((t["prov_libraries"], ", ".join(f"{k} {v}" for k, v in libs.items())))
    return [
        Heading(t["h_provenance"]),
        Para(t["provenance_intro"]),
        Table(("", ""), tuple(rows), widths=(1.3, 3.7), small=True),
        Para(t["data_attribution"], "note"),
    ]


def _summary(run: Run, t: dict, lang: str) -> str:
    cands = run.candidates
    passing = int(cands["passes"].sum())
    suit = cands["suitability"].to_numpy(dtype=float)
    return t["summary"].format(
        n=number(len(cands), lang),
        passing=number(passing, lang),
        share=percent(passing / max(len(cands), 1), lang),
        best=number(np.nanmax(suit) if np.isfinite(suit).any() else None, lang, 1),
        median=number(np.nanmedian(suit) if np.isfinite(suit).any() else None, lang, 1),
    )


def _date(stamp: str | None, t: dict) -> str:
    return str(stamp)[:10] if stamp else t["unknown_value"]


def run_report(
    run: Run,
    *,
    lang: str = "nl",
    top: int = 10,
    title: str | None = None,
    blur_m: float | None = None,
) -> Report:
    """The report of one ``score`` run; ``blur_m`` (default: the run's [map] blur_m) > 0 makes
    a version for publication."""
    if blur_m is not None:
        run = replace(run, blur_m=float(blur_m))
    t = TEXT[lang]
    rec = run.record
    title = title or t["title"]
    subtitle = t["subtitle"].format(
        area=rec.get("area", {}).get("name", ""),
        date=_date(rec.get("osm_data_timestamp"), t),
        version=rec.get("geoschikt_version", "?"),
    )
    best = top_rows(run, top)
    blocks: list[Block] = [
        Para(_summary(run, t, lang), "lead"),
        Para(t["reading_guide"]),
        Para(
            t["made_on"].format(date=datetime.now(UTC).strftime("%Y-%m-%d"), run=run.path), "note"
        ),
        *method_section(run.config, rec, t, lang),
        PageBreak(),
        Heading(t["h_overview"]),
        overview_figure(run, best, t, lang),
        *top_section(run, best, t, lang),
        *site_maps(run, best, t, lang),
        PageBreak(),
        *distributions_section(run, t, lang),
        *coverage_section(run, t, lang),
        *robustness_section(run.robustness, _items(run, best, t), t, lang),
        *provenance_section(rec, run.config, t, lang),
    ]
    return Report(title, subtitle, lang, t["footer"], tuple(blocks))


def _regions_table(batch: Batch, t: dict, lang: str) -> Table:
    rows = []
    for _, r in batch.summary.iterrows():
        ok = r["status"] == "ok"
        rows.append(
            (
                f"{_text(r['region_name'])} ({_text(r['region_id'])})",
                t["status_ok"] if ok else _text(r["status"]),
                number(pd.to_numeric(r.get("candidates"), errors="coerce"), lang),
                number(pd.to_numeric(r.get("passing"), errors="coerce"), lang),
                number(pd.to_numeric(r.get("best_suitability"), errors="coerce"), lang, 1),
                number(pd.to_numeric(r.get("median_suitability"), errors="coerce"), lang, 1),
                _text(r.get("reason")),
            )
        )
    return Table(
        (
            t["col_region"],
            t["col_status"],
            t["col_candidates"],
            t["col_passing"],
            t["col_best"],
            t["col_median_suit"],
            t["col_reason"],
        ),
        tuple(rows),
        numeric=(False, False, True, True, True, True, False),
        widths=(1.8, 0.9, 0.8, 0.9, 0.7, 0.7, 2.0),
        small=True,
    )


def batch_report(
    batch: Batch,
    *,
    lang: str = "nl",
    top: int = 10,
    title: str | None = None,
    blur_m: float | None = None,
) -> Report:
    """The report of a ``batch`` run: an overview, then one section per region."""
    t = TEXT[lang]
    s = batch.summary
    ok = s[s["status"] == "ok"]
    title = title or t["title_batch"].format(n=len(s))
    runs = {rid: open_run(batch.region_dir(rid)) for rid in ok["region_id"]}
    if blur_m is not None:
        runs = {rid: replace(r, blur_m=float(blur_m)) for rid, r in runs.items()}
    blurred = any(r.blur_m > 0 for r in runs.values())
    first = next(iter(runs.values()), None)
    stamp = first.record.get("osm_data_timestamp") if first else None
    subtitle = t["subtitle"].format(
        area=", ".join(map(str, s["region_name"].head(6))) + (" …" if len(s) > 6 else ""),
        date=_date(stamp, t),
        version=batch.record.get("geoschikt_version", "?"),
    )
    record = dict(first.record) if first else {}
    blocks: list[Block] = [
        Para(
            t["summary_batch"].format(
                ok=number(len(ok), lang),
                n=number(len(s), lang),
                cands=number(pd.to_numeric(ok["candidates"]).sum(), lang),
                passing=number(pd.to_numeric(ok["passing"]).sum(), lang),
            ),
            "lead",
        ),
        Para(t["reading_guide"]),
        Para(
            t["made_on"].format(date=datetime.now(UTC).strftime("%Y-%m-%d"), run=batch.path), "note"
        ),
        *method_section(
            batch.config,
            {**record, "config_sources": batch.record.get("config_sources", [])},
            t,
            lang,
        ),
        PageBreak(),
        Heading(t["h_regions"]),
    ]
    if batch.regions is not None:
        png, aspect = figures.regions_map(batch.regions, t, lang)
        blocks.append(Figure(png, t["regions_caption"], alt=t["h_regions"], aspect=aspect))
    blocks += [Para(t["regions_intro"]), _regions_table(batch, t, lang)]
    if batch.robustness is not None:
        items = _batch_items(batch.robustness, top, t if blurred else None)
        blocks += robustness_section(batch.robustness, items, t, lang, level=2)
    for _, r in s.iterrows():
        rid = str(r["region_id"])
        blocks += [PageBreak(), Heading(t["h_region"].format(name=_text(r["region_name"]), id=rid))]
        if rid not in runs:
            blocks.append(
                Para(
                    t["region_not_scored"].format(
                        reason=_text(r.get("reason")) or _text(r["status"])
                    )
                )
            )
            continue
        run = runs[rid]
        best = top_rows(run, top)
        blocks += [
            Para(_summary(run, t, lang), "lead"),
            overview_figure(run, best, t, lang),
            *top_section(run, best, t, lang, level=2),
            *site_maps(run, best, t, lang, limit=BATCH_SITE_MAPS, level=2),
            *coverage_section(run, t, lang, level=2),
        ]
        if run.robustness is not None:
            blocks += robustness_section(
                run.robustness, _items(run, best, t, rid), t, lang, level=2
            )
    prov = {k: v for k, v in batch.record.items() if k != "config"}
    if stamp:
        prov["osm_data_timestamp"] = stamp
        prov["osm_data_timestamp_source"] = record.get("osm_data_timestamp_source")
    blocks += [PageBreak(), *provenance_section(prov, batch.config, t, lang)]
    return Report(title, subtitle, lang, t["footer"], tuple(blocks))
