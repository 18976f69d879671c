"""Score an OSM file and save a PNG screenshot of its map (headless Chromium, no network).

    python scripts/screenshot_map.py --osm ../shared/data/delft/tudelft.osm.pbf \\
        --area-name Delft --out delft-map.png

Background tiles need the internet, so offline the screenshot shows the data on a plain
background. The screenshot is a generated file: do not commit it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from geoschikt.config import load_config
from geoschikt.outputs.webmap import MapOptions, write_map
from geoschikt.pipeline import score_area
from geoschikt.testing.browser import Browser, BrowserError

READY = "document.documentElement.dataset.gsReadyMs"


def screenshot(
    map_html: Path,
    out: Path,
    *,
    width: int = 1400,
    height: int = 900,
    select: int | None = 0,
    offline: bool = True,
) -> Path:
    """Open ``map_html``, optionally show candidate ``select``'s breakdown, save a PNG."""
    with Browser(offline=offline) as browser:
        page = browser.new_page(width, height)
        page.open(map_html, ready=READY)
        if select is not None:
            page.evaluate(f"geoschikt.count > {select} && geoschikt.show({select}), 1")
        browser.pump(0.5)  # let tiles fail or load and the frame settle
        return page.screenshot(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, required=True, help="OSM file to score")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    parser.add_argument("--area-name", help="score inside this administrative boundary")
    parser.add_argument("--lang", choices=["nl", "en"], default="nl")
    parser.add_argument("--blur", type=float, default=0.0, metavar="METRES")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument(
        "--select", type=int, default=1, help="rank position whose breakdown to show (0: none)"
    )
    args = parser.parse_args(argv)
    result = score_area(args.osm, config=load_config(), area_name=args.area_name)
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "map.html"
        write_map(result, html, MapOptions(lang=args.lang, blur_m=args.blur))
        try:
            png = screenshot(
                html,
                args.out,
                width=args.width,
                height=args.height,
                select=args.select - 1 if args.select > 0 else None,
            )
        except BrowserError as exc:
            print(f"screenshot_map: {exc}", file=sys.stderr)
            return 1
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
