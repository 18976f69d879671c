"""The report's content model: plain blocks of already translated text, tables and figures.

Both renderers (``pdf.py``, ``htmldoc.py``) walk the same blocks, so the PDF and the HTML say
the same thing. Every string here is plain text: the renderers escape it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 section, 2 subsection


@dataclass(frozen=True)
class Para:
    text: str
    style: str = "body"  # "body", "lead" (a summary) or "note" (small print)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()  # right-aligned columns
    widths: tuple[float, ...] = ()  # relative column widths (PDF)
    caption: str = ""
    small: bool = False


@dataclass(frozen=True)
class Figure:
    png: bytes
    caption: str
    alt: str
    width: float = 1.0  # share of the text width
    aspect: float = 0.75  # height / width of the image


@dataclass(frozen=True)
class FigureGrid:
    figures: tuple[Figure, ...]
    columns: int = 2
    caption: str = ""


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Para | Bullets | Table | Figure | FigureGrid | PageBreak


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    lang: str
    footer: str  # with {page} for the page number (PDF)
    blocks: tuple[Block, ...] = field(default_factory=tuple)
