"""The agency directory (danh mục cơ quan): who the names in a registry are.

A registry names its agencies the way people write them — "Sở Nội vụ", "SNV", "Sở TT&TT", "VP. UBND tỉnh",
"Thủ trưởng các sở, ban, ngành thuộc tỉnh", "Văn phòng UBND tỉnh, Sở Nội vụ và các cơ quan liên quan".
`AgencyDirectory.match` turns such a text into agency codes:

- names are compared after normalisation: case, Unicode form (NFC/NFD), tone placement (hoá/hóa, Uỷ/Ủy),
  punctuation, "và"/"&", and the usual short forms (Ủy ban nhân dân/UBND, Văn phòng/VP, thành phố/TP …);
- a name written without any diacritics ("So Noi vu") still matches, with a warning;
- a text listing several agencies ("A, B và C", "A; B") is split where it can be — the fewest known names
  that cover it win, so "Sở Văn hóa, Thể thao và Du lịch" stays one agency;
- a group ("Các sở, ban, ngành", "UBND các huyện, thị xã, thành phố") expands to its members valid on the
  given date;
- "các cơ quan liên quan" and the like are kept as text (`AgencyMatch.notes`);
- anything else raises `UnknownAgency` with the closest known names.

The built-in directory is `agencies.yaml` next to this file; an administrator's file (AGENCIES_FILE)
extends it, or replaces it with `replace: true`. The file format is described at the top of agencies.yaml.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Iterable

import yaml

from dondoc.i18n import _
from storage.agency_table import DirectoryNames, agency_names, sync_directory  # noqa: F401 - re-exported
from storage.namematch import _is_note, _variants, fold, has_diacritics, normalize  # noqa: F401 - re-exported
from storage.yamlfile import LineDict, _items, _line, load_yaml_with_lines  # noqa: F401 - re-exported

BUILTIN_FILE = Path(__file__).with_name("agencies.yaml")

__all__ = [
    "AgencyDirectory", "AgencyFileError", "AgencyInfo", "AgencyMatch", "GroupInfo", "UnknownAgency",
    "DirectoryNames", "LineDict", "agency_names", "fold", "has_diacritics", "load_yaml_with_lines", "normalize",
    "sync_directory",
]


# -- errors ---------------------------------------------------------------------------------------------------

class UnknownAgency(LookupError):
    """`text` names no agency or group of the directory; `suggestions` are the closest known names."""

    def __init__(self, text: str, suggestions: Iterable[str] = ()):
        self.text = text
        self.suggestions = list(suggestions)
        msg = f"unknown agency {text!r}"
        if self.suggestions:
            msg += "; did you mean: " + ", ".join(self.suggestions) + "?"
        else:
            msg += " (not in the agency directory; add it to AGENCIES_FILE)"
        super().__init__(msg)


class AgencyFileError(ValueError):
    """An agencies file cannot be used; `problems` are `FILE:LINE: message` lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# -- normalisation: storage.namematch; YAML: storage.yamlfile; the table: storage.agency_table ----------

# -- the directory --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgencyInfo:
    code: str
    name: str
    kind: str = "khac"
    aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # groups it was put in by name (kinds and `members` add more)
    valid_from: date | None = None
    valid_to: date | None = None
    successor: str | None = None
    note: str | None = None
    source: str = "builtin"  # builtin | file | province | cli (see storage.tables.Agency.source)
    # False for an agency known only from the database (an earlier import's --agencies, another
    # province's sample): it is matched and named, but a group expands only to the agencies of the files
    # in play, so "UBND các huyện" of one registry never reaches another registry's districts.
    in_groups: bool = True

    def valid_on(self, d: date | None) -> bool:
        if d is None:
            return True
        return (self.valid_from is None or self.valid_from <= d) and (self.valid_to is None or d <= self.valid_to)


@dataclass(frozen=True)
class GroupInfo:
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgencyMatch:
    """What a text names: `codes` (a group expanded to its members, in directory order, no repeats),
    `notes` (parts kept as written, e.g. "các cơ quan liên quan"), `groups` (codes of the groups named),
    `warnings` (e.g. matched without diacritics, agency no longer exists on that date)."""

    text: str
    codes: tuple[str, ...]
    notes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    empty_groups: tuple[str, ...] = ()  # groups (or parts of groups) with no member on the date, as text

    @property
    def warning(self) -> str | None:
        return "; ".join(self.warnings) if self.warnings else None

    @property
    def is_group(self) -> bool:
        return bool(self.groups)


@dataclass
class _Hit:
    kind: str  # agency | group | note
    ref: Any  # list[AgencyInfo] | GroupInfo | str
    warning: str | None = None


# Separators between several agencies in one cell; pieces are glued back together when the whole names
# one agency ("Sở Kế hoạch và Đầu tư").
_SEPARATORS = re.compile(r"\s*(?:[,;\n]|\s(?:và|cùng)\s)\s*", re.IGNORECASE)
_MAX_RUN = 12


class AgencyDirectory:
    """Agencies and groups, with name matching. Build it with `load`, `from_data` or `extended`."""

    def __init__(self, agencies: Iterable[AgencyInfo], groups: Iterable[GroupInfo] = (),
                 kinds: dict[str, str] | None = None, sources: tuple[str, ...] = ()):
        self._agencies: dict[str, AgencyInfo] = {}
        for a in agencies:
            self._agencies[a.code] = a
        self._groups: dict[str, GroupInfo] = {g.code: g for g in groups}
        self.kinds: dict[str, str] = dict(kinds or {})
        self.sources = sources
        self._index: dict[str, list[tuple[str, Any]]] = {}
        self._folded: dict[str, list[tuple[str, Any]]] = {}
        for a in self._agencies.values():
            for n in (a.name, *a.aliases):
                self._add_key(n, ("agency", a))
        for g in self._groups.values():
            for n in (g.name, *g.aliases):
                self._add_key(n, ("group", g))

    def _add_key(self, name: str, entry: tuple[str, Any]) -> None:
        for index, key in ((self._index, normalize(name)), (self._folded, fold(name))):
            if not key:
                continue
            lst = index.setdefault(key, [])
            if all(e[1] is not entry[1] for e in lst):
                lst.append(entry)

    # -- construction -------------------------------------------------------------------------------------

    @classmethod
    def load(cls, agencies_file: Path | str | None = None) -> "AgencyDirectory":
        """The built-in directory, extended (or replaced) by `agencies_file` when given."""
        base = _builtin()
        return base.extended(agencies_file) if agencies_file else base

    @classmethod
    def from_data(cls, data: dict, where: str = "<data>") -> "AgencyDirectory":
        """A directory from parsed YAML data alone (no built-in entries)."""
        return _empty().merged(data, where)

    def extended(self, path: Path | str) -> "AgencyDirectory":
        """This directory with the agencies file at `path` on top (or instead, with `replace: true`)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise AgencyFileError([f"{path}:0: agencies file not found"]) from None
        except (OSError, UnicodeDecodeError) as e:
            raise AgencyFileError([f"{path}:0: cannot read the agencies file ({e})"]) from None
        try:
            data = load_yaml_with_lines(text)
        except yaml.YAMLError as e:
            line = getattr(getattr(e, "problem_mark", None), "line", -1) + 1
            raise AgencyFileError([f"{path}:{line}: not valid YAML ({getattr(e, 'problem', e)})"]) from None
        return self.merged(data, str(path))

    def with_known_agencies(self, session) -> "AgencyDirectory":
        """This directory plus the agencies earlier imports wrote to the Agency table (e.g. the districts
        of a registry's own agencies file), so that every name in the database can be matched and shown."""
        from sqlmodel import select

        from storage.tables import Agency

        extra = []
        overlay: dict[str, AgencyInfo] = {}
        for r in session.exec(select(Agency).order_by(Agency.id)).all():
            info = AgencyInfo(code=r.code, name=r.name, kind=r.kind, aliases=tuple(r.aliases or ()),
                              groups=tuple(g for g in (r.groups or ()) if g in self._groups),
                              valid_from=r.valid_from, valid_to=r.valid_to, successor=r.successor,
                              source=r.source or "builtin")
            mine = self._agencies.get(r.code)
            if mine is None:
                extra.append(replace(info, in_groups=False))
            elif mine.source == "builtin" and info.source != "builtin" and info != mine:
                # A province's own record of a built-in agency ("Báo Lạng Sơn" for bao-tinh) wins over the
                # built-in one; AGENCIES_FILE and --agencies (not "builtin" here) win over the database.
                overlay[r.code] = replace(info, aliases=tuple(dict.fromkeys(mine.aliases + info.aliases)),
                                          groups=mine.groups, note=mine.note)
        if not extra and not overlay:
            return self
        known = set(self._agencies) | {a.code for a in extra}
        extra = [a if a.successor is None or a.successor in known else replace(a, successor=None) for a in extra]
        agencies = [overlay.get(a.code, a) for a in self._agencies.values()]
        try:
            return AgencyDirectory([*agencies, *extra], self._groups.values(), self.kinds,
                                   self.sources + ("database",))
        except AgencyFileError:
            return self  # a database record that clashes with the files: the files win

    def with_agencies(self, infos: Iterable[AgencyInfo], source: str) -> "AgencyDirectory":
        """This directory plus `infos` whose codes it does not have yet (e.g. PROVINCE's communes)."""
        new = [replace(a, source=source) for a in infos if a.code not in self._agencies]
        if not new:
            return self
        return AgencyDirectory([*self._agencies.values(), *new], self._groups.values(), self.kinds,
                               self.sources + (source,))

    def merged(self, data: Any, where: str) -> "AgencyDirectory":
        problems: list[str] = []

        def err(line: int, msg: str) -> None:
            problems.append(f"{where}:{line}: {msg}")

        if data is None:
            data = LineDict()
        if not isinstance(data, dict):
            raise AgencyFileError([f"{where}:1: expected a mapping with `agencies:` and/or `groups:`"])
        for k in data:
            if k not in ("replace", "kinds", "agencies", "groups"):
                err(_line(data, k), f"unknown key {k!r} (accepted: replace, kinds, agencies, groups)")
        for k in getattr(data, "duplicates", ()):
            err(k[1], f"key {k[0]!r} given twice")
        replace_all = data.get("replace", False)
        if not isinstance(replace_all, bool):
            err(_line(data, "replace"), "replace: accepted: true or false")
            replace_all = False
        agencies = {} if replace_all else dict(self._agencies)
        groups = {} if replace_all else dict(self._groups)
        kinds = {} if replace_all else dict(self.kinds)
        raw_kinds = data.get("kinds") or {}
        if not isinstance(raw_kinds, dict):
            err(_line(data, "kinds"), "kinds: expected a mapping code: name")
        else:
            kinds.update({str(k): str(v) for k, v in raw_kinds.items()})

        seen: dict[str, int] = {}
        source = "builtin" if where == str(BUILTIN_FILE) else "file"
        for item, line in _items(data, "agencies", err):
            a = _agency_from(item, line, agencies, err)
            if a is not None:
                a = replace(a, source=source, in_groups=True)
            if a is None:
                continue
            if a.code in seen:
                err(line, f"agency code {a.code!r} given twice in this file (first at line {seen[a.code]})")
            seen[a.code] = line
            agencies[a.code] = a
        seen_g: dict[str, int] = {}
        for item, line in _items(data, "groups", err):
            g = _group_from(item, line, groups, err)
            if g is None:
                continue
            if g.code in seen_g:
                err(line, f"group code {g.code!r} given twice in this file (first at line {seen_g[g.code]})")
            seen_g[g.code] = line
            groups[g.code] = g

        # References must point at something, and a name must not mean two things at once.
        for a in agencies.values():
            if a.successor and a.successor not in agencies:
                err(seen.get(a.code, 0), f"agency {a.code!r}: successor {a.successor!r} is not in the directory")
            if a.code in groups:
                err(seen.get(a.code, 0), f"{a.code!r} is both an agency and a group code")
        for g in groups.values():
            for m in g.members:
                if m not in agencies:
                    err(seen_g.get(g.code, 0), f"group {g.code!r}: member {m!r} is not in the directory")
            for i in g.includes:
                if i not in groups:
                    err(seen_g.get(g.code, 0), f"group {g.code!r}: includes unknown group {i!r}")
        for a in agencies.values():
            for gcode in a.groups:
                if gcode not in groups:
                    err(seen.get(a.code, 0), f"agency {a.code!r}: unknown group {gcode!r}")
        if problems:
            raise AgencyFileError(problems)

        d = AgencyDirectory(agencies.values(), groups.values(), kinds, self.sources + (where,))
        d._check_ambiguous(seen, seen_g, where)
        return d

    def _check_ambiguous(self, lines: dict[str, int], glines: dict[str, int], where: str) -> None:
        problems = []
        for key, entries in self._index.items():
            if len(entries) < 2:
                continue
            kinds = {k for k, _ in entries}
            agencies = [e for k, e in entries if k == "agency"]
            overlapping = any(_overlap(a, b) for i, a in enumerate(agencies) for b in agencies[i + 1:])
            if len(kinds) > 1 or len(entries) > len(agencies) or overlapping:
                names = ", ".join(f"{e.code}" for _, e in entries)
                line = max([lines.get(e.code, 0) for k, e in entries if k == "agency"]
                           + [glines.get(e.code, 0) for k, e in entries if k == "group"])
                problems.append(f"{where}:{line}: the name {key!r} means several entries at once: {names} "
                                "(give them validity dates that do not overlap, or drop the alias)")
        if problems:
            raise AgencyFileError(problems)

    # -- questions ----------------------------------------------------------------------------------------

    @property
    def agencies(self) -> list[AgencyInfo]:
        return list(self._agencies.values())

    @property
    def groups(self) -> list[GroupInfo]:
        return list(self._groups.values())

    def get(self, code: str) -> AgencyInfo | None:
        return self._agencies.get(code)

    def group(self, code: str) -> GroupInfo | None:
        return self._groups.get(code)

    def name(self, code: str) -> str:
        a = self._agencies.get(code)
        if a is not None:
            return a.name
        g = self._groups.get(code)
        return g.name if g is not None else code

    def successor_of(self, code: str, on: date) -> str:
        """The agency that does `code`'s work on `on`: `code` itself while it exists, else its successor
        (followed through several reorganisations). For routing and display only — a registry keeps the
        agency it was written with."""
        seen = set()
        while code not in seen:
            seen.add(code)
            a = self._agencies.get(code)
            if a is None or a.valid_to is None or on <= a.valid_to or not a.successor:
                return code
            code = a.successor
        return code

    def members(self, group_code: str, on: date | None = None) -> list[str]:
        """Codes of the agencies in a group (and the groups it includes) valid on `on`, directory order."""
        wanted_kinds: set[str] = set()
        wanted_groups: set[str] = set()
        explicit: set[str] = set()
        stack = [group_code]
        while stack:
            gc = stack.pop()
            if gc in wanted_groups or gc not in self._groups:
                continue
            wanted_groups.add(gc)
            g = self._groups[gc]
            wanted_kinds.update(g.kinds)
            explicit.update(g.members)
            stack.extend(g.includes)
        return [a.code for a in self._agencies.values()
                if a.in_groups and (a.kind in wanted_kinds or a.code in explicit or wanted_groups.intersection(a.groups))
                and a.valid_on(on)]

    def groups_of(self, code: str) -> list[str]:
        """Every group `code` belongs to, directly or through an including group, regardless of dates."""
        return [g.code for g in self._groups.values() if code in self.members(g.code)]

    def search(self, text: str = "") -> list[AgencyInfo]:
        """Agencies whose code, name or an alias contains `text` (normalised; "" → all)."""
        if not text.strip():
            return self.agencies
        needle, needle_f = normalize(text), fold(text)
        out = []
        for a in self._agencies.values():
            names = (a.name, *a.aliases)
            if (text.strip().lower() in a.code or any(needle in normalize(n) for n in names)
                    or (not has_diacritics(text) and any(needle_f in fold(n) for n in names))):
                out.append(a)
        return out

    # -- matching -----------------------------------------------------------------------------------------

    def match(self, text: str, on: date | None = None) -> AgencyMatch:
        """The agencies `text` names on date `on` (a directive's issue date). See the module docstring.

        Raises UnknownAgency (with suggestions) for a part that names nothing known, ValueError for an
        empty text."""
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
                hit = self._resolve(run, on)
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
                                self.suggest(unknown[0]))

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
                ms = self.members(g.code, on)
                when = _(" on {date}", date=f"{on:%d/%m/%Y}") if on else ""
                if not ms:
                    empty.append(piece)
                    warnings.append(_("group {group!r} has no members in the agency directory{when}; list them in "
                                      "AGENCIES_FILE", group=g.name, when=when))
                else:
                    for sub in g.includes:
                        if sub in self._groups and not self.members(sub, on):
                            empty.append(self._groups[sub].name)
                            warnings.append(_("{part!r} (part of {group!r}) has no members in the agency "
                                              "directory{when}; list them in AGENCIES_FILE",
                                              part=self._groups[sub].name, group=g.name, when=when))
                codes.extend(ms)
            else:
                a = _pick(hit.ref, on)
                if on is not None and not a.valid_on(on):
                    warnings.append(_validity_warning(a, on, self))
                codes.append(a.code)
        return AgencyMatch(text=original, codes=tuple(dict.fromkeys(codes)), notes=tuple(notes),
                           groups=tuple(groups), warnings=tuple(dict.fromkeys(warnings)),
                           empty_groups=tuple(empty))

    def _resolve(self, run: str, on: date | None) -> _Hit | None:
        stripped = _clean(run)
        if not stripped:
            return None
        if stripped in self._agencies:  # a code, as exports and chat commands may write it
            return _Hit("agency", [self._agencies[stripped]])
        if stripped in self._groups:
            return _Hit("group", self._groups[stripped])
        key = normalize(stripped)
        for v in _variants(key, False):
            entries = self._index.get(v)
            if entries:
                return _hit_of(entries)
        if _is_note(key, False):
            return _Hit("note", stripped)
        if not has_diacritics(stripped):
            fkey = fold(stripped)
            for v in _variants(fkey, True):
                entries = self._folded.get(v)
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

    def suggest(self, text: str, n: int = 3) -> list[str]:
        """The closest known names to `text` (display names of agencies and groups)."""
        folded = not has_diacritics(text)
        key = fold(text) if folded else normalize(text)
        index = self._folded if folded else self._index
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
        names: list[str] = []
        for c in close:
            for kind, e in index[c]:
                if e.name not in names:
                    names.append(e.name)
        return names[:n]


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


def _validity_warning(a: AgencyInfo, on: date, d: AgencyDirectory) -> str:
    if a.valid_to is not None and on > a.valid_to:
        msg = _("{name} no longer existed on {date} (until {until})", name=a.name, date=f"{on:%d/%m/%Y}",
                until=f"{a.valid_to:%d/%m/%Y}")
        if a.successor:
            msg += _("; its work is routed to {successor}", successor=d.name(d.successor_of(a.code, on)))
        return msg
    return _("{name} did not exist yet on {date} (from {since})", name=a.name, date=f"{on:%d/%m/%Y}",
             since=f"{a.valid_from:%d/%m/%Y}")


def _overlap(a: AgencyInfo, b: AgencyInfo) -> bool:
    lo_a, hi_a = a.valid_from or date.min, a.valid_to or date.max
    lo_b, hi_b = b.valid_from or date.min, b.valid_to or date.max
    return lo_a <= hi_b and lo_b <= hi_a


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


_CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_AGENCY_KEYS = ("code", "name", "kind", "aliases", "groups", "valid_from", "valid_to", "successor", "note")
_GROUP_KEYS = ("code", "name", "aliases", "kinds", "members", "includes")


def _str_list(item: dict, key: str, line: int, err) -> tuple[str, ...] | None:
    v = item.get(key)
    if v is None:
        return None
    if isinstance(v, str):
        return (v,)
    if not isinstance(v, list) or not all(isinstance(x, (str, int)) for x in v):
        err(_line(item, key) or line, f"{key}: expected a list of names")
        return None
    return tuple(str(x) for x in v)


def _date_field(item: dict, key: str, line: int, err) -> date | None:
    v = item.get(key)
    if v is None or v == "":
        return None
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v))
    except ValueError:
        err(_line(item, key) or line, f"{key}: {v!r} is not a date YYYY-MM-DD")
        return None


def _code_of(item: dict, line: int, err) -> str | None:
    code = item.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        err(line, f"code: {code!r} — accepted: lower-case letters, digits and '-', e.g. so-noi-vu")
        return None
    return code


def _agency_from(item: dict, line: int, existing: dict[str, AgencyInfo], err) -> AgencyInfo | None:
    for k in item:
        if k not in _AGENCY_KEYS:
            err(_line(item, k) or line, f"unknown key {k!r} (accepted: {', '.join(_AGENCY_KEYS)})")
    code = _code_of(item, line, err)
    if code is None:
        return None
    base = existing.get(code)
    name = item.get("name", base.name if base else None)
    if not isinstance(name, str) or not name.strip():
        err(line, f"agency {code!r}: name is missing")
        return None
    aliases = _str_list(item, "aliases", line, err) or ()
    groups = _str_list(item, "groups", line, err)
    fields: dict[str, Any] = dict(code=code, name=name.strip())
    if base is not None:
        # Extending a known agency: what is given overrides; aliases add to the known ones.
        fields["aliases"] = tuple(dict.fromkeys(base.aliases + aliases))
        result = replace(base, **fields)
    else:
        fields["aliases"] = aliases
        result = AgencyInfo(**fields)
    changes: dict[str, Any] = {}
    if "kind" in item:
        changes["kind"] = str(item["kind"])
    if groups is not None:
        changes["groups"] = groups
    for k in ("valid_from", "valid_to"):
        if k in item:
            changes[k] = _date_field(item, k, line, err)
    if "successor" in item:
        changes["successor"] = str(item["successor"]) if item["successor"] else None
    if "note" in item:
        changes["note"] = str(item["note"]) if item["note"] else None
    result = replace(result, **changes)
    if result.valid_from and result.valid_to and result.valid_from > result.valid_to:
        err(line, f"agency {code!r}: valid_from is after valid_to")
    return result


def _group_from(item: dict, line: int, existing: dict[str, GroupInfo], err) -> GroupInfo | None:
    for k in item:
        if k not in _GROUP_KEYS:
            err(_line(item, k) or line, f"unknown key {k!r} (accepted: {', '.join(_GROUP_KEYS)})")
    code = _code_of(item, line, err)
    if code is None:
        return None
    base = existing.get(code)
    name = item.get("name", base.name if base else None)
    if not isinstance(name, str) or not name.strip():
        err(line, f"group {code!r}: name is missing")
        return None
    aliases = _str_list(item, "aliases", line, err) or ()
    g = base or GroupInfo(code=code, name=name.strip())
    g = replace(g, name=name.strip(), aliases=tuple(dict.fromkeys(g.aliases + aliases)))
    for k in ("kinds", "members", "includes"):
        v = _str_list(item, k, line, err)
        if v is not None:
            g = replace(g, **{k: tuple(dict.fromkeys(getattr(g, k) + v))})
    return g


@functools.lru_cache(maxsize=1)
def _builtin() -> AgencyDirectory:
    return _empty().extended(BUILTIN_FILE)


def _empty() -> AgencyDirectory:
    return AgencyDirectory((), (), {}, ())
