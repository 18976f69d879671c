"""Scoring notes: codes + parameters, one nl/en table; a run's notes are in its language only."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from geoschikt import notes
from geoschikt.notes import NOTES, Note, Words, from_json, note, off_network, render, to_json
from geoschikt.pipeline import score_area
from geoschikt.rescoring import rescore, run_config

# words that give a language away in a note (criterion labels are checked separately)
ENGLISH = re.compile(
    r"\b(no|within|more than|not assessed|outside|network|networks|in the data|not scored|"
    r"nearest|none|buildings)\b"
)
DUTCH = re.compile(
    r"\b(geen|binnen|meer dan|niet|buiten|netwerk|loopnetwerk|fietsnetwerk|beoordeeld|"
    r"dichtstbijzijnde|gebouwen|gegevens)\b"
)


def test_every_code_has_dutch_and_english_with_the_same_placeholders():
    for code, texts in NOTES.items():
        assert set(texts) == {"nl", "en"}, code
        assert texts["nl"].strip() and texts["en"].strip(), code
        assert notes.placeholders(texts["nl"]) == notes.placeholders(texts["en"]), code
        # plain {name} fields only: the map page fills them with the same rule
        fields = re.findall(r"\{([^}]*)\}", texts["nl"] + texts["en"])
        assert all(re.fullmatch(r"\w+", f) for f in fields), code
    for words in notes.NETWORKS.values():
        assert set(words) == {"nl", "en"}


def test_a_note_refuses_unknown_codes_and_wrong_parameters():
    with pytest.raises(ValueError, match="unknown note code"):
        note("nope")
    with pytest.raises(ValueError, match="takes"):
        note("beyond_reach", m=5)


def test_render_nested_notes_and_words_per_language():
    label = Words(nl="apotheek", en="pharmacy")
    why = note("not_assessed", why=note("not_in_data", label=label))
    assert render(why, "en") == "not assessed: no pharmacy in the data"
    assert render(why, "nl") == "niet beoordeeld: geen apotheek in de data"
    assert render(off_network(500.0, "bike"), "en") == "more than 500 m from the bike network"
    assert render(off_network(500.0, "bike"), "nl") == "meer dan 500 m van het fietsnetwerk"


def test_json_round_trip_and_text_of_older_runs():
    why = note("not_assessed", why=note("beyond_reach", label=Words("Park", "Park"), m=800))
    assert from_json(to_json(why)) == why
    old = from_json("more than 500 m from the walk network")  # distances.npz of an older run
    assert isinstance(old, Note) and old.code == "text"
    assert render(old, "nl") == render(old, "en") == "more than 500 m from the walk network"


def note_texts(frame) -> set[str]:
    columns = [c for c in frame.columns if c.startswith("note_")] + ["coverage_note"]
    return {str(v) for c in columns if c in frame for v in frame[c].dropna() if str(v)}


def labels_only_in(config, lang: str) -> list[str]:
    """Criterion labels of the other language that are not also words of ``lang``'s label."""
    other = "en" if lang == "nl" else "nl"
    return [
        c.label(other)
        for c in config.criteria
        if c.label(other).lower() not in c.label(lang).lower()
    ]


def assert_only(texts: set[str], lang: str, config) -> None:
    wrong = ENGLISH if lang == "nl" else DUTCH
    mixed = [t for t in texts if wrong.search(t)]
    assert mixed == [], mixed[:5]
    foreign = [t for t in texts for label in labels_only_in(config, lang) if label in t]
    assert foreign == [], foreign[:5]


def expected_beyond(crit, lang: str) -> str:
    """Written out here, not taken from the table."""
    if lang == "nl":
        return f"geen {crit.label_nl} binnen {crit.reach_m:.0f} m"
    return f"no {crit.label_en} within {crit.reach_m:.0f} m"


def check_run(result, lang: str) -> None:
    cands = result.candidates
    texts = note_texts(cands)
    assert texts, "the Delft run has notes (nothing within reach, not assessed, coverage)"
    assert_only(texts, lang, result.config)
    # the notes say what the measurements say: nothing within reach where the distance is inf
    inside = (cands["coverage"] != "none").to_numpy()
    seen = 0
    for m in result.measured:
        if not m.assessed or m.value is not None:
            continue
        beyond = np.isinf(m.distance) & inside
        column = cands[f"note_{m.criterion.key}"].to_numpy()
        assert (column[beyond] == expected_beyond(m.criterion, lang)).all(), m.criterion.key
        seen += int(beyond.sum())
    assert seen > 0
    pharmacy = cands["note_pharmacy"].iloc[0]  # none in the extract: not assessed
    assert pharmacy == (
        "niet beoordeeld: geen apotheek in de data"
        if lang == "nl"
        else "not assessed: no pharmacy in the data"
    )
    assert result.provenance["criteria_not_assessed"]["pharmacy"] == "no pharmacy in the data"
    assert result.provenance["criteria_not_assessed_codes"]["pharmacy"]["code"] == "not_in_data"


def test_a_dutch_delft_run_has_dutch_notes_only(delft_result):
    assert delft_result.config.lang == "nl"
    check_run(delft_result, "nl")


def test_an_english_delft_run_has_english_notes_only(delft_pbf, config):
    english = config.with_overrides({"map": {"lang": "en"}})
    check_run(score_area(delft_pbf, config=english), "en")


def test_rescore_in_english_writes_english_notes(delft_run_dir, delft_result):
    result = rescore(delft_run_dir, run_config(delft_run_dir, lang="en")).result
    check_run(result, "en")
    # the coverage notes too, one for each Dutch one
    dutch = delft_result.candidates.set_index("candidate_id")["coverage_note"]
    english = result.candidates.set_index("candidate_id")["coverage_note"].loc[dutch.index]
    assert ((dutch != "") == (english != "")).all() and (english != "").any()
    assert (
        english.str.startswith("the nearest ").sum()
        == (delft_result.candidates["coverage"] == "partial").sum()
    )


def test_the_map_script_does_not_read_english_notes():
    script = Path(notes.__file__).parent / "outputs" / "static" / "map.js"
    text = script.read_text(encoding="utf-8")
    assert "more than" not in text and "/^no " not in text
    assert "D.notes[note.code]" in text  # it translates by code


def test_why_not_assessed_in_the_readers_language_also_for_older_records(config):
    from geoschikt.scoring import why_not_assessed

    pharmacy = config.criterion("pharmacy")
    coded = {
        "criteria_not_assessed": {"pharmacy": "no pharmacy in the data"},
        "criteria_not_assessed_codes": {
            "pharmacy": {
                "code": "not_in_data",
                "params": {"label": {"nl": "apotheek", "en": "pharmacy"}},
            }
        },
    }
    older = {"criteria_not_assessed": {"pharmacy": "no pharmacy in the data"}}  # no codes
    for record in (coded, older):
        assert why_not_assessed(pharmacy, record, "nl") == "geen apotheek in de data"
        assert why_not_assessed(pharmacy, record, "en") == "no pharmacy in the data"
    assert why_not_assessed(config.criterion("school"), coded, "nl") is None
