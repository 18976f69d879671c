"""Lay the report out as one self-contained HTML file (figures as data: URIs, no scripts).

Nothing is loaded from elsewhere: a Content-Security-Policy allows only inline styles and data:
images. Every text is escaped with ``html.escape`` (OSM names are not trusted).
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

import geoschikt.report.model as model

CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: #222; margin: 0;
  background: #f4f5f7; line-height: 1.45; font-size: 15px; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: #fff; }
h1.title { font-size: 1.8rem; margin: 0.5rem 0 0.2rem; }
p.subtitle { color: #555; margin: 0 0 1.2rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 0.6rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 0.4rem; }
p.lead { font-size: 1.1rem; }
p.note, figcaption, caption { font-size: 0.82rem; color: #444; }
caption { caption-side: bottom; text-align: left; padding-top: 0.3rem; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0 1rem; font-size: 0.88rem; }
table.small { font-size: 0.78rem; }
th, td { border-bottom: 1px solid #ccc; padding: 0.2rem 0.35rem; vertical-align: top;
  text-align: left; }
th { background: #eef0f4; border-bottom: 2px solid #222; }
td.num, th.num { text-align: right; }
td { white-space: pre-line; overflow-wrap: anywhere; }
figure { margin: 0.6rem 0 1rem; }
figure img { width: 100%; height: auto; display: block; }
.grid { display: grid; grid-template-columns: repeat(var(--cols), 1fr); gap: 0.6rem; }
.grid figure { margin: 0; }
footer { font-size: 0.8rem; color: #555; margin-top: 2rem; }
@media (max-width: 40rem) { main { padding: 1rem; } .grid { grid-template-columns: 1fr; } }
@media print { body { background: #fff; font-size: 10.5pt; } main { max-width: none; padding: 0; }
  .pagebreak { break-after: page; } figure, table { break-inside: avoid; } }
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _img(fig: model.Figure) -> str:
    data = base64.b64encode(fig.png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(fig.alt)}">'


def _table(block: model.Table) -> str:
    numeric = block.numeric or (False,) * len(block.header)
    cls = ' class="small"' if block.small else ""
    out = [f"<table{cls}>"]
    if block.caption:
        out.append(f"<caption>{escape(block.caption)}</caption>")
    if any(block.header):
        cells = "".join(
            f'<th{" class=num" if n else ""} scope="col">{escape(h)}</th>'
            for h, n in zip(block.header, numeric, strict=True)
        )
        out.append(f"<thead><tr>{cells}</tr></thead>")
    out.append("<tbody>")
    for row in block.rows:
        cells = "".join(
            f"<td{' class=num' if n else ''}>{escape(v)}</td>"
            for v, n in zip(row, numeric, strict=True)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _block(block: model.Block) -> str:
    if isinstance(block, model.Heading):
        tag = "h2" if block.level == 1 else "h3"
        return f"<{tag}>{escape(block.text)}</{tag}>"
    if isinstance(block, model.Para):
        return f'<p class="{block.style}">{escape(block.text)}</p>'
    if isinstance(block, model.Bullets):
        return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, model.Table):
        return _table(block)
    if isinstance(block, model.Figure):
        cap = f"<figcaption>{escape(block.caption)}</figcaption>" if block.caption else ""
        style = f' style="max-width:{block.width * 100:.0f}%"' if block.width < 1 else ""
        return f"<figure{style}>{_img(block)}{cap}</figure>"
    if isinstance(block, model.FigureGrid):
        figs = "".join(f"<figure>{_img(f)}</figure>" for f in block.figures)
        cap = f'<p class="note">{escape(block.caption)}</p>' if block.caption else ""
        return f'<div class="grid" style="--cols:{block.columns}">{figs}</div>{cap}'
    return '<div class="pagebreak"></div>'


def render_html(report: model.Report) -> str:
    """The report as one HTML document (a string)."""
    body = "\n".join(_block(b) for b in report.blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(report.lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(report.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f'<h1 class="title">{escape(report.title)}</h1>\n'
        f'<p class="subtitle">{escape(report.subtitle)}</p>\n{body}\n'
        "<footer>© OpenStreetMap contributors (ODbL) · geoschikt</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


def write_html(report: model.Report, path: Path) -> None:
    Path(path).write_text(render_html(report), encoding="utf-8")
