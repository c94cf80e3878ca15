"""Scans made by the tests themselves: Vietnamese text drawn with DejaVu (which has every Vietnamese letter)
onto a white page at a scanner's resolution, saved as PNG/JPEG or as a PDF of images (no text layer)."""

from __future__ import annotations

import random
from pathlib import Path

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
A4_INCHES = (8.27, 11.69)


def render_pages(lines: list[str], *, dpi: int = 200, points: float = 12, margin_inches: float = 0.8,
                 page_inches: tuple[float, float] = A4_INCHES):
    """The text as page images: each line wrapped to the page's width, as a printed directive is; a new
    page when one is full."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, round(points * dpi / 72))
    width, height = round(page_inches[0] * dpi), round(page_inches[1] * dpi)
    margin = round(margin_inches * dpi)
    step = round(points * 1.5 * dpi / 72)
    pages = []
    page = draw = None
    y = 0

    def new_page():
        nonlocal page, draw, y
        page = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(page)
        pages.append(page)
        y = margin

    new_page()
    for line in lines:
        rows = _wrap(line, font, width - 2 * margin, draw)
        for row in rows:
            if y + step > height - margin:
                new_page()
            draw.text((margin, y), row, font=font, fill=0)
            y += step
    return pages


def _wrap(line: str, font, room: float, draw) -> list[str]:
    if not line.strip():
        return [""]
    rows: list[str] = []
    row = ""
    for word in line.split():
        candidate = f"{row} {word}".strip()
        if row and draw.textlength(candidate, font=font) > room:
            rows.append(row)
            row = word
        else:
            row = candidate
    rows.append(row)
    return rows


def crop_to_text(image, pad: int = 40):
    """Only the part of the page with ink (smaller images read faster in tests)."""
    from PIL import ImageOps

    box = ImageOps.invert(image).getbbox()
    if box is None:
        return image
    return image.crop((max(box[0] - pad, 0), max(box[1] - pad, 0), min(box[2] + pad, image.width),
                       min(box[3] + pad, image.height)))


def scanned_pdf(path: Path, pages, dpi: int = 200) -> Path:
    """A PDF whose pages are only images, as a scanner makes it."""
    first, *rest = [p.convert("RGB") for p in pages]
    first.save(path, "PDF", resolution=dpi, save_all=True, append_images=rest)
    return path


def noise(size=(1200, 800), seed: int = 7):
    """Salt and pepper: what a bad scan of nothing looks like."""
    from PIL import Image

    rng = random.Random(seed)
    im = Image.new("L", size, 255)
    px = im.load()
    for _ in range(size[0] * size[1] // 6):
        px[rng.randrange(size[0]), rng.randrange(size[1])] = 0
    return im
