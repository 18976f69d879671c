"""Which boxes overlap which: a hierarchical grid over axis-aligned boxes, in numpy.

Each box sits at the level whose square cells are at least as large as the box (so it covers at
most 2 x 2 cells there); a query box is looked up in the cells it covers at every level. A pair
is reported once, in the cell holding the lower-left corner of the two boxes' overlap. Used to
find the obstacles near many short snapping lines at once without making a geometry per line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_MAX_CELLS = 1 << 26  # cells of one level's table (else the level's grid is coarsened)


@dataclass(frozen=True)
class _Level:
    size: float  # cell side
    nx: int  # cells along x and y
    ny: int
    start: np.ndarray  # per cell (ix * ny + iy), where its boxes begin in ``box``; then the end
    box: np.ndarray
    # per entry of ``box``: its bounds (in entry order, for contiguous reads) and whether the
    # box is listed in more than one cell
    bounds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    multi: np.ndarray


class BoxGrid:
    """Boxes ``(minx, miny, maxx, maxy)`` (finite) indexed for overlap queries.

    ``cell`` is the side of the smallest cells, best about the size of a typical box."""

    def __init__(self, bounds: np.ndarray, cell: float) -> None:
        bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
        if not np.isfinite(bounds).all():
            raise ValueError("BoxGrid needs finite bounds")
        self.minx, self.miny, self.maxx, self.maxy = (bounds[:, i].copy() for i in range(4))
        self.x0 = float(self.minx.min()) if len(bounds) else 0.0
        self.y0 = float(self.miny.min()) if len(bounds) else 0.0
        width = float(self.maxx.max()) - self.x0 if len(bounds) else 0.0
        height = float(self.maxy.max()) - self.y0 if len(bounds) else 0.0
        size = np.maximum(self.maxx - self.minx, self.maxy - self.miny)
        level = np.ceil(np.log2(np.maximum(size / cell, 1.0))).astype(np.int64)
        # a level whose table would be too large gets coarser cells (its boxes cover fewer)
        levels: list[_Level] = []
        for lev in np.unique(level).tolist():
            side = cell * 2.0**lev
            while (width / side + 1) * (height / side + 1) > _MAX_CELLS:
                side *= 2
            nx, ny = int(width // side) + 1, int(height // side) + 1
            idx = np.flatnonzero(level == lev)
            ix0, iy0 = (
                self._index(self.minx[idx], self.x0, side, nx),
                self._index(self.miny[idx], self.y0, side, ny),
            )
            ix1, iy1 = (
                self._index(self.maxx[idx], self.x0, side, nx),
                self._index(self.maxy[idx], self.y0, side, ny),
            )
            row, ix, iy = _explode(ix0, iy0, ix1, iy1)
            cell_id = ix * ny + iy
            order = np.argsort(cell_id, kind="stable")
            start = np.searchsorted(cell_id[order], np.arange(nx * ny + 1))
            box = idx[row[order]]
            in_order = (self.minx[box], self.miny[box], self.maxx[box], self.maxy[box])
            multi = ((ix1 > ix0) | (iy1 > iy0))[row[order]]
            levels.append(_Level(side, nx, ny, start, box, in_order, multi))
        self.levels = levels

    def box_bounds(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(minx, miny, maxx, maxy) of the boxes ``idx``."""
        return self.minx[idx], self.miny[idx], self.maxx[idx], self.maxy[idx]

    @staticmethod
    def _index(v: np.ndarray, origin: float, side: float, n: int) -> np.ndarray:
        """Cell index along one axis, clipped to the table (truncating is flooring where it
        is not clipped to 0; any rounding is the same for boxes and queries, and monotone)."""
        i = ((v - origin) / side).astype(np.int64)
        np.clip(i, 0, n - 1, out=i)
        return i

    def query(self, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query index, box index): every pair whose boxes overlap (closed), each once."""
        bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
        qs, bs = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
        qminx, qminy, qmaxx, qmaxy = (bounds[:, i] for i in range(4))
        for lev in self.levels:
            ix0 = self._index(qminx, self.x0, lev.size, lev.nx)
            iy0 = self._index(qminy, self.y0, lev.size, lev.ny)
            ix1 = self._index(qmaxx, self.x0, lev.size, lev.nx)
            iy1 = self._index(qmaxy, self.y0, lev.size, lev.ny)
            q, ix, iy = _explode(ix0, iy0, ix1, iy1)
            cell_id = ix * lev.ny + iy
            lo, hi = lev.start[cell_id], lev.start[cell_id + 1]
            count = hi - lo
            pos = np.arange(count.sum()) + np.repeat(lo - (np.cumsum(count) - count), count)
            bminx, bminy, bmaxx, bmaxy = (a[pos] for a in lev.bounds)
            keep = (
                (bminx <= np.repeat(qmaxx[q], count))
                & (np.repeat(qminx[q], count) <= bmaxx)
                & (bminy <= np.repeat(qmaxy[q], count))
                & (np.repeat(qminy[q], count) <= bmaxy)
            )
            # a pair can be met in two cells only when both boxes cover more than one: report
            # it only in the cell of the lower-left corner of the overlap
            q_multi = ((ix1 > ix0) | (iy1 > iy0))[q]
            twice = np.flatnonzero(keep & np.repeat(q_multi, count) & lev.multi[pos])
            if len(twice):
                row = np.repeat(np.arange(len(cell_id)), count)[twice]
                qt = q[row]
                cx = np.maximum(qminx[qt], bminx[twice])
                cy = np.maximum(qminy[qt], bminy[twice])
                keep[twice] = (self._index(cx, self.x0, lev.size, lev.nx) == ix[row]) & (
                    self._index(cy, self.y0, lev.size, lev.ny) == iy[row]
                )
            qs.append(np.repeat(q, count)[keep])
            bs.append(lev.box[pos[keep]])
        return np.concatenate(qs), np.concatenate(bs)


def _explode(
    ix0: np.ndarray, iy0: np.ndarray, ix1: np.ndarray, iy1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, ix, iy) for every cell of every index range, row by row, then by ix and iy."""
    nx = ix1 - ix0 + 1
    ny = iy1 - iy0 + 1
    if len(nx) and (nx == 1).all() and (ny == 1).all():
        return np.arange(len(nx)), ix0, iy0
    # each range's columns, then each column's cells (no integer division)
    col = np.repeat(np.arange(len(nx)), nx)
    ix = ix0[col] + (np.arange(len(col)) - np.repeat(np.cumsum(nx) - nx, nx))
    ny_col = ny[col]
    cell = np.repeat(np.arange(len(col)), ny_col)
    row = col[cell]
    iy = iy0[row] + (np.arange(len(cell)) - np.repeat(np.cumsum(ny_col) - ny_col, ny_col))
    return row, ix[cell], iy
