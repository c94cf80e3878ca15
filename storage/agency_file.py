"""The agencies file (tệp danh mục cơ quan): reading and checking the YAML that lists agencies and groups —
the built-in `agencies.yaml` next to this file and an administrator's AGENCIES_FILE, whose format is described
at the top of agencies.yaml. Every problem is reported as `FILE:LINE: message` (AgencyFileError), all of them
at once; the directory (storage.agencies.AgencyDirectory) builds itself from what this module accepts."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from storage.agency_info import AgencyFileError, AgencyInfo, GroupInfo
from storage.yamlfile import LineDict, _items, _line, load_yaml_with_lines

BUILTIN_FILE = Path(__file__).with_name("agencies.yaml")

__all__ = ["BUILTIN_FILE", "FileEntries", "check_ambiguous", "merge_file_data", "read_agencies_file"]


def read_agencies_file(path: Path) -> Any:
    """The parsed YAML of the agencies file at `path` (with line numbers, see storage.yamlfile)."""
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
    return data


@dataclass
class FileEntries:
    """A directory's entries with one file's data on top, and where the file gave each code."""

    agencies: dict[str, AgencyInfo]
    groups: dict[str, GroupInfo]
    kinds: dict[str, str]
    lines: dict[str, int]  # agency code → its line in the file
    group_lines: dict[str, int]  # group code → its line in the file


def merge_file_data(agencies: dict[str, AgencyInfo], groups: dict[str, GroupInfo], kinds: dict[str, str],
                    data: Any, where: str) -> FileEntries:
    """A directory's `agencies`, `groups` and `kinds` (by code) with the file data `data` (read from `where`) on
    top, or instead of them with `replace: true`. Raises AgencyFileError with every problem found."""
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
    agencies = {} if replace_all else dict(agencies)
    groups = {} if replace_all else dict(groups)
    kinds = {} if replace_all else dict(kinds)
    raw_kinds = data.get("kinds") or {}
    if not isinstance(raw_kinds, dict):
        err(_line(data, "kinds"), "kinds: expected a mapping code: name")
    else:
        kinds.update({str(k): str(v) for k, v in raw_kinds.items()})

    source = "builtin" if where == str(BUILTIN_FILE) else "file"
    seen = _read_entries(data, "agencies", "agency", functools.partial(_agency_from, source=source), agencies, err)
    seen_g = _read_entries(data, "groups", "group", _group_from, groups, err)

    # References must point at something (a name meaning two things at once: check_ambiguous, once indexed).
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
    return FileEntries(agencies, groups, kinds, seen, seen_g)


def _read_entries(data: Any, key: str, what: str, entry_from, entries: dict, err) -> dict[str, int]:
    """Put the entries listed under `key` into `entries` (by code, over the known ones); returns each code's
    line. A code given twice in one file is a problem."""
    lines: dict[str, int] = {}
    for item, line in _items(data, key, err):
        e = entry_from(item, line, entries, err)
        if e is None:
            continue
        if e.code in lines:
            err(line, f"{what} code {e.code!r} given twice in this file (first at line {lines[e.code]})")
        lines[e.code] = line
        entries[e.code] = e
    return lines


def check_ambiguous(index: dict[str, list[tuple[str, Any]]], lines: dict[str, int], glines: dict[str, int],
                    where: str) -> None:
    """Refuse a name (a key of the directory's normalised-name `index`) that means several entries at once:
    an agency and a group, or agencies valid on the same day."""
    problems = []
    for key, entries in index.items():
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


def _overlap(a: AgencyInfo, b: AgencyInfo) -> bool:
    lo_a, hi_a = a.valid_from or date.min, a.valid_to or date.max
    lo_b, hi_b = b.valid_from or date.min, b.valid_to or date.max
    return lo_a <= hi_b and lo_b <= hi_a


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


def _entry_head(item: dict, line: int, keys: tuple[str, ...], what: str, existing: dict, err
                ) -> tuple[str, Any, str, tuple[str, ...]] | None:
    """What an agency's and a group's entry share: only known keys, a code, a name (the known entry's when
    not given) and aliases. Returns (code, the known entry or None, name, aliases); None when unusable."""
    for k in item:
        if k not in keys:
            err(_line(item, k) or line, f"unknown key {k!r} (accepted: {', '.join(keys)})")
    code = _code_of(item, line, err)
    if code is None:
        return None
    base = existing.get(code)
    name = item.get("name", base.name if base else None)
    if not isinstance(name, str) or not name.strip():
        err(line, f"{what} {code!r}: name is missing")
        return None
    return code, base, name.strip(), _str_list(item, "aliases", line, err) or ()


def _agency_from(item: dict, line: int, existing: dict[str, AgencyInfo], err, *, source: str) -> AgencyInfo | None:
    head = _entry_head(item, line, _AGENCY_KEYS, "agency", existing, err)
    if head is None:
        return None
    code, base, name, aliases = head
    groups = _str_list(item, "groups", line, err)
    fields: dict[str, Any] = dict(code=code, name=name)
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
    result = replace(result, **changes, source=source, in_groups=True)
    if result.valid_from and result.valid_to and result.valid_from > result.valid_to:
        err(line, f"agency {code!r}: valid_from is after valid_to")
    return result


def _group_from(item: dict, line: int, existing: dict[str, GroupInfo], err) -> GroupInfo | None:
    head = _entry_head(item, line, _GROUP_KEYS, "group", existing, err)
    if head is None:
        return None
    code, base, name, aliases = head
    g = base or GroupInfo(code=code, name=name)
    g = replace(g, name=name, aliases=tuple(dict.fromkeys(g.aliases + aliases)))
    for k in ("kinds", "members", "includes"):
        v = _str_list(item, k, line, err)
        if v is not None:
            g = replace(g, **{k: tuple(dict.fromkeys(getattr(g, k) + v))})
    return g
