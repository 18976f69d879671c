"""Walking distances on the Delft extract against an established engine: Valhalla's pedestrian
routes with Dutch access defaults (benchmarks/valhalla_reference.py, run under Python 3.12+ with
pyvalhalla), in the configurations of ``benchmarks/walk_reference.CONFIGS``. Skipped with the
reason when that interpreter or engine is not there."""

from __future__ import annotations

import pytest

from benchmarks import walk_reference as wr

pytestmark = pytest.mark.slow  # routes every candidate with Valhalla in another interpreter


@pytest.fixture(scope="module")
def delft_result(delft_every_result):
    """Every building of the extract, not only those fit for reception (wr.score_delft())."""
    return delft_every_result


@pytest.fixture(scope="module")
def tables(delft_result):
    """{config: reference table}, each made on first use (cached on disk by its inputs)."""
    py = wr.python312()
    if py is None:
        pytest.skip(
            "needs a Python 3.12+ with pyvalhalla (GEOSCHIKT_PY312, default /work/venv312): "
            "python3.12 -m venv /work/venv312 && /work/venv312/bin/pip install pyvalhalla osmium"
        )
    made: dict = {}

    def table(config: str) -> dict:
        if config not in made:
            made[config] = wr.reference_table(py, wr.points_of(delft_result, None, config))
        return made[config]

    return table


def test_agree_with_valhalla_set_to_the_dutch_rules(delft_result, tables):
    """Valhalla's costing set to geoschikt's rules (destination-only ways and private gates only
    at the start or end, path length only), car rules kept off walkers, routed from where
    geoschikt snaps: at least 99 % of candidates agree in every category."""
    report = wr.compare(delft_result, tables("dutch-snapped"))
    for cat, r in report.items():
        assert r["n"] > 1000
        assert r["agree"] >= 0.99, (cat, r)


def test_agree_with_valhalla_snapping_itself(delft_result, tables):
    """The same with Valhalla snapping the points itself (onto the nearest way, across canals
    and buildings)."""
    report = wr.compare(delft_result, tables("dutch"))
    for cat, r in report.items():
        assert r["agree"] >= 0.99, (cat, r)


def test_agree_with_valhalla_shortest_paths(delft_result, tables):
    """Valhalla's plain shortest paths (no Dutch rules: it walks through private ways)."""
    report = wr.compare(delft_result, tables("shortest"))
    for cat in ("school", "supermarket", "gp"):
        assert report[cat]["agree"] >= 0.99, (cat, report[cat])
    assert report["transit"]["agree"] >= 0.95, report["transit"]


@pytest.mark.parametrize("reference", list(wr.CONFIGS))
def test_disagreements_come_from_the_dutch_rules(delft_result, tables, reference):
    """Every candidate that differs from Valhalla by more than max(50 m, 10 %) agrees once
    one of geoschikt's Dutch rules is switched off (walks through destination-only ways or
    closed gates, no edges across squares, snapping through water and buildings), as Valhalla
    does: the shortest-path code agrees, the rules differ."""
    table = tables(reference)
    report = wr.compare(delft_result, table)
    why = wr.causes(delft_result, table, report)
    for cat, r in report.items():
        explained = set().union(*why[cat].values())
        unexplained = [w for w in r["worst"] if w[0] not in explained]
        assert len(unexplained) <= 0.005 * r["n"], (cat, unexplained)
