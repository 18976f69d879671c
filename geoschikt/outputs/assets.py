"""Leaflet and the map's own JavaScript/CSS, read from installed packages.

Leaflet comes from the ``XStatic-Leaflet`` package on PyPI (a plain ``pip install`` brings it):
its ``leaflet.js`` and ``leaflet.css`` are byte-identical to the ``leaflet`` npm release, so
the CDN variant can pin them with Subresource Integrity hashes computed from the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

CDN_BASE = "https://unpkg.com/leaflet@{version}/dist/"
_CSS_URL = re.compile(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


@dataclass(frozen=True)
class Leaflet:
    """Leaflet's code: ``js`` as shipped, ``css`` with its images inlined as data: URIs."""

    version: str
    js: str
    css: str
    js_sri: str
    css_sri: str

    @property
    def cdn_js(self) -> str:
        return CDN_BASE.format(version=self.version) + "leaflet.js"

    @property
    def cdn_css(self) -> str:
        return CDN_BASE.format(version=self.version) + "leaflet.css"


@cache
def leaflet() -> Leaflet:
    """Leaflet from the installed ``XStatic-Leaflet`` package."""
    from xstatic.pkg import leaflet as xs

    base = Path(xs.BASE_DIR)
    js = (base / "leaflet.js").read_bytes()
    css = (base / "leaflet.css").read_bytes()
    return Leaflet(
        version=xs.VERSION,
        js=js.decode("utf-8"),
        css=inline_css_images(css.decode("utf-8"), base),
        js_sri=sri(js),
        css_sri=sri(css),
    )


def inline_css_images(css: str, base: Path) -> str:
    """``css`` without comments and with ``url(images/x.png)`` replaced by data: URIs."""

    def data_uri(match: re.Match) -> str:
        png = base64.b64encode((base / match.group(2)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{png})"

    return _CSS_URL.sub(data_uri, _CSS_COMMENT.sub("", css))


def sri(content: bytes) -> str:
    """Subresource Integrity value (sha384) of ``content``."""
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode("ascii")


def csp_hash(script: str) -> str:
    """CSP source expression allowing exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@cache
def own(name: str) -> str:
    """One of the map's own files in ``geoschikt/outputs/static``."""
    return resources.files("geoschikt.outputs").joinpath("static", name).read_text("utf-8")
