"""Scans made by the tests themselves: Vietnamese text drawn with DejaVu (which has every Vietnamese letter)
onto a white page at a scanner's resolution, saved as PNG/JPEG or as a PDF of images (no text layer)."""

from __future__ import annotations

import math
import random
from pathlib import Path

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
A4_INCHES = (8.27, 11.69)


def blocks(lines: list[str]) -> list[tuple[str, object]]:
    """Lines → ("text", line) and ("table", rows of cells). A table is written either one row a line with
    tab-separated cells, or — as the Markdown copies of ../shared/directives have it — one cell a line
    after a tab, rows parted by a blank line. A "table" of one or two columns is layout: printed as text."""
    out: list[tuple[str, object]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("\t"):
            rows: list[list[str]] = [[]]
            while i < len(lines) and (lines[i].startswith("\t") or (not lines[i].strip() and i + 1 < len(lines)
                                                                    and lines[i + 1].startswith("\t"))):
                if lines[i].strip():
                    rows[-1].append(lines[i].strip())
                elif rows[-1]:
                    rows.append([])
                i += 1
            rows = [r for r in rows if r]
            _add_table(out, rows)
            continue
        if line.strip("\t ").count("\t") >= 1 and line.count("\t") >= 2:
            rows = []
            while i < len(lines) and lines[i].count("\t") >= 2:
                rows.append([c.strip() for c in lines[i].split("\t")])
                i += 1
            _add_table(out, rows)
            continue
        out.append(("text", line))
        i += 1
    return out


def _add_table(out, rows) -> None:
    if max((len(r) for r in rows), default=0) <= 2:
        out.extend(("text", c) for r in rows for c in r)
    else:
        out.append(("table", rows))


def render_pages(lines: list[str], *, dpi: int = 200, points: float = 12, margin_inches: float = 0.8,
                 page_inches: tuple[float, float] = A4_INCHES):
    """The text as page images: each line wrapped to the page's width, as a printed directive is; tables
    drawn with ruling lines, the header centred, cells left-aligned at the top; a new page when one is full."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, round(points * dpi / 72))
    width, height = round(page_inches[0] * dpi), round(page_inches[1] * dpi)
    margin = round(margin_inches * dpi)
    step = round(points * 1.5 * dpi / 72)
    pad = round(0.08 * dpi)
    rule = max(dpi // 100, 2)
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
    for kind, item in blocks(lines):
        if kind == "text":
            for row in _wrap(item, font, width - 2 * margin, draw):
                if y + step > height - margin:
                    new_page()
                draw.text((margin, y), row, font=font, fill=0)
                y += step
            continue
        n = max(len(r) for r in item)
        weights = [min(max(len(r[k]) if k < len(r) else 0 for r in item), 50) + 4 for k in range(n)]
        room = width - 2 * margin
        # a column is at least as wide as its longest word; the rest of the room goes by the text it holds
        least = [max((draw.textlength(w, font=font) for r in item if k < len(r) for w in r[k].split()),
                     default=0) + 2 * pad + rule for k in range(n)]
        spare = max(room - sum(least), 0)
        widths = [a + spare * w / sum(weights) for a, w in zip(least, weights)]
        xs = [margin + sum(widths[:k]) for k in range(n + 1)]
        for number, cells in enumerate(item):
            cells = cells + [""] * (n - len(cells))
            wrapped = [_wrap(c, font, widths[k] - 2 * pad, draw) for k, c in enumerate(cells)]
            tall = max(len(w) for w in wrapped) * step + 2 * pad
            if y + tall > height - margin:
                new_page()
            for k, rows in enumerate(wrapped):
                for j, text in enumerate(rows):
                    x = xs[k] + pad
                    if number == 0:  # the header, centred in its cell
                        x = xs[k] + (widths[k] - draw.textlength(text, font=font)) / 2
                    draw.text((x, y + pad + j * step), text, font=font, fill=0)
            for x in xs:
                draw.line([(x, y), (x, y + tall)], fill=0, width=rule)
            draw.line([(xs[0], y), (xs[-1], y)], fill=0, width=rule)
            draw.line([(xs[0], y + tall), (xs[-1], y + tall)], fill=0, width=rule)
            y += tall
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


def office_copy(pages, *, seed: int = 11, max_skew: float = 1.2, jpeg_quality: int = 60):
    """The pages as a clerk's scan of a received copy looks: a red round seal over the signature on the last
    page, a purple "CÔNG VĂN ĐẾN" received stamp in the first page's top corner, the page a little askew
    (±`max_skew` degrees), photocopy grain and specks, softened, then saved as a JPEG would be. The stamps'
    ink is multiplied over the text, as ink over toner is: the words under them stay, darker."""
    import io

    from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

    rng = random.Random(seed)
    out = []
    for number, page in enumerate(pages):
        page = page.convert("RGB")
        dpi = page.width / A4_INCHES[0]
        ink = Image.new("RGB", page.size, (255, 255, 255))
        draw = ImageDraw.Draw(ink)
        small = ImageFont.truetype(FONT, max(round(9 * dpi / 72), 8))
        if number == 0:  # the received stamp, where the issuer's name and number are
            x0, y0 = round(0.5 * dpi), round(0.45 * dpi)
            box = (x0, y0, x0 + round(2.3 * dpi), y0 + round(0.9 * dpi))
            draw.rectangle(box, outline=(120, 40, 150), width=max(round(dpi / 100), 2))
            for j, line in enumerate(("CÔNG VĂN ĐẾN", "Số: ....... Ngày: ....../....../......", "Chuyển: ...........")):
                draw.text((box[0] + dpi * 0.12, box[1] + dpi * (0.08 + 0.26 * j)), line, font=small, fill=(120, 40, 150))
        if number == len(pages) - 1:  # the seal, over the last lines of ink (the signer's block)
            bbox = ImageOps.invert(page.convert("L")).getbbox() or (0, 0, page.width, page.height)
            r = round(0.7 * dpi)
            cx, cy = round(page.width * 0.68), max(bbox[3] - r // 2, r)
            red = (205, 35, 40)
            for ring, width in ((r, max(round(dpi / 60), 3)), (round(r * 0.72), max(round(dpi / 120), 2))):
                draw.ellipse((cx - ring, cy - ring, cx + ring, cy + ring), outline=red, width=width)
            for j, line in ((0, "UỶ BAN NHÂN DÂN"), (2, "TỈNH")):
                w = draw.textlength(line, font=small)
                draw.text((cx - w / 2, cy - r * 0.35 + j * r * 0.3), line, font=small, fill=red)
            star = [(cx + (0.16 if k % 2 == 0 else 0.065) * r * math.sin(k * math.pi / 5),
                     cy - (0.16 if k % 2 == 0 else 0.065) * r * math.cos(k * math.pi / 5)) for k in range(10)]
            draw.polygon(star, fill=red)
        page = ImageChops.multiply(page, ink)
        # photocopy grain and a few specks
        # (seeded: PIL's effect_noise draws from C's rand(), so the same copy came out different after another
        # document had been made — a measurement that could not be repeated)
        grain = _grain(page.size, rng.randrange(2**32))
        page = ImageChops.multiply(page, ImageOps.autocontrast(grain, cutoff=0).point(lambda v: 200 + v * 55 // 255))
        specks = ImageDraw.Draw(page)
        for _ in range(page.width * page.height // 40000):
            x, y = rng.randrange(page.width), rng.randrange(page.height)
            specks.point((x, y), fill=(60, 60, 60))
        page = page.rotate(rng.uniform(-max_skew, max_skew), resample=Image.BICUBIC, fillcolor=(255, 255, 255))
        page = page.filter(ImageFilter.GaussianBlur(0.5))
        buf = io.BytesIO()
        page.save(buf, "JPEG", quality=jpeg_quality)
        out.append(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return out


def _grain(size, seed: int, sigma: float = 18):
    """Photocopy grain: grey noise around mid-grey, as Image.effect_noise makes, from a seeded generator."""
    import numpy as np
    from PIL import Image

    values = np.random.default_rng(seed).normal(128, sigma, (size[1], size[0])).clip(0, 255).astype("uint8")
    return Image.fromarray(values, "L").convert("RGB")
