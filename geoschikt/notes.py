"""Scoring notes as codes with parameters, and the one table that turns them into Dutch or
English text.

Measuring and scoring say *why* a criterion has no score for a candidate with a :class:`Note`
(a code from :data:`NOTES` plus its parameters). Everything a reader sees is rendered from it
by :func:`render`: the ``note_<key>`` and ``coverage_note`` columns in the run's language, the
report, and the map page (which gets the codes, the parameters and this table as JSON and
fills the same templates in JavaScript). Pure: no I/O.

A parameter is a number or string (the same in both languages), a :class:`Words` (a word per
language, e.g. a criterion's label) or a nested :class:`Note`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

LANGS = ("nl", "en")

# code -> language -> template; placeholders are plain ``{name}`` (the map fills them too)
NOTES: dict[str, dict[str, str]] = {
    "not_measurable": {"en": "not measurable", "nl": "niet meetbaar"},
    "beyond_reach": {"en": "no {label} within {m} m", "nl": "geen {label} binnen {m} m"},
    "off_network": {
        "en": "more than {m} m from the {mode} network",
        "nl": "meer dan {m} m van het {mode}",
    },
    "off_networks": {
        "en": "more than {m} m from the walk and bike networks",
        "nl": "meer dan {m} m van het loop- en fietsnetwerk",
    },
    "off_network_any": {"en": "off the network", "nl": "niet bij het netwerk"},
    "no_buildings": {"en": "no buildings within {m} m", "nl": "geen gebouwen binnen {m} m"},
    "raster_nodata": {
        "en": "outside the raster or on nodata",
        "nl": "buiten het raster of zonder waarde (nodata)",
    },
    "not_assessed": {"en": "not assessed: {why}", "nl": "niet beoordeeld: {why}"},
    "not_in_data": {"en": "no {label} in the data", "nl": "geen {label} in de data"},
    "no_reception_data": {
        "en": "no reception locations given (--reception) or tagged in the OSM data",
        "nl": "geen bestaande opvang opgegeven (--reception) of in OSM gelabeld",
    },
    "outside_data": {"en": "outside the data: not scored", "nl": "buiten de data: niet gescoord"},
    "outside_extent": {
        "en": "outside the data extent: not scored",
        "nl": "buiten het gebied van de data: niet gescoord",
    },
    "partial_coverage": {
        "en": "the nearest {keys} found lies farther than the edge of the data ({m} m away), "
        "or none was found: a closer one may lie outside the data",
        "nl": "de dichtstbijzijnde gevonden {keys} ligt verder weg dan de rand van de data "
        "({m} m), of er is er geen gevonden: een dichterbij gelegen kan buiten de data liggen",
    },
    # a text stored by an older version (distances.npz), shown as it was written
    "text": {"en": "{text}", "nl": "{text}"},
}

# what a network is called inside ``off_network`` ("the walk network", "het loopnetwerk")
NETWORKS: dict[str, dict[str, str]] = {
    "walk": {"en": "walk", "nl": "loopnetwerk"},
    "bike": {"en": "bike", "nl": "fietsnetwerk"},
}


@dataclass(frozen=True)
class Words:
    """One word or phrase per language (a parameter that is itself translated)."""

    nl: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en


Param = Union[int, float, str, Words, "Note"]


@dataclass(frozen=True)
class Note:
    """Why a criterion has no score for a candidate: a code of :data:`NOTES` and its
    parameters (sorted ``(name, value)`` pairs, so equal notes are equal and hashable)."""

    code: str
    params: tuple[tuple[str, Param], ...] = ()

    def param(self, name: str) -> Param:
        return dict(self.params)[name]


def note(code: str, **params: Param) -> Note:
    """A note; the code must be in :data:`NOTES` and the parameters match its placeholders."""
    if code not in NOTES:
        raise ValueError(f"unknown note code {code!r}")
    wanted = placeholders(NOTES[code]["en"])
    if set(params) != wanted:
        raise ValueError(f"note {code!r} takes {sorted(wanted)}, got {sorted(params)}")
    return Note(code, tuple(sorted(params.items())))


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def render(n: Note, lang: str) -> str:
    """The note as text in ``lang`` (``nl`` or ``en``)."""
    values = {name: _text(value, lang) for name, value in n.params}
    return NOTES[n.code]["en" if lang == "en" else "nl"].format(**values)


def _text(value: Param, lang: str) -> str:
    if isinstance(value, Note):
        return render(value, lang)
    if isinstance(value, Words):
        return value(lang)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def metres(value: float) -> int:
    """A distance as a note shows it: whole metres."""
    return int(f"{value:.0f}")


# ---- the notes measuring and scoring give ---------------------------------------------------

NOT_MEASURABLE = note("not_measurable")
NO_RECEPTION_DATA = note("no_reception_data")
OUTSIDE_DATA = note("outside_data")
OUTSIDE_EXTENT = note("outside_extent")
OFF_NETWORK_ANY = note("off_network_any")
RASTER_NODATA = note("raster_nodata")


def off_network(max_snap_m: float, mode: str) -> Note:
    """More than ``max_snap_m`` from the ``mode`` network (``walk`` or ``bike``)."""
    words = NETWORKS.get(mode, {"en": mode, "nl": f"netwerk ({mode})"})
    return note("off_network", m=metres(max_snap_m), mode=Words(nl=words["nl"], en=words["en"]))


# ---- JSON: run.json, distances.npz and the map page ----------------------------------------


def to_json(n: Note) -> dict[str, Any]:
    """``{"code": ..., "params": {...}}``; a Words parameter as ``{"nl": ..., "en": ...}``."""
    return {"code": n.code, "params": {k: _param_json(v) for k, v in n.params}}


def _param_json(value: Param) -> Any:
    if isinstance(value, Note):
        return to_json(value)
    if isinstance(value, Words):
        return {"nl": value.nl, "en": value.en}
    return value


def from_json(obj: Any) -> Note:
    """The note of :func:`to_json`; a plain string (stored by an older version) becomes a
    ``text`` note that shows it as written."""
    if isinstance(obj, Note):
        return obj
    if isinstance(obj, str) or not isinstance(obj, Mapping) or "code" not in obj:
        return note("text", text=str(obj))
    params = {k: _param_from_json(v) for k, v in (obj.get("params") or {}).items()}
    return Note(str(obj["code"]), tuple(sorted(params.items())))


def optional_to_json(n: Note | None) -> dict[str, Any] | None:
    return None if n is None else to_json(n)


def optional_from_json(obj: Any) -> Note | None:
    """:func:`from_json`, with None or "" (no note) as None."""
    return None if obj is None or obj == "" else from_json(obj)


def _param_from_json(value: Any) -> Param:
    if isinstance(value, Mapping) and "code" in value:
        return from_json(value)
    if isinstance(value, Mapping):
        return Words(nl=str(value.get("nl", "")), en=str(value.get("en", "")))
    if isinstance(value, int | float | str):
        return value
    return str(value)


def page_table(lang: str) -> dict[str, str]:
    """The templates in one language, for the map page (which fills them by code)."""
    return {code: texts["en" if lang == "en" else "nl"] for code, texts in NOTES.items()}
