"""Images the outputs embed or publish: what kind they are, and SVGs made safe.

An SVG is a document, not a picture: it may carry scripts, event handlers, `javascript:` links
and references to other files. Every output gets the same cleaned copy (the EPUB packs it, the
HTML booklet publishes it beside its pages or inlines it as a `data:` URI), so an SVG from a post
never runs code on the booklet's site.
"""

from __future__ import annotations

import re

from lxml import etree

from compiler.support.htmltree import remove_keep_tail

SVG_NS = "http://www.w3.org/2000/svg"


class SvgError(ValueError):
    """An SVG that cannot be made safe (the message says why)."""


def sniff(data: bytes) -> str | None:
    """The core media type of an image from its first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml", b"<!--", b"<!doctype svg")) and b"<svg" in data[:65536].lower():
        return "image/svg+xml"
    return None


def clean_svg(data: bytes) -> bytes:
    """An SVG without scripts, event handlers, foreign objects or references to other files."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                             remove_pis=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SvgError(f"is not well-formed SVG ({exc.msg})") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise SvgError("is not an SVG image")
    for el in list(root.iter()):
        if el.tag is etree.Entity:              # a reference to an entity the DTD (now gone) declared
            remove_keep_tail(el)
            continue
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in ("script", "foreignObject", "handler", "iframe") or (
                local == "style" and re.search(r"url\(|@import", el.text or "", re.I)):
            el.getparent().remove(el)
            continue
        for name in list(el.attrib):
            value = el.attrib[name]
            short = etree.QName(name).localname.lower()
            if short.startswith("on") or (short == "href" and not value.startswith("#")) or \
                    (short == "style" and "url(" in value.lower()):
                del el.attrib[name]
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


# --- pixel limit: decompression bombs ------------------------------------------------------------

# A small file may declare a huge picture (a 900 KB PNG of 30000×30000 pixels decodes to 2.7 GB).
# Every raster image a post uses is measured (its header only) before any output takes it; above
# this many pixels it is left out of every output and reported. Pillow's own bomb threshold.
MAX_PIXELS = 89_478_485          # PIL.Image.MAX_IMAGE_PIXELS: about 9459 × 9459


def oversized(path) -> str | None:
    """Why the raster image at `path` (or in a file object) is refused (too many pixels), or None. Only the header is
    read; a file Pillow cannot identify (SVG, not an image) is not this function's concern."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                frames = getattr(image, "n_frames", 1) if image.format in ("GIF", "PNG", "WEBP") else 1
    except Image.DecompressionBombError:
        return f"declares more than {2 * MAX_PIXELS:,} pixels (a decompression bomb)"
    except (OSError, ValueError, SyntaxError, EOFError):
        return None
    if width * height > MAX_PIXELS:
        return f"{width}×{height} pixels is more than the limit of {MAX_PIXELS:,} pixels (a decompression bomb?)"
    if width * height * max(frames, 1) > 4 * MAX_PIXELS:
        return f"{frames} frames of {width}×{height} pixels are more than {4 * MAX_PIXELS:,} pixels in all"
    return None
