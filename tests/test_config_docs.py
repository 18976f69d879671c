"""The declared settings: docs/CONFIG.md up to date, the re-measure rule against a table written
by hand (the rule as it was before it was derived from the declarations), `config show --doc`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoschikt.cli import cli
from geoschikt.config import (
    CRITERION_KEYS,
    SECTIONS,
    available_profiles,
    default_config_path,
    load_config,
    measurement_changes,
    profile_path,
)
from geoschikt.config_docs import config_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_committed_config_md_is_up_to_date():
    committed = (ROOT / "docs" / "CONFIG.md").read_text(encoding="utf-8")
    assert committed == config_markdown(), "run: geoschikt config docs > docs/CONFIG.md"


def test_every_shipped_key_is_declared_and_documented():
    """Every key in default.toml and the profiles is a declared setting with a row in the docs."""
    doc = config_markdown()
    files = [default_config_path(), *(profile_path(p) for p in available_profiles())]
    for path in files:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        for section, table in raw.items():
            if section == "criteria":
                keys = {k for spec in table.values() for k in spec}
                assert keys <= set(CRITERION_KEYS), (path, keys - set(CRITERION_KEYS))
            else:
                assert set(table) <= {s.key for s in SECTIONS[section]}, (path, section)
                keys = set(table)
            assert all(f"| `{k}` |" in doc for k in keys), (path, section)


# The rule before it was derived (geoschikt 0.x `measuring_key`, written out by hand): which
# settings of a criterion force a new measurement, per kind of measurement and mode.
ALWAYS = {"tags", "exclude", "require", "names", "source", "mode", "measure", "distance_to"}
BY_MEASURE = {
    "distance": set(),
    "count": set(),
    "share": {"residential", "within_m"},
    "pressure": {"kernel", "bandwidth_m", "cutoff_m", "within_m", "min_capacity"},
}
WALK_OR_BIKE = {"walk_reach_m", "bike_factor"}
# A changed value for each setting that keeps the config valid (and the reach as it was).
CHANGED = {
    "tags": ["amenity=foo"],
    "exclude": ["amenity=bar"],
    "require": ["name=*"],
    "names": "x",
    "distance_to": "outline",
    "kernel": "epanechnikov",
    "bandwidth_m": 500,
    "cutoff_m": 1500,
    "within_m": 1000,
    "min_capacity": 5,
    "residential": ["house"],
    "walk_reach_m": 800,
    "bike_factor": 0.5,
    "label_nl": "iets",
    "label_en": "something",
    "direction": "away",
    "decay": "logistic",
    "steepness": 3.0,
    "weight": 9,
    "near_m": 10,
    "max_m": 100,
    "min_m": 5,
    "band": 2,
    "search_m": 10,
}

CASES = {  # criterion of the shipped defaults (+ a mode) -> its measure and mode
    ("school", None): ("distance", "walk"),
    ("school", "walk_or_bike"): ("distance", "walk_or_bike"),
    ("water", None): ("distance", "straight"),
    ("reception", None): ("pressure", "straight"),
    ("daily_facilities", None): ("count", "walk"),
    ("residential", None): ("share", "walk"),
    ("residential", "straight"): ("share", "straight"),
}


@pytest.mark.parametrize(("key", "mode_over"), sorted(CASES, key=str))
def test_remeasure_rule_matches_the_hand_written_table(key, mode_over):
    base = load_config()
    if mode_over:
        base = base.with_overrides({"criteria": {key: {"mode": mode_over}}})
    measure, mode = CASES[key, mode_over]
    assert (base.criterion(key).measure, base.criterion(key).mode) == (measure, mode)
    expected = ALWAYS | BY_MEASURE[measure] | (WALK_OR_BIKE if mode == "walk_or_bike" else set())
    checked = 0
    for setting, value in CHANGED.items():
        if setting == "distance_to" and mode != "straight":
            continue  # outline needs a straight mode: not a valid change here
        try:
            new = base.with_overrides({"criteria": {key: {setting: value}}})
        except Exception:
            continue  # not valid for this kind (e.g. near_m of a pressure criterion)
        if new.criterion(key).reach_m > base.criterion(key).reach_m:
            continue  # a longer reach re-measures for its own reason
        changed = getattr(new.criterion(key), setting) != getattr(base.criterion(key), setting)
        if not changed:
            continue  # the setting is not read for this kind
        checked += 1
        remeasure = bool(measurement_changes(base, new))
        assert remeasure == (setting in expected), (key, setting)
    assert checked >= 8


def test_sections_remeasure_as_before():
    """Analysis, network and candidates settings need a new measurement; map, surface, output
    only a new score; the messages name the section as before."""
    base = load_config()
    cases = [
        ({"analysis": {"distance": "euclidean"}}, ["analysis.distance changed"]),
        ({"network": {"max_snap_m": 300}}, ["[network] changed"]),
        ({"candidates": {"m2_per_place": 12}}, ["[candidates] changed"]),
        ({"map": {"blur_m": 250, "lang": "en"}}, []),
        ({"surface": {"resolution_m": 0}}, []),
        ({"output": {"csv_dialect": "nl", "xlsx": True}}, []),
    ]
    for over, expected in cases:
        assert measurement_changes(base, base.with_overrides(over)) == expected, over


def test_config_show_doc_annotates_every_key():
    plain = CliRunner().invoke(cli, ["config", "show"])
    doc = CliRunner().invoke(cli, ["config", "show", "--doc"])
    assert plain.exit_code == 0 and doc.exit_code == 0, doc.output
    lines = doc.output.splitlines()
    # without the notes it is the plain output
    assert [ln for ln in lines if not ln.startswith("# ") or ln.startswith("# effective")] == (
        plain.output.splitlines()
    )
    i = lines.index("max_snap_m = 500")
    assert lines[i - 1].startswith("# a building or facility") and "(re-measure)" in lines[i - 1]
    i = lines.index('title = ""')
    assert "(re-score only)" in lines[i - 1]


def test_config_docs_command_prints_the_reference():
    res = CliRunner().invoke(cli, ["config", "docs"])
    assert res.exit_code == 0 and res.output == config_markdown()
