"""Resolving written agency names (đối chiếu tên cơ quan): a registry's cell — "Sở Nội vụ", "SNV",
"Văn phòng UBND tỉnh, Sở Nội vụ và các cơ quan liên quan", "UBND các xã, phường" — into the agencies
of the directory, as described in storage.agencies. Pure; `AgencyDirectory.match` and `.suggest` call it."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.i18n import _
from storage.agency_info import AgencyInfo, AgencyMatch, Directory, GroupInfo, UnknownAgency
from core.namematch import _is_note, _variants, fold, has_diacritics, normalize

__all__ = ["NameIndex", "match_text", "suggest"]


@dataclass
class _Hit:
    kind: str  # agency | group | note
    ref: Any  # list[AgencyInfo] | GroupInfo | str
    warning: str | None = None


# Separators between several agencies in one cell; pieces are glued back together when the whole names
# one agency ("Sở Kế hoạch và Đầu tư").
_SEPARATORS = re.compile(r"\s*(?:[,;\n]|\s(?:và|cùng)\s)\s*", re.IGNORECASE)
_MAX_RUN = 12


class NameIndex:
    """Every name and alias of a directory's agencies and groups → its entries (("agency", AgencyInfo) or
    ("group", GroupInfo)), by the normalised name (`exact`) and by the name without diacritics (`folded`)."""

    def __init__(self) -> None:
        self.exact: dict[str, list[tuple[str, Any]]] = {}
        self.folded: dict[str, list[tuple[str, Any]]] = {}

    def add(self, name: str, entry: tuple[str, Any]) -> None:
        for index, key in ((self.exact, normalize(name)), (self.folded, fold(name))):
            if not key:
                continue
            lst = index.setdefault(key, [])
            if all(e[1] is not entry[1] for e in lst):
                lst.append(entry)


def match_text(directory: Directory, names: NameIndex, text: str, on: date | None = None) -> AgencyMatch:
    """The agencies `text` names on date `on` in `directory` (whose names `names` indexes); see
    AgencyDirectory.match."""
    original = unicodedata.normalize("NFC", str(text)).strip()
    if not original.strip(" .;,"):
        raise ValueError("empty agency name")
    pieces = _split(original)
    # Fewest known names covering every piece; an unknown piece costs more than any split.
    n = len(pieces)
    best: list[tuple[int, list[tuple[int, int, _Hit | None]]]] = [(0, [])] * (n + 1)
    for i in range(n - 1, -1, -1):
        options = []
        for j in range(i + 1, min(n, i + _MAX_RUN) + 1):
            run = original[pieces[i][0]:pieces[j - 1][1]]
            hit = _resolve(directory, names, run)
            if hit is not None:
                cost, path = best[j]
                options.append((cost + 1, [(i, j, hit)] + path))
        cost, path = best[i + 1]
        options.append((cost + 1000, [(i, i + 1, None)] + path))
        best[i] = min(options, key=lambda o: o[0])
    segments = best[0][1]

    unknown: list[str] = []
    k = 0
    while k < len(segments):
        i, j, hit = segments[k]
        if hit is None:
            # Adjacent unknown pieces are one unknown name ("Sở Lao đọng, Thương binh và Xã hội").
            m = k
            while m + 1 < len(segments) and segments[m + 1][2] is None:
                m += 1
            unknown.append(_clean(original[pieces[i][0]:pieces[segments[m][1] - 1][1]]))
            k = m + 1
        else:
            k += 1
    if unknown:
        raise UnknownAgency(unknown[0] if len(unknown) == 1 else "; ".join(unknown),
                            suggest(names, unknown[0]))

    codes: list[str] = []
    notes: list[str] = []
    groups: list[str] = []
    warnings: list[str] = []
    empty: list[str] = []
    for i, j, hit in segments:
        assert hit is not None
        piece = _clean(original[pieces[i][0]:pieces[j - 1][1]])
        if hit.warning:
            warnings.append(hit.warning)
        if hit.kind == "note":
            notes.append(piece)
        elif hit.kind == "group":
            g: GroupInfo = hit.ref
            groups.append(g.code)
            ms = directory.members(g.code, on)
            when = _(" on {date}", date=f"{on:%d/%m/%Y}") if on else ""
            if not ms:
                empty.append(piece)
                warnings.append(_("group {group!r} has no members in the agency directory{when}; list them in "
                                  "AGENCIES_FILE", group=g.name, when=when))
            else:
                for sub in g.includes:
                    part = directory.group(sub)
                    if part is not None and not directory.members(sub, on):
                        empty.append(part.name)
                        warnings.append(_("{part!r} (part of {group!r}) has no members in the agency "
                                          "directory{when}; list them in AGENCIES_FILE",
                                          part=part.name, group=g.name, when=when))
            codes.extend(ms)
        else:
            a = _pick(hit.ref, on)
            if on is not None and not a.valid_on(on):
                warnings.append(_validity_warning(a, on, directory))
            codes.append(a.code)
    return AgencyMatch(text=original, codes=tuple(dict.fromkeys(codes)), notes=tuple(notes),
                       groups=tuple(groups), warnings=tuple(dict.fromkeys(warnings)),
                       empty_groups=tuple(empty))


def _resolve(directory: Directory, names: NameIndex, run: str) -> _Hit | None:
    stripped = _clean(run)
    if not stripped:
        return None
    agency = directory.get(stripped)
    if agency is not None:  # a code, as exports and chat commands may write it
        return _Hit("agency", [agency])
    group = directory.group(stripped)
    if group is not None:
        return _Hit("group", group)
    key = normalize(stripped)
    for v in _variants(key, False):
        entries = names.exact.get(v)
        if entries:
            return _hit_of(entries)
    if _is_note(key, False):
        return _Hit("note", stripped)
    if not has_diacritics(stripped):
        fkey = fold(stripped)
        for v in _variants(fkey, True):
            entries = names.folded.get(v)
            if entries and len({id(e) for _, e in entries}) >= 1:
                hit = _hit_of(entries)
                if hit.kind == "agency" and len({a.code for a in hit.ref}) > 1:
                    continue  # ambiguous without diacritics: let it be unknown, with suggestions
                shown = hit.ref.name if hit.kind == "group" else hit.ref[0].name
                hit.warning = _("{text!r} matched {name!r} without diacritics; please write it with them",
                                text=stripped, name=shown)
                return hit
        if _is_note(fkey, True):
            return _Hit("note", stripped)
    return None


def suggest(names: NameIndex, text: str, n: int = 3) -> list[str]:
    """The closest known names to `text` (display names of agencies and groups)."""
    folded = not has_diacritics(text)
    key = fold(text) if folded else normalize(text)
    index = names.folded if folded else names.exact
    scored: dict[str, float] = {}
    for v in _variants(key, folded):
        matcher = difflib.SequenceMatcher(b=v)
        for k in index:
            matcher.set_seq1(k)
            if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6:
                r = matcher.ratio()
                if r >= 0.6 and r > scored.get(k, 0.0):
                    scored[k] = r
    # Only names about as close as the closest one: "Sở Nôi vụ" suggests Sở Nội vụ, not every Sở.
    best = max(scored.values(), default=0.0)
    close = [k for k, r in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0])) if r >= best - 0.15]
    found: list[str] = []
    for c in close:
        for kind, e in index[c]:
            if e.name not in found:
                found.append(e.name)
    return found[:n]


def _hit_of(entries: list[tuple[str, Any]]) -> _Hit:
    kind = entries[0][0]
    if kind == "group":
        return _Hit("group", entries[0][1])
    return _Hit("agency", [e for k, e in entries if k == "agency"])


def _pick(candidates: list[AgencyInfo], on: date | None) -> AgencyInfo:
    for a in candidates:
        if a.valid_on(on):
            return a
    return candidates[-1]


def _validity_warning(a: AgencyInfo, on: date, d: Directory) -> str:
    if a.valid_to is not None and on > a.valid_to:
        msg = _("{name} no longer existed on {date} (until {until})", name=a.name, date=f"{on:%d/%m/%Y}",
                until=f"{a.valid_to:%d/%m/%Y}")
        if a.successor:
            msg += _("; its work is routed to {successor}", successor=d.name(d.successor_of(a.code, on)))
        return msg
    return _("{name} did not exist yet on {date} (from {since})", name=a.name, date=f"{on:%d/%m/%Y}",
             since=f"{a.valid_from:%d/%m/%Y}")


def _clean(s: str) -> str:
    return s.strip().strip(".;,:").strip()


def _split(text: str) -> list[tuple[int, int]]:
    """Spans of the pieces between separators, empty pieces dropped."""
    spans = []
    pos = 0
    for m in _SEPARATORS.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip(" .;,:")] or [(0, len(text))]
