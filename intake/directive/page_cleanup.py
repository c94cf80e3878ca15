"""A scanned page made ready for OCR: stamp ink taken off and the page levelled (làm sạch trang quét).

Seals and received stamps are red, purple or blue; toner is black. Read in grey, a seal's words ("ỦY BAN NHÂN
DÂN … TỈNH") are text like any other: after an appendix table they became a row of it. So coloured ink — far
from grey — is made paper before anything is read; the black words under a seal stay black.

Straightening (chỉnh trang quét bị nghiêng):
A clerk's scan is rarely square: a page fed a little askew by the feeder or laid crooked on the glass. A
degree is enough to make Tesseract split lines and to make a table's ruling lines slant across the rows, so
the table is lost (measured: `python -m bench.scans --office`). The angle is found the classic way: the
page's ink summed per row is sharpest — tall peaks on the lines, nothing between them — when the lines are
level, so of the small rotations tried, the one with the largest sum of squared row totals wins.

Pure: an image in, an image out (Pillow and NumPy, no file, no Tesseract).
"""

from __future__ import annotations

WIDTH = 900  # the angle is searched on a copy this wide: fast, and a line is still many pixels long
INK = 160  # grey below this is ink (a photocopy's grey ground is lighter)
LIMIT = 4.0  # degrees either way: beyond that a page was scanned sideways, not askew
LEVEL = 0.15  # degrees below which the page is left as it is (rotating costs sharpness)
COLOURED = 40  # a pixel whose brightest and darkest channels differ by more is coloured ink, not toner


def without_stamp_ink(image):
    """The page in grey with coloured ink (seals, stamps, a blue signature) turned to paper."""
    import numpy as np
    from PIL import Image

    if image.mode not in ("RGB", "RGBA", "P", "CMYK"):
        return image.convert("L")
    from PIL import ImageFilter

    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    grey = np.asarray(image.convert("L")).copy()
    coloured = (rgb.max(axis=2) - rgb.min(axis=2)) > COLOURED
    # a stroke's blurred edge (and JPEG's halved colour resolution) is paler than its middle: one pixel more
    mask = Image.fromarray((coloured * 255).astype(np.uint8), mode="L").filter(ImageFilter.MaxFilter(3))
    grey[np.asarray(mask) > 0] = 255
    return Image.fromarray(grey, mode="L")


def _sharpness(small, angle: float) -> float:
    import numpy as np
    from PIL import Image

    turned = small.rotate(angle, resample=Image.NEAREST, fillcolor=0)
    rows = np.asarray(turned, dtype=np.float64).sum(axis=1)
    return float((rows * rows).sum())


def skew_angle(image) -> float:
    """The rotation, in degrees counter-clockwise (as Pillow's `rotate` takes it), that levels the lines."""
    from PIL import Image

    grey = image.convert("L")
    scale = WIDTH / max(grey.width, 1)
    small = grey.resize((WIDTH, max(round(grey.height * scale), 1)), Image.BILINEAR) if scale < 1 else grey
    ink = small.point(lambda v: 255 if v < INK else 0)  # ink white on black: the rotation fills black
    best = max((k / 2 for k in range(int(-LIMIT * 2), int(LIMIT * 2) + 1)), key=lambda a: _sharpness(ink, a))
    fine = [best + k / 20 for k in range(-10, 11)]
    return max(fine, key=lambda a: _sharpness(ink, a))


def straighten(image):
    """The page levelled (white where the turn uncovers the edge), or the same image when it already is."""
    from PIL import Image

    angle = skew_angle(image)
    if abs(angle) < LEVEL:
        return image
    return image.rotate(angle, resample=Image.BICUBIC, fillcolor=255 if image.mode == "L" else (255, 255, 255))
