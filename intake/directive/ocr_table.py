"""An appendix table on a scanned page (STT | Nội dung | Cơ quan chủ trì | … ), back as rows of cells.

Tesseract reads a page's words with their boxes but not the table they sit in. The header row ("STT  Nội dung
Cơ quan chủ trì …") says where the table starts; its columns are found from the ruling lines drawn between
the cells (a dark stripe down the table), else — a table without rules — halfway between the header's
cells. Each printed row of words then becomes one line of tab-separated cells, the way the PDF and .docx
readers give a table: a row whose STT cell is empty continues the one above (a wrapped cell), which the
extractor joins. Pure but for reading the image's pixels.
"""

from __future__ import annotations

import re
from statistics import median

from intake.directive.text import fold

HEADER_WORDS = ("stt", "noi dung", "chu tri", "phoi hop", "thoi gian", "thoi han", "tien do", "nhiem vu")
# A "word" of nothing a directive prints — no letter, digit or punctuation ("¬", "~", "«" read from grain at a
# rule's corner): dropped, where a dash ("01/02/2027 – 30/6/2027") or a bracket stays.
_SPECK = re.compile(r"[^\w\-–—/.,;:()%+&\"'“”]+")
RULE_DARKNESS = 0.5
_RULE_MARKS = re.compile(r"[|\[\]_]+")  # a ruling line read as letters  # a pixel column this dark (share of the table's height) is a ruling line


RULE_SPAN = 100  # pixels of unbroken ink, across or down, that only a ruling line has (1/3 inch at 300 dpi)


def without_rules(image, span: int = RULE_SPAN):
    """The page with its ruling lines whitened: Tesseract drops a table's narrow cells ("STT", "1") when
    rules box them in. A line is found by averaging the ink over `span` pixels across (or down): only a
    rule stays solid."""
    from PIL import Image, ImageChops, ImageFilter

    grey = image.convert("L")
    w, h = grey.size
    ink = grey.point(lambda v: 255 if v < 128 else 0)

    def solid(size, dx: int, dy: int):
        # bins of `span` pixels, on two grids half a bin apart, so a rule 1.5 bins long fills one whole bin
        shifted = ImageChops.offset(ink, -dx, -dy)
        found = (shifted.resize(size, Image.Resampling.BOX).point(lambda v: 255 if v >= 200 else 0)
                 .resize((w, h), Image.Resampling.NEAREST))
        return ImageChops.offset(found, dx, dy)

    # A page without a rule four spans long has no table: left as it is. Dense bold letters with grain on them
    # can fill a bin or two ("than," on a clerk's copy), and Tesseract dropped the whole line they were cut from.
    # (A crop narrower than that — the STT column's second look — keeps every rule piece: its rows' rules are
    # short there.)
    long = span * 4
    if (w >= long and h >= long and solid((w // long, h), 0, 0).getbbox() is None
            and solid((w, h // long), 0, 0).getbbox() is None):
        return grey
    down, across = (w, max(h // span, 1)), (max(w // span, 1), h)
    rules_mask = solid(down, 0, 0)
    for size, dx, dy in ((down, 0, span // 2), (across, 0, 0), (across, span // 2, 0)):
        rules_mask = ImageChops.lighter(rules_mask, solid(size, dx, dy))
    return ImageChops.lighter(grey, rules_mask.filter(ImageFilter.MaxFilter(3)))


def words_of(data: dict) -> list[dict]:
    """pytesseract's `image_to_data` dict → words with their boxes (pixels) and their index in `data`."""
    out = []
    for i, text in enumerate(data.get("text", [])):
        text = (text or "").strip().strip("|[]")  # a ruling line beside a word, read as a letter
        if not text or float(data["conf"][i]) < 0 or _RULE_MARKS.fullmatch(text) or _SPECK.fullmatch(text):
            continue
        x0, top = int(data["left"][i]), int(data["top"][i])
        out.append({"i": i, "text": text, "x0": x0, "x1": x0 + int(data["width"][i]), "top": top,
                    "bottom": top + int(data["height"][i])})
    return out


def visual_rows(words: list[dict]) -> list[list[dict]]:
    """Words in printed rows, top to bottom, each left to right. Marks above and below Vietnamese letters
    move a word's box up or down, so a row is words whose middles are within half a word's height."""
    if not words:
        return []
    tolerance = median(w["bottom"] - w["top"] for w in words) * 0.5
    rows: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"] + w["bottom"]) / 2):
        middle = (w["top"] + w["bottom"]) / 2
        if rows and abs(middle - rows[-1][0]["_mid"]) <= tolerance:
            rows[-1].append(w)
        else:
            w = dict(w)
            rows.append([w])
        rows[-1][0].setdefault("_mid", middle)
    return [sorted(r, key=lambda w: w["x0"]) for r in rows]


def _text(row: list[dict]) -> str:
    return " ".join(w["text"] for w in row)


def find_header(rows: list[list[dict]], boxed=None) -> int | None:
    """The index of the table's header row, if the page has one (it may wrap onto the next row).

    The row opens with "STT" (or what a scan left of it), or — `boxed(i)` saying that ruling lines stand down
    row i, cells drawn on the page — names four of the header's words: on a clerk's copy "STT" can come back
    as "si DỊ", and a sentence naming duties ("Sở Nội vụ chủ trì, phối hợp …") is not drawn in cells."""
    for i, row in enumerate(rows):
        first = fold(row[0]["text"]).strip(".:")
        text = fold(_text(row) + " " + (_text(rows[i + 1]) if i + 1 < len(rows) else ""))
        compact = text.replace(" ", "")  # "phốihợp": the scan lost the space
        found = sum(k.replace(" ", "") in compact for k in HEADER_WORDS)
        if (first in ("stt", "tt") or _like_stt(first)) and found >= 3:
            return i
        if found >= 4 and boxed is not None and boxed(i):
            return i
    return None


# Two-word names of a header's cells, which a clerk's copy prints with the space lost ("Cơquan chủtrì").
HEADER_PAIRS = HEADER_WORDS + ("co quan", "don vi", "hoan thanh", "san pham", "ket qua", "thuc hien", "so tt")


def spaced_header(cell: str) -> str:
    """A header cell with the space a scan lost put back in its two-word names: "Cơquan chủtrì" → "Cơ quan chủ
    trì", so the extractor knows the lead's column by its words. Only whole words that are such a name with no
    space are split; the letters stay as read."""
    out = []
    for token in cell.split():
        f = fold(token)
        for name in HEADER_PAIRS:
            if " " in name and len(f) == len(token) and f == name.replace(" ", ""):
                cut = name.index(" ")
                token = f"{token[:cut]} {token[cut:]}"
                break
        out.append(token)
    return " ".join(out)


def _inked(row: list[dict]) -> bool:
    """Whether a printed row has a letter or a digit: a row of specks ("¬" where a rule was) is no row."""
    return any(any(ch.isalnum() for ch in w["text"]) for w in row)


def first_inked(rows: list[list[dict]]) -> list[list[dict]]:
    """The rows from the first one with a letter or a digit: a speck read on the table's top rule is not the
    row that says whether the table goes on."""
    for k, row in enumerate(rows):
        if _inked(row):
            return rows[k:]
    return []


def _like_stt(word: str) -> bool:
    """"STT" as grain and JPEG leave it: "SIT", "5TT", "ST" — one letter off."""
    if not 2 <= len(word) <= 4 or word[0] not in "s5":
        return False
    if len(word) == 3:
        return sum(a != b for a, b in zip(word, "stt")) <= 1
    return word in ("st", "stt.") or (len(word) == 4 and any(word[:k] + word[k + 1:] == "stt" for k in range(4)))


def rules(image, top: int, bottom: int) -> list[int]:
    """x of the vertical ruling lines between `top` and `bottom` (pixels), left to right."""
    from PIL import Image

    if bottom - top < 10:
        return []
    strip = image.convert("L").crop((0, top, image.width, bottom)).point(lambda v: 255 if v < 128 else 0)
    profile = list(strip.resize((image.width, 1), Image.Resampling.BOX).tobytes())  # mode L: a byte a pixel
    found: list[list[int]] = []
    for x, v in enumerate(profile):
        if v >= 255 * RULE_DARKNESS:
            if found and x - found[-1][-1] <= 2:
                found[-1].append(x)
            else:
                found.append([x])
    return [round(sum(run) / len(run)) for run in found]


def across_rules(image, top: int, bottom: int, left: float, right: float) -> list[int]:
    """y (pixels) of the ruling lines drawn across the table between `top` and `bottom`: pixel rows inked over
    most of `left`..`right` (a line of words never is), a rule's few pixel rows taken as one."""
    import numpy as np

    left, right, top, bottom = max(int(left), 0), min(int(right), image.width), max(top, 0), min(bottom, image.height)
    if right - left < 20 or bottom - top < 3:
        return []
    grey = np.asarray(image.convert("L").crop((left, top, right, bottom)))
    ys = [int(y) for y in np.nonzero((grey < 128).mean(axis=1) >= 0.8)[0]]
    runs: list[list[int]] = []
    for y in ys:
        (runs[-1].append(y) if runs and y - runs[-1][-1] <= 3 else runs.append([y]))
    return [top + round(sum(r) / len(r)) for r in runs]


def bands(rules_across: list[int], least: int = 20) -> list[tuple[int, int]]:
    """The table's printed rows as the spans between consecutive rules across it (pixels); a gap narrower than
    `least` is a doubled rule, not a row."""
    return [(a, b) for a, b in zip(rules_across, rules_across[1:]) if b - a >= least]


def _band_of(row: list[dict], spans: list[tuple[int, int]]) -> int | None:
    middle = median((w["top"] + w["bottom"]) / 2 for w in row)
    return next((k for k, (a, b) in enumerate(spans) if a <= middle <= b), None)


def first_line_box(cell, gap: int = 6, least: int = 3) -> tuple[int, int, int, int] | None:
    """The box (left, top, right, bottom) of the first line of ink in a black-and-white cell: an STT cell's
    number, alone. Tesseract reads a lone "5" in a tall empty cell as nothing, and the same "5" cut out on
    its own line. A column inked down most of the cell is a ruling line and is passed over. Rows of ink `gap` pixels apart are one line; a speck of fewer than `least` pixel rows of ink
    is grain, not a line."""
    import numpy as np

    ink = np.asarray(cell.convert("L")) < 128
    ink = ink & ~(ink.mean(axis=0) > 0.5)  # a ruling line down the cell's edge is no line of ink
    rows = np.nonzero(ink.any(axis=1))[0]
    k = 0
    while k < len(rows):
        end = k
        while end + 1 < len(rows) and rows[end + 1] - rows[end] <= gap:
            end += 1
        if rows[end] - rows[k] + 1 >= least:
            top, bottom = int(rows[k]), int(rows[end]) + 1
            xs = np.nonzero(ink[top:bottom].any(axis=0))[0]
            return int(xs[0]), top, int(xs[-1]) + 1, bottom
        k = end + 1
    return None


def ruled(image, top: int, bottom: int, least: int = 4) -> bool:
    """Whether `least` ruling lines stand down a printed row: a row drawn in cells. The strip looked at
    reaches a row's height above and below it, where a rule goes on and a letter's stroke does not (down the
    words alone, every "l" and "h" is as dark as a rule)."""
    height = bottom - top
    return len(rules(image, max(top - height, 0), min(bottom + height, image.height))) >= least


def table_bottom(image, top: int, left: float, right: float) -> int | None:
    """y (pixels) of the lowest ruling line across the table under `top` — the table's end — or None when the
    table has no horizontal rules. A line is a pixel row inked over most of `left`..`right` (the header's
    span: the rules run wider). What is printed below it (the signer, "Nơi nhận") is not a row."""
    import numpy as np

    left, right = max(int(left), 0), min(int(right), image.width)
    if right - left < 20 or top >= image.height:
        return None
    grey = np.asarray(image.convert("L").crop((left, top, right, image.height)))
    across = (grey < 128).mean(axis=1)
    ys = np.nonzero(across >= 0.8)[0]
    return int(top + ys[-1]) if len(ys) else None


def columns_of(header: list[dict], image, top: int, bottom: int) -> list[float]:
    """Where each column starts (pixels): the ruling lines, else halfway between the header's cells."""
    found = rules(image, top, bottom)
    if len(found) >= 3:
        return [float(x) for x in found[:-1]]  # the last rule closes the table
    heights = median(w["bottom"] - w["top"] for w in header)
    groups: list[list[dict]] = [[header[0]]]
    for a, b in zip(header, header[1:]):
        (groups.append([b]) if b["x0"] - a["x1"] > heights * 1.2 else groups[-1].append(b))
    starts = [0.0]
    for a, b in zip(groups, groups[1:]):
        starts.append((a[-1]["x1"] + b[0]["x0"]) / 2)
    return starts


def cells_of(row: list[dict], columns: list[float]) -> list[str]:
    cells = [""] * len(columns)
    for w in row:
        middle = (w["x0"] + w["x1"]) / 2
        k = max([j for j, x in enumerate(columns) if x <= middle] or [0])
        cells[k] = f"{cells[k]} {w['text']}".strip()
    return cells


def table_rows(rows: list[list[dict]], columns: list[float], header_at: int | None,
               spans: list[tuple[int, int]] | None = None) -> list[list[str]]:
    """The header (its wrapped second row joined) and the table's rows below it, as cells. A printed row whose
    STT cell is empty is the rest of the row above (a cell wrapped onto more lines): joined to it here; at
    the top of a page it is returned as it is, for the page before's last row.

    With `spans` (the rows the rules across the table draw, see `bands`) the rules say where a row ends, not
    the words: a printed row in the same span is the rest of the row, one in the next span starts a row even
    when a clerk's copy lost its number — its deadline is not run into the row above's."""
    out: list[list[str]] = []
    body = rows if header_at is None else rows[header_at:]
    numbered = False
    band = None
    for n, row in enumerate(body):
        cells = cells_of(row, columns)
        cells[0] = re.sub(r"[^\w.]+$|_+$", "", cells[0])  # "2_", "3 |": a rule or a speck beside the number
        starts_row = bool(cells[0])
        here = _band_of(row, spans) if spans else None
        if here is not None:
            if n > 0 and out and here == band:
                out[-1] = [f"{a} {b}".strip() for a, b in zip(out[-1], cells)]
                continue
            band = here
            if header_at is None or n > 0:
                numbered = numbered or starts_row
                out.append(cells)
                continue
        if header_at is not None and n == 0:
            out.append(cells)
            continue
        if out and not starts_row and (numbered or header_at is not None):
            out[-1] = [f"{a} {b}".strip() for a, b in zip(out[-1], cells)]  # the header's or a row's rest
            continue
        numbered = numbered or starts_row
        out.append(cells)
    return out


def only_rule_marks(cells: list[str]) -> bool:
    """A row of nothing but a ruling line read as letters ("lL | I | I | I | I .") or specks ("¬"), not a row
    of the table."""
    return all(re.fullmatch(r"[\sIl|L1.,_\-—\[\]]*", c) or not any(ch.isalnum() for ch in c) for c in cells)


def continues_table(rows: list[list[dict]], columns: list[float]) -> bool:
    """A page without a header whose first row still fits the table of the page before: a numbered row ("3",
    "1.2", "2.1.3", "IV" — an appendix numbers its rows under its groups), or the rest of a wrapped one (text in
    two cells or more)."""
    rows = first_inked(rows)
    if not rows:
        return False
    cells = cells_of(rows[0], columns)
    return bool(ROW_NUMBER.fullmatch(cells[0])) or (not cells[0] and sum(bool(c) for c in cells) >= 2)


ROW_NUMBER = re.compile(r"(?:\d{1,3}(?:\.\d{1,3}){0,3}|[IVX]{1,5})\.?")


def same_rules(image, columns: list[float], rows: list[list[dict]], slack: int = 20) -> bool:
    """Whether the ruling lines down the page's first printed row stand where the table of the page before had
    its columns: the table going on even when its first row's number is a speck ("3" read "Sẵi" on a clerk's
    copy). Needs a rule found for every column."""
    rows = first_inked(rows)
    if not rows or len(columns) < 3:
        return False
    top, bottom = min(w["top"] for w in rows[0]), max(w["bottom"] for w in rows[0])
    found = rules(image, top, bottom)
    return all(any(abs(x - c) <= slack for x in found) for c in columns)


def subset(data: dict, keep: set[int]) -> dict:
    """`data` with only the entries whose index is in `keep` (the words above a table)."""
    return {k: [v[i] for i in range(len(v)) if i in keep] for k, v in data.items() if isinstance(v, list)}
