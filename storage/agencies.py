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

This module is the directory itself: its construction and its questions (get, name, members, successor_of,
search). The rest lives beside it, and everything is importable from here as before:
storage.agency_info (the records and errors), storage.agency_file (reading and checking an agencies file),
storage.agency_match (resolving written names), core.namematch (name normalisation), storage.yamlfile
(YAML with line numbers), storage.agency_table (the `agency` table).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from storage.agency_file import BUILTIN_FILE, check_ambiguous, merge_file_data, read_agencies_file
from storage.agency_info import (AgencyFileError, AgencyInfo, AgencyMatch, GroupInfo,  # noqa: F401 - re-exported
                                 UnknownAgency)
from storage.agency_match import NameIndex, match_text, suggest
from storage.agency_table import DirectoryNames, agency_names, sync_directory  # noqa: F401 - re-exported
from core.namematch import _is_note, _variants, fold, has_diacritics, normalize  # noqa: F401 - re-exported
from storage.yamlfile import LineDict, _items, _line, load_yaml_with_lines  # noqa: F401 - re-exported

__all__ = [
    "AgencyDirectory", "AgencyFileError", "AgencyInfo", "AgencyMatch", "GroupInfo", "UnknownAgency",
    "DirectoryNames", "LineDict", "agency_names", "fold", "has_diacritics", "load_yaml_with_lines", "normalize",
    "sync_directory",
]


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
        self._names = NameIndex()
        for a in self._agencies.values():
            for n in (a.name, *a.aliases):
                self._names.add(n, ("agency", a))
        for g in self._groups.values():
            for n in (g.name, *g.aliases):
                self._names.add(n, ("group", g))

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
        return self.merged(read_agencies_file(path), str(path))

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
        """This directory with parsed agencies-file data (read from `where`) on top (storage.agency_file)."""
        entries = merge_file_data(self._agencies, self._groups, self.kinds, data, where)
        d = AgencyDirectory(entries.agencies.values(), entries.groups.values(), entries.kinds,
                            self.sources + (where,))
        check_ambiguous(d._names.exact, entries.lines, entries.group_lines, where)
        return d

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

    # -- matching (storage.agency_match) ------------------------------------------------------------------

    def match(self, text: str, on: date | None = None) -> AgencyMatch:
        """The agencies `text` names on date `on` (a directive's issue date). See the module docstring.

        Raises UnknownAgency (with suggestions) for a part that names nothing known, ValueError for an
        empty text."""
        return match_text(self, self._names, text, on)

    def suggest(self, text: str, n: int = 3) -> list[str]:
        """The closest known names to `text` (display names of agencies and groups)."""
        return suggest(self._names, text, n)


@functools.lru_cache(maxsize=1)
def _builtin() -> AgencyDirectory:
    return _empty().extended(BUILTIN_FILE)


def _empty() -> AgencyDirectory:
    return AgencyDirectory((), (), {}, ())
