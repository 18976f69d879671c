"""Walking distances on the Delft extract against an established engine: Valhalla's pedestrian
routes with Dutch access defaults (benchmarks/valhalla_reference.py, run under Python 3.12+ with
pyvalhalla). Skipped with the reason when that interpreter or engine is not there."""

from __future__ import annotations

import pytest

from benchmarks import walk_reference as wr

pytestmark = pytest.mark.slow  # routes every candidate with Valhalla in another interpreter


@pytest.fixture(scope="module")
def delft_result(delft_every_result):
    """Every building of the extract, not only those fit for reception (wr.score_delft())."""
    return delft_every_result


@pytest.fixture(scope="module")
def valhalla_table(delft_result):
    py = wr.python312()
    if py is None:
        pytest.skip(
            "needs a Python 3.12+ with pyvalhalla (GEOSCHIKT_PY312, default /work/venv312): "
            "python3.12 -m venv /work/venv312 && /work/venv312/bin/pip install pyvalhalla osmium"
        )
    return wr.reference_table(py, wr.points_of(delft_result))


def test_walking_distances_agree_with_valhalla(delft_result, valhalla_table):
    report = wr.compare(delft_result, valhalla_table)
    assert all(r["n"] > 1000 for r in report.values())
    for cat in ("school", "supermarket", "gp"):
        assert report[cat]["agree"] >= 0.99, (cat, report[cat])
    # transit: the rest are walks Valhalla takes through private ways (checked below)
    assert report["transit"]["agree"] >= 0.95, report["transit"]


def test_disagreements_come_from_the_dutch_rules(delft_result, valhalla_table):
    """Every candidate that differs from Valhalla by more than max(50 m, 10 %) agrees once
    one of geoschikt's Dutch rules is switched off (walks through destination-only ways or
    closed gates, no edges across squares, snapping through water and buildings), as Valhalla
    does: the shortest-path code agrees, the rules differ."""
    report = wr.compare(delft_result, valhalla_table)
    why = wr.causes(delft_result, valhalla_table, report)
    for cat, r in report.items():
        explained = set().union(*why[cat].values())
        unexplained = [w for w in r["worst"] if w[0] not in explained]
        assert len(unexplained) <= 0.005 * r["n"], (cat, unexplained)
