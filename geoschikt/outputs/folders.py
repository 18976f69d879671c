"""Folder names for ids from user files: safe, unique and traceable back to the id.

An id that is already a safe name (letters, digits, ``_``, ``-``, ``.`` not in front, at most
:data:`MAX_BYTES` bytes, not a Windows device name) is its own folder name. Any other id gets a
cleaned, shortened slug plus the first 10 hex digits of its SHA-256, so ``a/b`` -> ``a_b-3f...``
never meets the id ``a_b``, and ``.``/``..`` never name the parent folder. The mapping is
recorded next to the outputs (``summary.csv``) so every folder leads back to its id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from geoschikt.errors import InputFileError

MAX_BYTES = 100  # far below the usual 255-byte limit, leaving room for suffixes like .json
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(10)
}


def folder_name(region_id: str) -> str:
    """The folder name of one id (see the module docstring)."""
    if _is_safe(region_id):
        return region_id
    slug = _UNSAFE.sub("_", region_id).lstrip(".")[:60] or "_"
    digest = hashlib.sha256(region_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug}-{digest}"


def _is_safe(name: str) -> bool:
    return (
        bool(name)
        and not _UNSAFE.search(name)
        and not name.startswith(".")
        and len(name.encode()) <= MAX_BYTES
        and name.split(".")[0].upper() not in _WINDOWS_DEVICES
    )


def folder_names(ids: Iterable[str], what: str = "region") -> dict[str, str]:
    """``{id: folder name}`` for all ids; refuses empty ids and ids whose folders would be the
    same (also on case-insensitive file systems), listing them all."""
    ids = list(ids)
    empty = [repr(i) for i in ids if not str(i).strip()]
    if empty:
        raise InputFileError(
            f"{len(empty)} {what} id(s) are empty ({', '.join(empty[:10])}); give every "
            f"{what} an id"
        )
    names = {i: folder_name(i) for i in ids}
    by_folder: dict[str, list[str]] = {}
    for region_id, name in names.items():
        by_folder.setdefault(name.casefold(), []).append(region_id)
    clashes = [group for group in by_folder.values() if len(group) > 1]
    if clashes:
        listed = "; ".join(" = ".join(repr(i) for i in group) for group in clashes[:10])
        raise InputFileError(
            f"{what} ids would share an output folder (ids differing only in upper/lower case "
            f"collide on Windows and macOS): {listed}; make them distinct"
        )
    return names
