"""Static figures for the report (matplotlib, no background tiles): maps and histograms as PNG.

Maps are drawn in the run's metric CRS (EPSG:28992 or UTM: grid north is within a few degrees of
true north), suitability in viridis (colour-blind safe, readable in grey), facilities as open
neutral symbols that never reuse the suitability colours. Each figure is its own
``matplotlib.figure.Figure`` (no pyplot state), so nothing global changes.
"""

from __future__ import annotations

import io
import math

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Rectangle

from geoschikt.config import Criterion
from geoschikt.scoring import dist_col, value_col

CMAP = matplotlib.colormaps["viridis"]
NORM = Normalize(0, 100)
FAIL = "#c4c4c4"
INK = "#222222"
DPI = 150
MARKERS = {
    "transit": "^",
    "school": "s",
    "supermarket": "D",
    "gp": "P",
    "pharmacy": "X",
    "reception": "o",
}
OTHER_MARKERS = ("v", "h", "p", "*", "<", ">")
NICE = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def plain(text: str) -> str:
    """``text`` shown as it is (a ``$`` would start matplotlib's math mode)."""
    return str(text).replace("$", r"\$")


def marker(key: str, keys: list[str]) -> str:
    if key in MARKERS:
        return MARKERS[key]
    others = [k for k in keys if k not in MARKERS]
    return OTHER_MARKERS[others.index(key) % len(OTHER_MARKERS)] if key in others else "v"


def _scale_bar(ax, lang: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width = x1 - x0
    length = max((n for n in NICE if n <= width / 4), default=NICE[0])
    x, y = x0 + width * 0.04, y0 + (y1 - y0) * 0.05
    h = (y1 - y0) * 0.012
    ax.add_patch(Rectangle((x, y), length / 2, h, facecolor=INK, edgecolor=INK, zorder=10))
    ax.add_patch(
        Rectangle((x + length / 2, y), length / 2, h, facecolor="white", edgecolor=INK, zorder=10)
    )
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length} m"
    ax.text(
        x + length / 2,
        y + 2.2 * h,
        label,
        ha="center",
        va="bottom",
        fontsize=7,
        color=INK,
        zorder=10,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1},
    )


def _north_arrow(ax, label: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    dy = (y1 - y0) * 0.08
    x, y = x1 - (x1 - x0) * 0.05, y1 - (y1 - y0) * 0.06 - dy
    ax.add_patch(
        FancyArrow(
            x,
            y,
            0,
            dy,
            width=dy * 0.12,
            head_width=dy * 0.45,
            head_length=dy * 0.4,
            length_includes_head=True,
            color=INK,
            zorder=10,
        )
    )
    ax.text(
        x,
        y - dy * 0.1,
        label,
        ha="center",
        va="top",
        fontsize=8,
        fontweight="bold",
        color=INK,
        zorder=10,
    )


def _attribution(ax, text: str) -> None:
    ax.text(
        0.995,
        0.005,
        text,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=6,
        color=INK,
        zorder=10,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 1},
    )


def _frame(ax, bounds: tuple[float, float, float, float], aspect: float) -> None:
    """Fit ``bounds`` into axes of height/width ``aspect`` with equal scales."""
    left, bottom, right, top = bounds
    w, h = max(right - left, 1.0), max(top - bottom, 1.0)
    if h / w < aspect:
        extra = (w * aspect - h) / 2
        bottom, top = bottom - extra, top + extra
    else:
        extra = (h / aspect - w) / 2
        left, right = left - extra, right + extra
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#888888")
        spine.set_linewidth(0.6)


def _points(cands: gpd.GeoDataFrame) -> np.ndarray:
    pts = shapely.point_on_surface(cands.geometry.values)
    return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])


def _facilities(
    ax, pois: gpd.GeoDataFrame | None, criteria: list[Criterion], lang: str, bounds, size: float
) -> list[Line2D]:
    handles = []
    if pois is None or not len(pois):
        return handles
    keys = [c.key for c in criteria]
    box = shapely.box(*bounds)
    for c in criteria:
        sel = pois[(pois["category"] == c.key) & pois.geometry.intersects(box)]
        if not len(sel):
            continue
        m = marker(c.key, keys)
        xy = _points(sel)
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            marker=m,
            s=size,
            facecolors="white",
            edgecolors=INK,
            linewidths=0.7,
            zorder=6,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker=m,
                linestyle="",
                markerfacecolor="white",
                markeredgecolor=INK,
                markersize=6,
                label=plain(c.label(lang)),
            )
        )
    return handles


def _labels(ax, xy: np.ndarray) -> None:
    """Number the points 1..n with boxed labels placed greedily so that they do not overlap."""
    fig = ax.figure
    fig.canvas.draw_idle()
    to_px = ax.transData.transform
    px_per_pt = fig.dpi / 72
    size = np.array([16, 11]) * px_per_pt  # a label of two digits, in pixels
    offsets = [
        (r * math.cos(a), r * math.sin(a))
        for r in (14, 24, 34, 46, 60)
        for a in np.radians([45, 135, -45, -135, 90, -90, 0, 180])
    ]
    placed: list[np.ndarray] = []
    points = to_px(xy)
    for i, (x, y) in enumerate(xy, start=1):
        px = points[i - 1]
        best = offsets[0]
        for dx, dy in offsets:
            centre = px + np.array([dx, dy]) * px_per_pt
            if all((abs(centre - other) >= size).any() for other in placed):
                best = (dx, dy)
                break
        placed.append(px + np.array(best) * px_per_pt)
        ax.annotate(
            str(i),
            (x, y),
            xytext=best,
            textcoords="offset points",
            fontsize=7,
            fontweight="bold",
            color=INK,
            zorder=9,
            ha="center",
            va="center",
            bbox={
                "boxstyle": "round,pad=0.15",
                "facecolor": "white",
                "edgecolor": INK,
                "linewidth": 0.5,
            },
            arrowprops={
                "arrowstyle": "-",
                "color": INK,
                "linewidth": 0.5,
                "shrinkA": 0,
                "shrinkB": 2,
            },
        )


def _snap(xy: np.ndarray, cell_m: float) -> np.ndarray:
    """The centre of the ``cell_m`` grid square each point lies in (unchanged for 0)."""
    if cell_m <= 0:
        return xy
    return (np.floor(xy / cell_m) + 0.5) * cell_m


def _polygons(ax, geoms, facecolors, *, edgecolor="none", linewidth=0.0, zorder=3) -> None:
    """Polygon outer rings as one PolyCollection (holes of building footprints do not show at
    these scales); many times faster than a patch per polygon."""
    parts = shapely.get_parts(np.asarray(geoms))
    if not len(parts):
        return
    owner = np.repeat(np.arange(len(geoms)), shapely.get_num_geometries(np.asarray(geoms)))
    rings = [np.asarray(r.coords)[:, :2] for r in shapely.get_exterior_ring(parts)]
    if not isinstance(facecolors, str):
        facecolors = np.asarray(facecolors)[owner]
    ax.add_collection(
        PolyCollection(
            rings,
            facecolors=facecolors,
            edgecolors=edgecolor,
            linewidths=linewidth,
            zorder=zorder,
        )
    )


def _clean(ax) -> None:
    """No axis labels (geopandas adds the CRS's axis names)."""
    ax.set_xlabel("")
    ax.set_ylabel("")


def overview_map(
    cands: gpd.GeoDataFrame,
    area: gpd.GeoDataFrame | None,
    pois: gpd.GeoDataFrame | None,
    criteria: list[Criterion],
    top: pd.DataFrame,
    t: dict[str, str],
    lang: str,
    blur_m: float = 0.0,
) -> tuple[bytes, float]:
    """The whole area: candidates as dots coloured by suitability, the top sites numbered.
    With ``blur_m``, every dot is the centre of its ``blur_m`` grid square."""
    aspect = 0.86
    fig = Figure(figsize=(7.0, 7.0 * aspect))
    ax = fig.add_axes((0.005, 0.17, 0.99, 0.825))
    xy = _snap(_points(cands), blur_m)
    bounds = (
        area.total_bounds
        if area is not None and len(area)
        else np.r_[xy.min(axis=0), xy.max(axis=0)]
    )
    pad = 0.03 * max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    bounds = (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)
    _frame(ax, bounds, 0.825 * aspect / 0.99)
    if area is not None and len(area):
        area.boundary.plot(ax=ax, color=INK, linewidth=0.9, zorder=2)
    suit = cands["suitability"].to_numpy(dtype=float)
    passes = cands["passes"].to_numpy(dtype=bool)
    size = float(np.clip(40_000 / max(len(cands), 1), 1.5, 14))
    ax.scatter(xy[~passes, 0], xy[~passes, 1], s=size * 0.7, c=FAIL, linewidths=0, zorder=3)
    order = np.argsort(np.nan_to_num(suit, nan=-1))
    ok = order[passes[order]]
    ax.scatter(
        xy[ok, 0], xy[ok, 1], s=size, c=suit[ok], cmap=CMAP, norm=NORM, linewidths=0, zorder=4
    )
    handles = _facilities(ax, pois, criteria, lang, ax.get_xlim() + ax.get_ylim(), 14)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=FAIL, markersize=5, label=t["legend_fails"])
    ] + handles
    if area is not None and len(area):
        handles.insert(0, Line2D([], [], color=INK, linewidth=0.9, label=t["legend_area"]))
    _clean(ax)
    _labels(ax, _snap(_points(top), blur_m))
    _scale_bar(ax, lang)
    _north_arrow(ax, t["north"])
    _attribution(ax, t["attribution"])
    cax = fig.add_axes((0.03, 0.075, 0.3, 0.022))
    fig.colorbar(
        matplotlib.cm.ScalarMappable(norm=NORM, cmap=CMAP), cax=cax, orientation="horizontal"
    )
    cax.set_title(t["legend_suitability"], fontsize=7, loc="left", pad=4)
    cax.tick_params(labelsize=7)
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.38, 0.15),
        fontsize=7,
        frameon=False,
        handletextpad=0.4,
        borderaxespad=0,
        ncol=2,
        columnspacing=1.2,
    )
    return _png(fig), aspect


def site_map(
    cands: gpd.GeoDataFrame,
    site: pd.Series,
    area: gpd.GeoDataFrame | None,
    pois: gpd.GeoDataFrame | None,
    criteria: list[Criterion],
    title: str,
    t: dict[str, str],
    lang: str,
    half_m: float = 350.0,
) -> tuple[bytes, float]:
    """One site in a square window of 2 x ``half_m``: footprints coloured like the overview."""
    fig = Figure(figsize=(2.4, 2.6))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.9))
    pt = shapely.point_on_surface(site.geometry)
    bounds = (pt.x - half_m, pt.y - half_m, pt.x + half_m, pt.y + half_m)
    _frame(ax, bounds, 1.0)
    box = shapely.box(*bounds)
    if area is not None and len(area):
        edge = area.boundary.clip(box)
        edge = edge[~edge.is_empty]
        if len(edge):
            edge.plot(ax=ax, color=INK, linewidth=0.8, zorder=2)
    near = cands[cands.geometry.intersects(box)]
    passes = near["passes"].to_numpy(dtype=bool)
    colours = np.where(
        passes[:, None],
        CMAP(NORM(np.nan_to_num(near["suitability"].to_numpy(dtype=float)))),
        matplotlib.colors.to_rgba(FAIL),
    )
    _polygons(ax, near.geometry.values, colours, zorder=3)
    _polygons(ax, np.array([site.geometry]), "none", edgecolor="black", linewidth=2.2, zorder=7)
    ax.scatter(
        [pt.x], [pt.y], s=250, facecolors="none", edgecolors="black", linewidths=1.2, zorder=7
    )
    _facilities(ax, pois, criteria, lang, bounds, 18)
    _clean(ax)
    _scale_bar(ax, lang)
    _north_arrow(ax, t["north"])
    _attribution(ax, t["attribution"])
    fig.suptitle(title, fontsize=6.5, parse_math=False, x=0.02, y=0.985, ha="left", va="top")
    return _png(fig), 2.6 / 2.4


def legend_strip(criteria: list[Criterion], t: dict[str, str], lang: str) -> tuple[bytes, float]:
    """The symbols of the site maps, once above them."""
    fig = Figure(figsize=(7.0, 0.6))
    keys = [c.key for c in criteria]
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="none",
            markeredgecolor="black",
            markersize=9,
            label=t["legend_site"],
        )
    ]
    handles += [
        Line2D(
            [],
            [],
            marker=marker(c.key, keys),
            linestyle="",
            markerfacecolor="white",
            markeredgecolor=INK,
            markersize=6,
            label=plain(c.label(lang)),
        )
        for c in criteria
    ]
    handles += [
        Line2D(
            [],
            [],
            marker="s",
            linestyle="",
            color=CMAP(0.8),
            markersize=6,
            label=t["legend_building"],
        ),
        Line2D([], [], marker="s", linestyle="", color=FAIL, markersize=6, label=t["legend_fails"]),
    ]
    fig.legend(
        handles=handles,
        loc="center",
        ncol=3,
        fontsize=7,
        frameon=False,
        columnspacing=1.5,
        handletextpad=0.4,
    )
    return _png(fig), 0.6 / 7.0


def histograms(
    cands: gpd.GeoDataFrame, criteria: list[Criterion], t: dict[str, str], lang: str
) -> tuple[bytes, float]:
    """Small histograms: the measured distance (or value) per criterion, and suitability."""
    panels = len(criteria) + 1
    cols = 3 if panels <= 9 else 4  # many criteria: smaller panels, so it fits on one page
    rows = math.ceil(panels / cols)
    height = min(1.9, 9.0 / rows)
    aspect = rows * height / 7.0
    fig = Figure(figsize=(7.0, rows * height))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[panels:]:
        ax.set_visible(False)
    for ax, c in zip(axes.flat, criteria, strict=False):
        col = value_col(c.key) if c.scored_on == "value" else dist_col(c.key)
        values = pd.to_numeric(cands.get(col), errors="coerce").to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(values):
            ax.hist(values, bins=30, color=CMAP(0.35), edgecolor="white", linewidth=0.3)
        else:
            ax.text(
                0.5,
                0.5,
                t["hist_empty"],
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=7,
                color=INK,
                wrap=True,
            )
        if col == dist_col(c.key):
            for limit in (c.max_m, c.min_m):
                if limit is not None:
                    ax.axvline(limit, color=INK, linewidth=1.2)
            for edge in (c.near_m, c.far_m):
                if edge is not None:
                    ax.axvline(edge, color=INK, linewidth=0.8, linestyle=":")
            ax.set_xlabel(t["hist_metres"], fontsize=7)
        ax.set_title(plain(c.label(lang)), fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_ylabel(t["hist_count"], fontsize=7)
    ax = axes.flat[len(criteria)]
    suit = cands["suitability"].to_numpy(dtype=float)
    ax.hist(
        suit[np.isfinite(suit)],
        bins=np.linspace(0, 100, 21),
        color=CMAP(0.7),
        edgecolor="white",
        linewidth=0.3,
    )
    ax.set_title(t["suitability"], fontsize=8)
    ax.tick_params(labelsize=6)
    ax.set_ylabel(t["hist_count"], fontsize=7)
    height = rows * 1.9  # fixed margins in inches (tight_layout costs seconds)
    fig.subplots_adjust(
        left=0.08,
        right=0.98,
        bottom=0.45 / height,
        top=1 - 0.3 / height,
        wspace=0.38,
        hspace=0.75 / 1.9 * 1.6,
    )
    return _png(fig), aspect


def regions_map(regions: gpd.GeoDataFrame, t: dict[str, str], lang: str) -> tuple[bytes, float]:
    """Batch overview: each region coloured by the median suitability of its candidates."""
    aspect = 0.78
    fig = Figure(figsize=(7.0, 7.0 * aspect))
    ax = fig.add_axes((0.01, 0.01, 0.8, 0.98))
    frame = regions
    if regions.crs is not None and regions.crs.is_geographic:
        frame = regions.to_crs(regions.estimate_utm_crs())
    b = frame.total_bounds
    pad = 0.03 * max(b[2] - b[0], b[3] - b[1])
    _frame(ax, (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad), 0.98 * aspect / 0.8)
    med = pd.to_numeric(frame["median_suitability"], errors="coerce")
    scored = (frame["status"] == "ok") & med.notna()
    if (~scored).any():
        frame[~scored].plot(ax=ax, color=FAIL, edgecolor="white", linewidth=0.6)
    if scored.any():
        frame[scored].plot(
            ax=ax,
            column="median_suitability",
            cmap=CMAP,
            norm=NORM,
            edgecolor="white",
            linewidth=0.6,
        )
    for geom, name in zip(frame.geometry, frame["region_name"], strict=False):
        p = shapely.point_on_surface(geom)
        ax.text(
            p.x,
            p.y,
            str(name),
            fontsize=6,
            parse_math=False,
            ha="center",
            va="center",
            color=INK,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5},
        )
    _scale_bar(ax, lang)
    _north_arrow(ax, t["north"])
    _attribution(ax, t["attribution"])
    cax = fig.add_axes((0.84, 0.55, 0.025, 0.38))
    fig.colorbar(matplotlib.cm.ScalarMappable(norm=NORM, cmap=CMAP), cax=cax)
    cax.set_title(t["legend_suitability"], fontsize=7, loc="left", pad=6)
    cax.tick_params(labelsize=7)
    return _png(fig), aspect
