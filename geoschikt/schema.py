"""Declared settings: one place for each configuration key.

A setting is declared once, on the dataclass attribute it fills (:func:`setting`, stored in
``dataclasses.field(metadata=...)``): its TOML key, kind of value, default, bounds or choices, a
one-line doc and whether changing it needs the distances measured again. Reading a TOML table
(:func:`read_table`), the known keys with their "did you mean" (:func:`unknown_key`), the
re-measure rule (:func:`measured_by`) and docs/CONFIG.md (``geoschikt.config_docs``) are derived
from these declarations; rules between settings stay hand-written (hooks run after a setting).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

Values = dict[str, Any]
"""The settings of one table read so far: attribute name -> checked (not yet converted) value."""
Hook = Callable[[str, Values, list[str]], None]
"""A rule between settings, run after a setting was read: (where, values, problems)."""

_MESSAGES = {  # the problem text of a bad value, per kind (a setting may give its own)
    "whole": "{name} = {value!r} must be a whole number",
    "bool": "{name} = {value!r} must be true or false",
    "text": "{name} = {value!r} must be text",
    "choice": "{name} = {value!r}; allowed: {choices}",
    "strings": "{name} must be a list of strings",
    "rules": "{name} must be a list of 'key=value' strings",
    "path": "{name} must be the path of a file",
    "table": "{name} must be a table of numbers above 0",
}
KINDS = ("number", "label", *_MESSAGES)  # number: checked by number_problem; label: any value


@dataclass(frozen=True)
class Setting:
    """One configuration key: what it accepts, its default and what changing it costs."""

    kind: str  # one of KINDS
    doc: str  # one line, for docs/CONFIG.md and `config show --doc`
    attr: str = ""  # the dataclass attribute (filled in by settings_of)
    key: str = ""  # the TOML key, when it differs from the attribute
    section: str = ""  # for Config's own attributes: the TOML section they come from
    default: Any = None  # used when the key is missing (see also derive)
    derive: Callable[[Values], Any] | None = None  # a default that depends on other settings
    default_doc: str = ""  # how a derived default is made, for the documentation
    required: bool = False  # numbers: a missing key is a problem
    unit: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    positive: bool = False
    maximum: float | None = None
    nonempty: bool = False  # strings: at least one
    message: str = ""  # problem text for a bad value: {name}, {value!r}, {choices}, {quoted}
    check: Callable[[str, Any], str | None] | None = None  # further check of a well-typed value
    convert: Callable[[Any], Any] | None = None  # checked value -> attribute value
    fallback: Any = None  # value kept after a problem (so later rules can still look)
    only: tuple[str, tuple[str, ...]] | None = None  # read only when that setting has these values
    remeasure: bool = False  # changing it needs the distances measured again
    when: tuple[str, tuple[str, ...]] | None = None  # ... only when that setting has these values
    reach: bool = False  # a larger value may lengthen the reach (then: measure again)

    def default_for(self, values: Values) -> Any:
        return self.derive(values) if self.derive is not None else self.default

    def applies(self, values: Mapping[str, Any]) -> bool:
        return self.only is None or values.get(self.only[0]) in self.only[1]

    @property
    def rule(self) -> str:
        """``re-measure``, ``re-measure if <setting> is <values>`` or ``re-score only``."""
        if not self.remeasure:
            return "re-score only; re-measure if the reach grows" if self.reach else "re-score only"
        if self.when is None:
            return "re-measure"
        rule = f"re-measure if {self.when[0]} is {' or '.join(self.when[1])}"
        return rule + (", else if the reach grows" if self.reach else "")


def setting(kind: str, doc: str, default: Any = None, **kw: Any) -> Any:
    """A dataclass field declaring a setting (``kw``: the other fields of :class:`Setting`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of setting {kind!r}")
    meta = {"setting": Setting(kind, doc, default=default, **kw)}
    if isinstance(default, list | dict):
        raise ValueError("give a tuple as default")
    return field(default=default, metadata=meta)


def settings_of(cls: type, section: str | None = None) -> tuple[Setting, ...]:
    """The settings declared on the dataclass ``cls`` (those of ``section``, if given)."""
    out = []
    for f in fields(cls):
        s = f.metadata.get("setting")
        if s is not None and (section is None or s.section == section):
            out.append(replace(s, attr=f.name, key=s.key or f.name))
    return tuple(out)


def unknown_key(here: str, key: str, allowed: Iterable[str]) -> str:
    """The problem text of an unknown key, with the closest known one."""
    allowed = sorted(allowed)
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown config key '{here}'{hint} (allowed: {', '.join(allowed)})"


def not_finite(name: str, value: float) -> str | None:
    """A problem text when ``value`` is nan or infinite (TOML allows both), else None."""
    if not math.isfinite(value):
        return f"{name} = {value} is not a finite number; give a plain number"
    return None


def above_maximum(name: str, value: float, maximum: float | None) -> str | None:
    """A problem text when ``value`` exceeds ``maximum``, else None."""
    if maximum is not None and value > maximum:
        return f"{name} = {value:g} is above the maximum {maximum:g}"
    return None


def number_problem(s: Setting, name: str, value: Any) -> str | None:
    """Why ``value`` is not an acceptable number for ``s`` (None: it is)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{name} = {value!r} is not a number"
    problem = not_finite(name, value) or above_maximum(name, value, s.maximum)
    if problem:
        return problem
    if s.positive and value <= 0:
        return f"{name} = {value} must be greater than 0"
    if s.minimum is not None and value < s.minimum:
        return f"{name} = {value} must be at least {s.minimum}"
    return None


def _is_strings(value: Any, *, nonempty: bool = False, filled: bool = False) -> bool:
    return (  # a default is a tuple; TOML gives lists
        isinstance(value, list | tuple)
        and all(isinstance(t, str) and (t or not filled) for t in value)
        and (bool(value) or not nonempty)
    )


def _well_typed(s: Setting, value: Any) -> bool:
    """Whether ``value`` has the kind of ``s`` (numbers are checked by number_problem)."""
    if s.kind == "whole":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return ok and (s.minimum is None or value >= s.minimum)
    if s.kind == "bool":
        return isinstance(value, bool)
    if s.kind in ("text", "path"):
        return isinstance(value, str)
    if s.kind == "choice":
        return value in s.choices
    if s.kind in ("strings", "rules"):
        return _is_strings(value, nonempty=s.nonempty, filled=s.kind == "rules")
    if s.kind == "table":
        value = dict(value) if isinstance(value, tuple) else value  # a tuple default: pairs
        return isinstance(value, dict) and all(
            isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in value.values()
        )
    return s.kind == "label"


def value_problem(s: Setting, name: str, value: Any) -> str | None:
    """Why ``value`` is not acceptable for ``s`` (None: it is)."""
    if s.kind == "number":
        return number_problem(s, name, value)
    if not _well_typed(s, value):
        return (s.message or _MESSAGES[s.kind]).format(
            name=name,
            value=value,
            choices=", ".join(s.choices),
            quoted=", ".join(map(repr, s.choices)),
        )
    return s.check(name, value) if s.check is not None else None


def read_table(
    where: str,
    spec: Mapping[str, Any],
    settings: Iterable[Setting],
    problems: list[str],
    *,
    values: Values | None = None,
    hooks: Mapping[str, Hook] | None = None,
) -> Values:
    """Check the settings of one table, in declaration order, adding problems to ``problems``.

    Missing keys take their (derived) default; a setting whose ``only`` condition does not hold is
    not read and keeps its declared default. After a setting, its hook (if any) runs.
    """
    values = dict(values or {})
    for s in settings:
        if not s.applies(values):
            values[s.attr] = s.default
            continue
        name = f"{where}.{s.key}"
        raw = spec.get(s.key)
        if raw is None and s.kind == "number":
            if s.required:
                problems.append(f"{name} is missing; give a number")
            values[s.attr] = s.default_for(values)
        else:
            value = s.default_for(values) if raw is None else raw
            problem = value_problem(s, name, value)
            if problem:
                problems.append(problem)
                value = _kept(s, value)
            values[s.attr] = float(value) if s.kind == "number" and value is not None else value
        hook = (hooks or {}).get(s.attr)
        if hook is not None:
            hook(where, values, problems)
    return values


def _kept(s: Setting, value: Any) -> Any:
    """What is kept of a bad value: a bad number falls back to the default (rules between
    settings then skip it), a bad choice stays as text, other kinds keep ``fallback``."""
    if s.kind == "number":
        return s.default
    if s.kind == "choice":
        return str(value)
    return value if s.fallback is None and s.kind == "rules" else s.fallback


def converted(settings: Iterable[Setting], values: Values, *, base_dir: Path) -> Values:
    """The attribute values of checked ``values`` (lists to tuples, paths resolved, ...)."""
    out: Values = {}
    for s in settings:
        value = values[s.attr]
        if value is None:  # an optional setting left out
            pass
        elif s.convert is not None:
            value = s.convert(value)
        elif s.kind in ("strings",):
            value = tuple(value)
        elif s.kind == "label" or s.kind == "choice":
            value = str(value)
        elif s.kind == "path":
            path = Path(value).expanduser()
            value = path if path.is_absolute() else base_dir / path
        elif s.kind == "table":
            value = tuple(sorted((str(k), float(v)) for k, v in dict(value).items()))
        out[s.attr] = value
    return out


def measured_by(settings: Iterable[Setting], obj: Any) -> tuple[object, ...]:
    """The values of ``obj`` whose change needs a new measurement (its measuring key)."""
    return tuple(
        getattr(obj, s.attr)
        for s in settings
        if s.remeasure and (s.when is None or getattr(obj, s.when[0]) in s.when[1])
    )


def regex_problem(name: str, value: Any) -> str | None:
    """A problem text when ``value`` is not a valid regular expression."""
    try:
        re.compile(str(value))
    except re.error as exc:
        return f"{name} = {value!r} is not a valid regular expression ({exc})"
    return None
