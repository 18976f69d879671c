"""Profiles: laid over the defaults, several scored in one run from one measurement.

A multi-profile run's ``suitability_<p>`` / ``rank_<p>`` must equal separate single-profile
runs (each measuring with its own configuration): on Delft (real data) and on a SYNTHETIC town.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geoschikt.cli import cli
from geoschikt.config import available_profiles, load_config
from geoschikt.errors import ConfigError
from geoschikt.pipeline import score_area
from geoschikt.testing.synthetic import write_synthetic_region

from .conftest import assert_one_clear_error

PROFILES = ["gezinnen", "amv", "alleenstaanden", "flex"]
NO_SURFACE = {"surface": {"resolution_m": 0}}


def test_the_four_profiles_ship_and_change_weights_only():
    assert set(PROFILES) <= set(available_profiles())
    base = load_config()
    for name in PROFILES:
        cfg = load_config(profile=name)
        assert cfg.sources[-1].endswith(f"{name}.toml")
        assert [c.key for c in cfg.criteria] == [c.key for c in base.criteria]
        assert any(c.weight != base.criterion(c.key).weight for c in cfg.criteria)
    assert load_config(profile="amv").criterion("secondary_school").weight > 0
    assert load_config(profile="gezinnen").criterion("playground").weight > 0


def test_user_file_goes_over_the_profile(tmp_path):
    mine = tmp_path / "my.toml"
    mine.write_text("[criteria.sport]\nweight = 9\n")
    cfg = load_config(mine, profile="amv")
    assert cfg.criterion("sport").weight == 9
    assert (
        cfg.criterion("secondary_school").weight
        == load_config(profile="amv").criterion("secondary_school").weight
    )


def test_unknown_or_repeated_profiles_are_refused():
    with pytest.raises(ConfigError, match="unknown profile 'famlies'"):
        load_config(profile="famlies")
    with pytest.raises(ConfigError, match="names a profile twice"):
        load_config(profile="amv,amv")


@pytest.fixture(scope="module")
def synth_town(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / "town.osm.pbf"
    write_synthetic_region(path, 3000, seed=11)  # SYNTHETIC data
    return path


# the SYNTHETIC town is a town of dwellings, which are not candidates by default
SYNTH = {
    **NO_SURFACE,
    "candidates": {"building_types": ["house", "apartments", "yes"], "min_floor_area_m2": 0},
}


def _check_against_single_runs(osm, names, multi, overrides=NO_SURFACE):
    cands = multi.candidates
    for name in names:
        single = score_area(osm, config=load_config(overrides=overrides, profile=name))
        s = single.candidates.set_index("candidate_id")
        m = cands.set_index("candidate_id").loc[s.index]
        np.testing.assert_array_equal(m[f"suitability_{name}"], s["suitability"])
        np.testing.assert_array_equal(m[f"rank_{name}"], s["rank"])
        np.testing.assert_array_equal(m[f"passes_{name}"], s["passes"])


@pytest.mark.slow  # one run per profile to compare against
def test_every_profile_on_a_synthetic_town_equals_its_own_run(synth_town):
    multi = score_area(synth_town, config=load_config(overrides=SYNTH, profile=",".join(PROFILES)))
    _check_against_single_runs(synth_town, PROFILES, multi, SYNTH)
    # the main columns are the first profile's
    first = multi.candidates
    np.testing.assert_array_equal(first["suitability"], first["suitability_gezinnen"])
    # different people, different rankings
    ranks = first[[f"rank_{p}" for p in PROFILES]]
    assert ranks.corr(method="spearman").min().min() < 0.95


@pytest.mark.slow  # one Delft run per profile to compare against
def test_profiles_on_delft_in_one_run(delft_pbf, tmp_path):
    names = ["amv", "gezinnen"]
    out = tmp_path / "out"
    res = CliRunner().invoke(
        cli,
        ["-q", "score", "--osm", str(delft_pbf), "--profile", "amv,gezinnen", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "candidates.csv")
    for name in names:
        assert {f"suitability_{name}", f"rank_{name}", f"passes_{name}"} <= set(table.columns)
    run = json.loads((out / "run.json").read_text())
    assert set(run["config"]["profiles"]) == set(names)
    page = (out / "map.html").read_text()
    assert "Geschiktheid (profiel gezinnen)" in page
    # each profile's columns equal its own run
    multi = score_area(delft_pbf, config=load_config(overrides=NO_SURFACE, profile="amv,gezinnen"))
    _check_against_single_runs(delft_pbf, names, multi)

    # rescore with new weights for the main (first) profile keeps the per-profile columns
    new = tmp_path / "w.toml"
    new.write_text("[criteria.transit]\nweight = 9\n")
    res = CliRunner().invoke(
        cli, ["-q", "rescore", str(out), "--config", str(new), "--out", str(tmp_path / "re")]
    )
    assert res.exit_code == 0, res.output
    again = pd.read_csv(tmp_path / "re" / "candidates.csv").set_index("candidate_id")
    before = table.set_index("candidate_id").loc[again.index]
    for name in names:
        np.testing.assert_array_equal(again[f"rank_{name}"], before[f"rank_{name}"])
    assert not np.array_equal(again["suitability"], before["suitability"])


def test_config_show_profile_and_unknown_profile():
    res = CliRunner().invoke(cli, ["config", "show", "--profile", "amv"])
    assert res.exit_code == 0, res.output
    assert "amv.toml" in res.output.splitlines()[0]
    assert "[criteria.secondary_school]" in res.output
    bad = CliRunner().invoke(cli, ["config", "show", "--profile", "amx"])
    assert_one_clear_error(bad, "unknown profile 'amx'", "amv")


@pytest.mark.slow  # its own Delft run
def test_map_switches_between_profiles(delft_pbf, tmp_path):
    """In a real browser: the map shows the first profile's ranks, and another profile's after
    choosing it in the switch (the page reloads with #profile=NAME)."""
    from geoschikt.outputs import write_outputs
    from geoschikt.testing.browser import Browser, chromium_path

    if chromium_path() is None:
        pytest.skip("needs Chromium at /usr/bin/chromium (apt-get install chromium)")
    res = score_area(delft_pbf, config=load_config(overrides=NO_SURFACE, profile="amv,gezinnen"))
    out = tmp_path / "map"
    write_outputs(res, out)
    page_path = out / "map.html"
    cands = res.candidates.set_index("candidate_id")
    ready = "document.documentElement.dataset.gsReadyMs"
    with Browser(offline=True) as browser:
        page = browser.new_page()
        page.open(page_path, ready=ready)
        options = page.evaluate(
            "Array.from(document.querySelectorAll('#gs-profile option')).map(o => o.value)"
        )
        assert options == ["amv", "gezinnen"]
        shown = pd.Series(page.evaluate("geoschikt.ranks()"))
        assert (shown == cands.loc[shown.index, "rank_amv"]).all()
        page.evaluate(
            "(() => { window.gsOldPage = true; const s = document.getElementById('gs-profile');"
            " s.value = 'gezinnen'; s.dispatchEvent(new Event('change')); return 1; })()"
        )
        page.wait_for(f"!window.gsOldPage && {ready}")  # the reloaded page, ready
        assert page.evaluate("document.getElementById('gs-profile').value") == "gezinnen"
        shown = pd.Series(page.evaluate("geoschikt.ranks()"))
        assert (shown == cands.loc[shown.index, "rank_gezinnen"]).all()
        assert not (cands["rank_amv"] == cands["rank_gezinnen"]).all()
        page.close()
