"""Lay the report out as an A4 PDF with reportlab.

Why reportlab: it is pure Python (wheels on PyPI, no system libraries), well kept (ReportLab
Inc., releases since 2000, 4.x current), embeds TrueType fonts as subsets with a Unicode map so
the text is extractable (``pdftotext``), and its platypus layout (paragraphs, tables that split
over pages, images) is all a report needs. WeasyPrint would render our HTML directly, but needs
Pango/cairo/HarfBuzz from the system, which ``pip install`` does not bring.

Fonts: DejaVu Sans from matplotlib's own data (already a dependency), so Dutch accents, "©",
"²", "–", "✗" and any OSM name in Latin, Greek or Cyrillic script render; reportlab's 14 standard
fonts only cover Latin-1. Every text is escaped before it goes into Paragraph markup.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as RLTable

import geoschikt.report.model as model

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN
INK = colors.HexColor("#222222")
RULE = colors.HexColor("#bbbbbb")
SHADE = colors.HexColor("#eef0f4")


def _fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(ttf / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(ttf / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body", fontName=FONT, fontSize=9, leading=12.5, textColor=INK, spaceAfter=5
    )
    return {
        "title": ParagraphStyle(
            "title", base, fontName=BOLD, fontSize=18, leading=22, spaceAfter=4
        ),
        "subtitle": ParagraphStyle(
            "subtitle", base, fontSize=10, textColor=colors.HexColor("#555555"), spaceAfter=12
        ),
        "h1": ParagraphStyle(
            "h1", base, fontName=BOLD, fontSize=13, leading=16, spaceBefore=10, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2", base, fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=8, spaceAfter=4
        ),
        "body": base,
        "lead": ParagraphStyle("lead", base, fontSize=10.5, leading=14.5, spaceAfter=8),
        "note": ParagraphStyle(
            "note", base, fontSize=7.5, leading=10, textColor=colors.HexColor("#444444")
        ),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=10, spaceAfter=0),
        "cell_small": ParagraphStyle("cell_small", base, fontSize=7, leading=8.8, spaceAfter=0),
        "caption": ParagraphStyle(
            "caption",
            base,
            fontSize=7.5,
            leading=10,
            textColor=colors.HexColor("#444444"),
            spaceBefore=2,
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: escaped, line breaks kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _table(block: model.Table, st: dict) -> list:
    cell = st["cell_small"] if block.small else st["cell"]
    right = ParagraphStyle("right", cell, alignment=TA_RIGHT)
    head = ParagraphStyle("head", cell, fontName=BOLD)
    head_right = ParagraphStyle("head_right", head, alignment=TA_RIGHT)
    numeric = block.numeric or (False,) * len(block.header)
    widths = block.widths or (1.0,) * len(block.header)
    scale = WIDTH / sum(widths)
    has_header = any(block.header)
    data = []
    if has_header:
        data.append(
            [_p(h, head_right if n else head) for h, n in zip(block.header, numeric, strict=True)]
        )
    for row in block.rows:
        data.append([_p(v, right if n else cell) for v, n in zip(row, numeric, strict=True)])
    table = RLTable(data, colWidths=[w * scale for w in widths], repeatRows=1 if has_header else 0)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if has_header:
        style += [("BACKGROUND", (0, 0), (-1, 0), SHADE), ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK)]
    table.setStyle(TableStyle(style))
    out: list = [table]
    if block.caption:
        out.append(_p(block.caption, st["caption"]))
    out.append(Spacer(1, 6))
    return out


def _image(fig: model.Figure, width: float) -> Image:
    return Image(io.BytesIO(fig.png), width=width, height=width * fig.aspect)


def _figure(block: model.Figure, st: dict) -> list:
    parts = [_image(block, WIDTH * block.width)]
    if block.caption:
        parts.append(_p(block.caption, st["caption"]))
    return [KeepTogether(parts), Spacer(1, 6)]


def _grid(block: model.FigureGrid, st: dict) -> list:
    cols = block.columns
    width = WIDTH / cols - 4
    rows = [list(block.figures[i : i + cols]) for i in range(0, len(block.figures), cols)]
    data = [[_image(f, width) for f in row] + [""] * (cols - len(row)) for row in rows]
    table = RLTable(data, colWidths=[WIDTH / cols] * cols)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    out: list = [table]
    if block.caption:
        out.append(_p(block.caption, st["caption"]))
    return out


def _flowables(report: model.Report, st: dict) -> list:
    story: list = [_p(report.title, st["title"]), _p(report.subtitle, st["subtitle"])]
    pending: list = []  # a heading is kept with what follows it
    for block in report.blocks:
        if isinstance(block, model.Heading):
            pending.append(_p(block.text, st["h1" if block.level == 1 else "h2"]))
            continue
        if isinstance(block, model.PageBreak):
            story += pending
            pending = []
            story.append(PageBreak())
            continue
        if isinstance(block, model.Para):
            parts = [_p(block.text, st[block.style])]
        elif isinstance(block, model.Bullets):
            parts = [
                ListFlowable(
                    [ListItem(_p(item, st["body"]), leftIndent=10) for item in block.items],
                    bulletType="bullet",
                    start="•",
                    leftIndent=10,
                    bulletFontName=FONT,
                    bulletFontSize=8,
                )
            ]
        elif isinstance(block, model.Table):
            parts = _table(block, st)
        elif isinstance(block, model.Figure):
            parts = _figure(block, st)
        else:
            parts = _grid(block, st)
        if pending:
            story.append(KeepTogether(pending + parts[:1]))
            story += parts[1:]
            pending = []
        else:
            story += parts
    return story + pending


def write_pdf(report: model.Report, path: Path) -> None:
    """Write ``report`` as an A4 PDF to ``path``."""
    _fonts()
    st = _styles()
    footer = report.footer

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(MARGIN, 9 * mm, footer.format(title=report.title, page=doc.page))
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, "© OpenStreetMap contributors")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=report.title,
        author="geoschikt",
        subject=report.subtitle,
        lang=report.lang,
    )
    doc.build(_flowables(report, st), onFirstPage=decorate, onLaterPages=decorate)
