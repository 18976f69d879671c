"""The documentation of the settings, made from their declarations (geoschikt.schema).

``config_markdown()`` is docs/CONFIG.md (``geoschikt config docs``; a test keeps the committed
file up to date); ``annotated_toml()`` is ``geoschikt config show --doc``.
"""

from __future__ import annotations

import re
from typing import Any

import tomli_w

from geoschikt.config import (
    CRITERION_SETTINGS,
    ENABLED,
    SECTIONS,
    Config,
    default_config_path,
    read_toml,
)
from geoschikt.schema import Setting

_HEADER = """\
# Configuration reference

Generated from the declarations in `geoschikt/config.py` by `geoschikt config docs`; do not
edit by hand (`tests/test_config_docs.py` checks that this file is up to date).

A configuration file only needs the keys you change: it is laid over `config/default.toml`
(`geoschikt config show` prints the result, `geoschikt config show --doc` with these notes).
*Changing it* says what a change costs when you re-score a finished run (`geoschikt rescore`):
**re-score only** reuses the measured distances; **re-measure** needs `geoschikt score` (or
`batch`) again; "re-measure if the reach grows" means a change that makes a criterion look
farther than was measured needs a new measurement.
"""

_CRITERIA = """\
## [criteria.&lt;key&gt;]

One table per criterion; `<key>` is lower-case letters, digits and `_`. The defaults below are
used when a criterion leaves the key out; `config/default.toml` sets most of them per criterion.
"""


_SHOWN = 4  # list items shown in a default


def _kind(s: Setting) -> str:
    """The kind of value, with its bounds or choices."""
    if s.kind == "choice":
        return "one of " + ", ".join(f"`{c}`" for c in s.choices)
    bounds = []
    if s.positive:
        bounds.append("> 0")
    if s.minimum is not None:
        bounds.append(f">= {s.minimum:g}")
    if s.maximum is not None:
        bounds.append(f"<= {s.maximum:g}")
    name = {
        "number": "number",
        "whole": "whole number",
        "bool": "true/false",
        "text": "text",
        "label": "text",
        "strings": "list of text" + (", not empty" if s.nonempty else ""),
        "rules": "list of tag rules",
        "path": "file path",
        "table": "table of numbers",
    }[s.kind]
    return " ".join([name, *bounds]) + (f" ({s.unit})" if s.unit else "")


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list):
        shown = [_value(v) for v in value[:_SHOWN]]
        more = [f"... {len(value) - _SHOWN} more"] if len(value) > _SHOWN else []
        return "[" + ", ".join(shown + more) + "]"
    if isinstance(value, dict):
        return f"{len(value)} entries (see config/default.toml)"
    return f'"{value}"' if isinstance(value, str) else str(value)


def _default(s: Setting, defaults: dict[str, Any] | None) -> str:
    if defaults is not None and s.key in defaults:
        return f"`{_value(defaults[s.key])}`"
    if s.derive is not None:
        return s.default_doc
    if s.required or (s.only is not None and (s.default is None or s.nonempty)):
        when = f" if {s.only[0]} is {' or '.join(s.only[1])}" if s.only is not None else ""
        return f"(required{when})"
    return f"`{_value(s.default)}`"


def _table(settings: tuple[Setting, ...], defaults: dict[str, Any] | None) -> list[str]:
    rows = ["| key | value | default | meaning | changing it |", "|---|---|---|---|---|"]
    for s in settings:
        doc = s.doc.replace("|", "\\|")
        rows.append(f"| `{s.key}` | {_kind(s)} | {_default(s, defaults)} | {doc} | {s.rule} |")
    return rows


def config_markdown() -> str:
    """docs/CONFIG.md: every section and key with its kind, default, meaning and cost."""
    shipped = read_toml(default_config_path())
    lines = [_HEADER]
    for section, settings in SECTIONS.items():
        lines += [f"## [{section}]", "", *_table(settings, shipped.get(section, {})), ""]
    lines += [_CRITERIA, *_table((*CRITERION_SETTINGS, ENABLED), None), ""]
    return "\n".join(lines)


_HEADING = re.compile(r"^\[(?P<name>[^\]]+)\]$")
_KEY = re.compile(r"^(?P<key>[A-Za-z0-9_]+) = ")


def _settings_under(heading: str) -> dict[str, Setting]:
    parts = heading.split(".")
    if len(parts) >= 2 and parts[-2] == "criteria":
        return {s.key: s for s in (*CRITERION_SETTINGS, ENABLED)}
    return {s.key: s for s in SECTIONS.get(parts[-1], ())}


def annotated_toml(config: Config) -> str:
    """The effective configuration as TOML, each known key preceded by its doc and cost."""
    out: list[str] = []
    known: dict[str, Setting] = {}
    for line in tomli_w.dumps(config.to_dict()).splitlines():
        heading, key = _HEADING.match(line), _KEY.match(line)
        if heading:
            known = _settings_under(heading["name"])
        elif key and key["key"] in known:
            s = known[key["key"]]
            out.append(f"# {s.doc} ({s.rule})")
        out.append(line)
    return "\n".join(out) + "\n"
