"""The agency directory's records: an agency (cơ quan) and a group (nhóm cơ quan, e.g. "UBND các xã, phường")
as the directory holds them, what a written name resolves to (`AgencyMatch`), and the two errors — a name that
is not in the directory, an agencies file that cannot be used. Pure data; re-exported by storage.agencies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Protocol

__all__ = ["AgencyFileError", "AgencyInfo", "AgencyMatch", "GroupInfo", "UnknownAgency"]


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


# -- records ----------------------------------------------------------------------------------------------------

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


class Directory(Protocol):
    """What matching and the `agency` table's sync read of an agency directory (storage.agencies.AgencyDirectory
    is the one there is); named here so those modules need not import the directory that imports them."""

    @property
    def agencies(self) -> list[AgencyInfo]: ...

    def get(self, code: str) -> AgencyInfo | None: ...

    def name(self, code: str) -> str: ...

    def group(self, code: str) -> GroupInfo | None: ...

    def members(self, group_code: str, on: date | None = None) -> list[str]: ...

    def groups_of(self, code: str) -> list[str]: ...

    def successor_of(self, code: str, on: date) -> str: ...
