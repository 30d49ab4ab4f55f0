"""`outputs.pdf`: page geometry and type size, validated with messages that say what to write."""

from __future__ import annotations

import re
from typing import Literal

import resource

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from compiler.backends import BackendOptions
from compiler.support import limits

PAGE_SIZES_MM = {"A3": (297, 420), "A4": (210, 297), "A5": (148, 210), "A6": (105, 148), "B5": (176, 250),
                 "LETTER": (215.9, 279.4), "LEGAL": (215.9, 355.6)}
_UNIT_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96}
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt|pc|px)\s*$")
_SIZE_HELP = "use A4, A5, Letter, 6in x 9in, or WIDTH x HEIGHT with units mm, cm, in or pt"


def length_mm(text: str) -> float:
    """A CSS absolute length ("18mm", "0.75in") in millimetres; ValueError with the accepted forms."""
    match = _LENGTH.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a length; write a number with a unit, like 18mm, 2cm, 0.75in or 54pt")
    return float(match[1]) * _UNIT_MM[match[2]]


def page_size_mm(text: str) -> tuple[float, float]:
    """Width and height of a page size ("A5", "Letter", "6in × 9in") in millimetres."""
    name = str(text).strip()
    if name.upper() in PAGE_SIZES_MM:
        return PAGE_SIZES_MM[name.upper()]
    parts = [p for p in re.split(r"\s*[x×*]\s*|\s+", name.lower()) if p]
    if len(parts) != 2:
        raise ValueError(f"page_size {text!r} is not a page size; {_SIZE_HELP}")
    try:
        width, height = (length_mm(p) for p in parts)
    except ValueError:
        raise ValueError(f"page_size {text!r} is not a page size; {_SIZE_HELP}") from None
    if not (50 <= width <= 1000 and 50 <= height <= 1000):
        raise ValueError(f"page_size {text!r}: each side must be between 50mm and 1000mm")
    return width, height


class Margins(BaseModel):
    """Page margins; `inner` is the binding side (left on right-hand pages)."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    top: str | None = None
    bottom: str | None = None
    inner: str | None = None
    outer: str | None = None

    @field_validator("top", "bottom", "inner", "outer")
    @classmethod
    def _length(cls, v: str | None) -> str | None:
        if v is not None:
            length_mm(v)
        return v


ENGINES = ("weasyprint", "typst")


class PdfOptions(BackendOptions):
    """`outputs.pdf` in book.yml. See docs/pdf.md."""
    engine: Literal["weasyprint", "typst"] = Field("weasyprint", description="Typesetter: weasyprint or typst")
    page_size: str = Field("A5", description="A4, A5, Letter, 6in x 9in, or WIDTH x HEIGHT")
    margins: str | Margins | None = Field(None, description="One length for all sides, or top/bottom/inner/outer")
    font_size: str | float = Field("10.5pt", description="Body text size (a number means points)")
    recto_chapters: bool = Field(False, description="Start chapters and parts on right-hand pages")
    link_notes: bool = Field(False, description="Print the URL of each external link as a footnote")
    toc_depth: int = Field(2, ge=1, le=6, description="1: chapters only; 2: and their sections; …")
    cover: bool = Field(True, description="Begin with a cover page (book cover image or a typeset one)")
    variant: Literal["none", "pdf/ua-1", "pdf/a-3b"] = Field("none", description="PDF/UA-1 (tagged) or PDF/A-3b")
    timeout: int | None = Field(None, ge=10, le=7 * 24 * 3600,
                                description="Seconds the renderer may take (default: by book size)")
    memory_limit: int | None = Field(None, ge=64, le=16 * 1024 * 1024,
                                     description="MiB the renderer may use (default: 75% of RAM)")
    jobs: int | None = Field(None, ge=1, le=256,
                             description="Renderer processes for a long book (default: usable cores; 1: one pass)")

    @field_validator("memory_limit")
    @classmethod
    def _memory_limit(cls, v: int | None) -> int | None:
        hard = limits.hard_limit(resource.RLIMIT_AS)
        if v is not None and hard is not None and v << 20 > hard:
            raise ValueError(f"{v} MiB is more than this process may use ({hard >> 20} MiB is the limit in force "
                             "here: ulimit -v, prlimit or a container); lower it, or leave it out to use what is allowed")
        return v

    @field_validator("page_size")
    @classmethod
    def _page_size(cls, v: str) -> str:
        page_size_mm(v)
        return v

    @field_validator("margins", mode="before")
    @classmethod
    def _margins(cls, v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raise ValueError(f"margins {v!r} needs a unit, like {v}mm")
        if isinstance(v, str):
            length_mm(v)
        return v

    @field_validator("font_size")
    @classmethod
    def _font_size(cls, v: str | float) -> str | float:
        points = font_points(v)
        if not 6 - 1e-6 <= points <= 24 + 1e-6:   # 6pt is 6.000000000000001 once through millimetres
            raise ValueError(f"font_size {v!r} is {points:.1f}pt; use a size between 6pt and 24pt")
        return v

    @model_validator(mode="after")
    def _margins_fit(self):
        width, height = page_size_mm(self.page_size)
        m = page_margins(self)
        if m["inner"] + m["outer"] > 0.6 * width or m["top"] + m["bottom"] > 0.6 * height:
            raise ValueError(f"margins leave too little room on a {self.page_size} page; make them smaller")
        return self


def font_points(value: str | float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return length_mm(value) / _UNIT_MM["pt"]


def page_margins(options: PdfOptions) -> dict[str, float]:
    """Margins in mm: given ones, else classic proportions of the page (wider at the binding)."""
    width, height = page_size_mm(options.page_size)
    default = {"top": 0.085 * height, "bottom": 0.10 * height, "inner": 0.13 * width, "outer": 0.10 * width}
    if isinstance(options.margins, str):
        return dict.fromkeys(default, length_mm(options.margins))
    given = options.margins.model_dump(exclude_none=True) if options.margins else {}
    return {k: length_mm(given[k]) if k in given else v for k, v in default.items()}


def options_css(options: PdfOptions) -> str:
    """The CSS that `outputs.pdf` decides (added after the theme's print.css)."""
    width, height = page_size_mm(options.page_size)
    m = page_margins(options)
    body_height = height - m["top"] - m["bottom"]
    return (
        f"@page {{ size: {width:.2f}mm {height:.2f}mm; margin: {m['top']:.2f}mm {m['outer']:.2f}mm "
        f"{m['bottom']:.2f}mm {m['inner']:.2f}mm }}\n"
        f"@page :left {{ margin-left: {m['outer']:.2f}mm; margin-right: {m['inner']:.2f}mm }}\n"
        f"@page :right {{ margin-left: {m['inner']:.2f}mm; margin-right: {m['outer']:.2f}mm }}\n"
        f"@page cover, cover-image {{ margin: 0 }}\n"
        f"html {{ font-size: {font_points(options.font_size):.2f}pt }}\n"
        f".cover-image img {{ width: {width:.2f}mm; height: {height:.2f}mm }}\n"
        f".cover {{ min-height: {height:.2f}mm }}\n"
        f"img {{ max-height: {0.75 * body_height:.2f}mm }}\n"
    )
