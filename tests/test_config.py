"""Configuration: defaults, overlays and one clear message for every mistake."""

from __future__ import annotations

import pytest

from geoschikt.config import default_config_path, load_config
from geoschikt.errors import ConfigError


def write(tmp_path, text: str):
    path = tmp_path / "my.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_have_the_required_criteria(config):
    keys = [c.key for c in config.criteria]
    assert keys == ["transit", "school", "supermarket", "gp", "pharmacy", "water", "reception"]
    assert config.criterion("transit").max_m == 500  # COA: stop within 500 m
    assert config.criterion("school").max_m == 3000
    assert config.criterion("supermarket").max_m == 3000
    assert config.criterion("reception").measure == "pressure"
    assert default_config_path().is_file()


def test_user_file_is_laid_over_the_defaults(tmp_path):
    cfg = load_config(write(tmp_path, "[criteria.transit]\nweight = 7\n"))
    assert cfg.criterion("transit").weight == 7
    assert cfg.criterion("transit").max_m == 500  # untouched keys keep their default
    assert cfg.criterion("school").weight == 2


def test_a_new_criterion_and_a_disabled_one(tmp_path):
    text = """
[criteria.library]
tags = ["amenity=library"]
near_m = 300
far_m = 2000
weight = 1
[criteria.pharmacy]
enabled = false
"""
    cfg = load_config(write(tmp_path, text))
    keys = [c.key for c in cfg.criteria]
    assert "library" in keys and "pharmacy" not in keys
    assert cfg.criterion("library").mode == "walk"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "[criteria.transit]\nwieght = 3\n",
            r"unknown config key 'criteria.transit.wieght'; did you mean 'weight'",
        ),
        (
            "[analysis]\ndistanse = 'network'\n",
            r"unknown config key 'analysis.distanse'; did you mean 'distance'",
        ),
        ("[criteria.school]\nweight = -1\n", r"criteria.school.weight = -1 must be at least 0"),
        (
            "[criteria.school]\nweight = 'high'\n",
            r"criteria.school.weight = 'high' is not a number",
        ),
        (
            "[criteria.school]\ndecay = 'cubic'\n",
            r"criteria.school.decay = 'cubic'; allowed: linear, exponential, logistic",
        ),
        ("[criteria.gp]\nnear_m = 4000\n", r"near_m \(4000\) must be smaller than far_m \(3000\)"),
        (
            "[criteria.gp]\nmode = 'car'\n",
            r"criteria.gp.mode = 'car'; allowed: walk, bike, straight",
        ),
        ("[analysis]\ncrs = 'EPSG:4326'\n", r"not a projected \(metric\) CRS"),
        ("[map]\nlang = 'de'\n", r"map.lang = 'de'; allowed: nl, en"),
        (
            "[criterias.gp]\nweight = 1\n",
            r"unknown config key 'criterias'; did you mean 'criteria'",
        ),
        ("this is not toml", r"is not valid TOML"),
    ],
)
def test_bad_config_names_key_value_and_fix(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path, text))


def test_all_problems_are_reported_at_once(tmp_path):
    text = "[criteria.school]\nweight = -1\ndecay = 'cubic'\n"
    with pytest.raises(ConfigError, match=r"2 problems.*decay.*weight"):
        load_config(write(tmp_path, text))


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_config_round_trips_through_toml(config, tmp_path):
    again = load_config(write(tmp_path, config.to_toml()))
    assert again.criteria == config.criteria
