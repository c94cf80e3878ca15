"""A draft's leads against the agency directory it will be imported into (pure: the directory is a parameter).

A central directive addresses groups and agencies a province's directory does not hold: "Các Bộ, cơ quan ngang
Bộ, cơ quan thuộc Chính phủ" (a group with no members there), "Bộ Xây dựng", "Thống đốc Ngân hàng Nhà nước Việt
Nam" (central agencies, unknown there). Such a duty is not this directory's to track, and it must not make the
all-or-nothing import fail either: the task is marked `left_out` with the reason, said in its review notes, and
the draft is imported without it (the YAML writes it commented out; the console ticks its "Leave out"). A lead
that is partly such a group ("các bộ, cơ quan ngang bộ, Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung
ương") keeps only the part with members here, and the note says what was dropped. A group of this province with
no members listed yet ("UBND các xã, phường" before the communes are in AGENCIES_FILE) is treated the same way —
said, and left out — rather than refused at import.
"""

from __future__ import annotations

import re
from datetime import date

from core.i18n import _, ngettext
from intake.directive.model import Draft, DraftTask
from intake.directive.text import fold
from storage.agencies import AgencyDirectory, UnknownAgency

__all__ = ["fit_to_directory"]

# Who a central directive names that no province's directory holds (on the folded lead, title words allowed
# in front): ministries and their heads, the Government's leaders and office, the State Bank, state groups,
# associations, the central courts and news agencies, and named provinces ("Ủy ban nhân dân các tỉnh: Lạng Sơn,
# Cao Bằng") — which may include this one, as the note says.
_TITLE = r"(?:(?:bo\s+truong|thu\s+truong|lanh\s+dao|chu\s+tich|tong\s+giam\s+doc|giao(?:\s+dong\s+chi)?)\s+)*"
_CENTRAL = re.compile(
    r"^" + _TITLE + r"(?:"
    r"bo\s+(?!chi\s+huy)\w|thu\s+tuong|pho\s+thu\s+tuong|thong\s+doc|ngan\s+hang\s+nha\s+nuoc|"
    r"van\s+phong\s+chinh\s+phu|thanh\s+tra\s+chinh\s+phu|kiem\s+toan\s+nha\s+nuoc|tap\s+doan|tong\s+cong\s+ty|"
    r"hiep\s+hoi|toa\s+an\s+nhan\s+dan\s+toi\s+cao|vien\s+kiem\s+sat\s+nhan\s+dan\s+toi\s+cao|"
    r"uy\s+ban\s+trung\s+uong|dai\s+truyen\s+hinh\s+viet\s+nam|dai\s+tieng\s+noi\s+viet\s+nam|"
    r"thong\s+tan\s+xa\s+viet\s+nam|bao\s+hiem\s+xa\s+hoi\s+viet\s+nam|"
    r"(?:uy\s+ban\s+nhan\s+dan|ubnd)\s+cac\s+(?:tinh|thanh\s+pho)[^:]*:)")
_NAMED_PROVINCES = re.compile(r"^(?:chu\s+tich\s+)?(?:uy\s+ban\s+nhan\s+dan|ubnd)\s+cac\s+(?:tinh|thanh\s+pho)[^:]*:")
_SEPARATORS = " ,;:"


def is_central(lead: str) -> bool:
    """Whether `lead` names a central agency (or a list of named provinces), by its words alone."""
    return bool(_CENTRAL.match(fold(" ".join(lead.split()))))


def _without(lead: str, parts: tuple[str, ...]) -> str:
    """`lead` with each of `parts` (as written in it) taken out, and the separators left at the joins."""
    out = lead
    for p in parts:
        i = fold(out).find(fold(p))
        if i < 0:
            return ""
        out = out[:i] + ";" + out[i + len(p):]
    pieces = [x.strip(_SEPARATORS) for x in re.split(r"\s*;\s*", out)]
    pieces = [re.sub(r"^(?:và|cùng)\s+|\s+(?:và|cùng)$", "", x).strip(_SEPARATORS) for x in pieces]
    return ", ".join(x for x in pieces if x)


def _narrowed(directory: AgencyDirectory, lead: str, m, on: date | None) -> str:
    """The part of a mixed lead that has members here, as written if it can be cut out, else by the names of
    its agencies; "" when neither reads back to the same agencies without an empty group."""
    for candidate in (_without(lead, m.empty_groups), "; ".join(directory.name(c) for c in m.codes)):
        if not candidate:
            continue
        try:
            again = directory.match(candidate, on)
        except (UnknownAgency, ValueError):
            continue
        if not again.empty_groups and set(again.codes) == set(m.codes):
            return candidate
    return ""


def _leave_out(t: DraftTask, reason: str) -> None:
    t.left_out = reason
    t.review.append(_("left out of the import: {reason}. To keep this task, name as its lead an agency of the "
                      "directory, or add the missing agencies to AGENCIES_FILE.", reason=reason))


def _central_unknown(directory: AgencyDirectory, t: DraftTask, lead: str, e: UnknownAgency, on: date | None) -> None:
    """A lead the directory does not know: when what it does not know is central, the task goes to the rest of
    the lead if that is known here, else it is left out. A provincial name it does not know is the import's to
    report (with suggestions), as in any registry."""
    unknown = tuple(u for u in e.text.split("; ") if u.strip())
    if not unknown or not all(is_central(u) for u in unknown):
        return
    names = ", ".join(repr(u) for u in unknown)
    rest = _without(lead, unknown) if " ".join(unknown) != lead else ""
    if rest:
        try:
            m = directory.match(rest, on)
        except (UnknownAgency, ValueError):
            m = None
        if m is not None and m.codes and not m.empty_groups:
            t.review.append(_("the lead was {lead!r}: {names} is central, not in this province's agency directory, "
                              "so the task goes to {rest!r} only.", lead=lead, names=names, rest=rest))
            t.lead = rest
            return
    if all(_NAMED_PROVINCES.match(fold(u)) for u in unknown):
        _leave_out(t, _("{names} names provinces one by one; if this province is among them, write “UBND tỉnh” as "
                        "the lead", names=names))
        return
    _leave_out(t, _("{names} is central, not in this province's agency directory", names=names))


def fit_to_directory(draft: Draft, directory: AgencyDirectory) -> Draft:
    """Mark (in place, and return) the tasks of `draft` whose lead has no agency in `directory`; narrow a lead
    that is partly such a group. Unknown provincial names are left alone: the import names them with
    suggestions, as for any registry."""
    on = draft.issued
    for t in draft.tasks:
        lead = " ".join((t.lead or "").split())
        if not lead:
            continue
        try:
            m = directory.match(lead, on)
        except UnknownAgency as e:
            _central_unknown(directory, t, lead, e, on)
            continue
        except ValueError:
            continue
        if not m.empty_groups:
            continue
        groups = ", ".join(repr(g) for g in m.empty_groups)
        if not m.codes:
            _leave_out(t, ngettext("the group {groups} has no members in the agency directory",
                                   "the groups {groups} have no members in the agency directory",
                                   len(m.empty_groups), groups=groups))
            continue
        narrower = _narrowed(directory, lead, m, on)
        if narrower:
            t.review.append(_("the lead was {lead!r}: {groups} has no members in the agency directory, so the task "
                              "goes to {rest!r} only.", lead=lead, groups=groups, rest=narrower))
            t.lead = narrower
        else:
            t.review.append(_("{groups} in the lead {lead!r} has no members in the agency directory: name the lead "
                              "from the directory, or the import refuses this task.", groups=groups, lead=lead))
    out = [t for t in draft.tasks if t.left_out]
    if out:
        draft.review.append(ngettext(
            "{n} task is left out of the import: its lead has no agency in this directory (see the task).",
            "{n} tasks are left out of the import: their leads have no agency in this directory (see each task).",
            len(out)))
    return draft
