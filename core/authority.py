"""Who may do what (thẩm quyền): one rule per action, for every surface — Telegram and Zalo chats, the web
console, the CLI and (later) the API.

Each surface describes the person asking as a `Standing` (the bindings their chat or sign-in carries and how
they hold them) and asks `refusal(standing, action, lead=...)`; None means allowed, otherwise a `Refusal`
whose `code` the surface words in the user's language. The rule is pure: no database, no Telegram.

The rule, in the domain's words:
- Reporting on a task (progress, done, a request for more time, acknowledging) is for the lead agency
  (cơ quan chủ trì): any chat linked to it as focal point or manager — the chat is the unit of trust for
  reports — and the administrators (ADMIN_USER_IDS).
- Deciding (confirming or returning a completion, approving or rejecting an extension) is for the oversight
  body (cơ quan thường trực), and there the *person* is the unit of trust: an oversight binding of the
  person's own private chat decides; one that comes from a group they are in decides only when they are
  that group's administrator or listed in OVERSIGHT_USER_IDS. A group's plain member does not decide,
  whether they press the group's button or sign in to the console through the group.
  ADMIN_USER_IDS decide from a private place (their private chat, their own console session) or in an
  oversight group.
- Importing a registry and managing links and invites is for the administrators (and the server's operator
  at the terminal, who holds the database anyway).
- Handing work on (giao việc, issue 24) is for the lead agency's focal point or leader — anything on the task,
  a coordinating agency's part included — and for a coordinating agency's focal point or leader, its own part
  only (`part`: whose work is handed on). The oversight body follows; it does not hand work on.
- Reminding now (nhắc ngay) is for the oversight body (any of its chats: a reminder decides nothing) and the
  lead agency's leader (its manager chats).
- Keeping an agency's people (thêm, sửa, ngừng cán bộ) is for that agency's focal point or leader, and the
  administrators (`part`: the person's agency).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

FOCAL_ROLES = ("focal", "manager")
OVERSIGHT = "oversight"


class Action(str, Enum):
    PROGRESS = "progress"              # ghi tiến độ
    DONE = "done"                      # báo hoàn thành
    REQUEST_EXTENSION = "extend"       # xin gia hạn
    ACKNOWLEDGE = "acknowledge"        # đã nhận
    CONFIRM_COMPLETION = "confirm"     # xác nhận / trả lại kết quả hoàn thành
    DECIDE_EXTENSION = "decide"        # đồng ý / từ chối gia hạn
    IMPORT = "import"                  # nhập sổ theo dõi
    MANAGE_LINKS = "links"             # mời, liên kết, gỡ liên kết
    DELEGATE = "delegate"              # giao việc cho phòng, cán bộ, phần phối hợp
    REMIND_NOW = "remind"              # nhắc ngay
    MANAGE_PEOPLE = "people"           # thêm, sửa, ngừng cán bộ của đơn vị


REPORTING = frozenset({Action.PROGRESS, Action.DONE, Action.REQUEST_EXTENSION, Action.ACKNOWLEDGE})
DECIDING = frozenset({Action.CONFIRM_COMPLETION, Action.DECIDE_EXTENSION})
ADMINISTERING = frozenset({Action.IMPORT, Action.MANAGE_LINKS})


@dataclass(frozen=True)
class Seat:
    """One binding as the asker holds it: `personal` when it is their own private chat's, not a group's."""

    agency: str
    role: str
    personal: bool


@dataclass(frozen=True)
class Standing:
    """The person asking, as the surface knows them.

    surface: telegram | zalo | console | cli | api. private: asking from a place that is the person alone (a
    private chat, their own console session, the terminal) rather than from a group. group_admin: an
    administrator of the group the non-personal seats come from (Telegram's getChatMember, remembered by the
    console from the moment they asked for the sign-in link). listed_overseer: in OVERSIGHT_USER_IDS.
    is_admin: in ADMIN_USER_IDS (the terminal's operator counts as one)."""

    seats: tuple[Seat, ...] = ()
    surface: str = "telegram"
    private: bool = True
    is_admin: bool = False
    group_admin: bool = False
    listed_overseer: bool = False

    @property
    def roles(self) -> set[str]:
        return {s.role for s in self.seats}

    @property
    def own_agencies(self) -> list[str]:
        """Agencies the asker reports for (focal and manager seats), in binding order."""
        out: list[str] = []
        for s in self.seats:
            if s.role in FOCAL_ROLES and s.agency not in out:
                out.append(s.agency)
        return out


@dataclass(frozen=True)
class Refusal:
    """Why not. code: unlinked | only_lead | role_cannot_act | only_oversight | group_admins_only |
    admins_only | not_your_agency | oversight_does_not_delegate | remind_not_allowed."""

    code: str
    lead: str | None = None


def refusal(standing: Standing, action: Action, *, lead: str | None = None,
            part: str | None = None) -> Refusal | None:
    """None when `standing` may take `action` (on a task led by `lead`); else why not. `part`: for DELEGATE,
    the agency whose work is handed on (default the lead's); for MANAGE_PEOPLE, the person's agency."""
    if action is Action.DELEGATE:
        return _delegating(standing, lead, part or lead)
    if action is Action.REMIND_NOW:
        return _reminding(standing, lead)
    if action is Action.MANAGE_PEOPLE:
        return _keeping_people(standing, part)
    if action in REPORTING:
        return _reporting(standing, lead)
    if action in DECIDING:
        return _deciding(standing)
    if action in ADMINISTERING:
        return None if standing.is_admin else Refusal("admins_only")
    raise ValueError(f"unknown action {action!r}")  # pragma: no cover - every Action is in one set


def allowed(standing: Standing, action: Action, *, lead: str | None = None, part: str | None = None) -> bool:
    return refusal(standing, action, lead=lead, part=part) is None


def _delegating(standing: Standing, lead: str | None, part: str | None) -> Refusal | None:
    if standing.is_admin:
        return None
    if not standing.seats:
        return Refusal("unlinked")
    mine = standing.own_agencies
    if lead is not None and lead in mine:
        return None
    if part is not None and part != lead and part in mine:
        return None  # a coordinating agency hands on its own part
    if standing.roles & {OVERSIGHT, "leadership"} and not mine:
        return Refusal("oversight_does_not_delegate", lead=lead)
    return Refusal("not_your_agency", lead=lead)


def _reminding(standing: Standing, lead: str | None) -> Refusal | None:
    if standing.is_admin:
        return None
    if not standing.seats:
        return Refusal("unlinked")
    if any(s.role == OVERSIGHT for s in standing.seats):
        return None
    if lead is not None and any(s.role == "manager" and s.agency == lead for s in standing.seats):
        return None
    return Refusal("remind_not_allowed", lead=lead)


def _keeping_people(standing: Standing, agency: str | None) -> Refusal | None:
    if standing.is_admin:
        return None
    if not standing.seats:
        return Refusal("unlinked")
    if agency is not None and agency in standing.own_agencies:
        return None
    return Refusal("not_your_agency")


def seats_of(roles, *, surface: str = "chat", personal: bool = True) -> Standing:
    """A Standing from (agency, role) pairs; None = the administrator (the server's operator)."""
    if roles is None:
        return Standing(surface=surface, is_admin=True)
    return Standing(seats=tuple(Seat(a, r, personal=personal) for a, r in roles), surface=surface)


def _reporting(standing: Standing, lead: str | None) -> Refusal | None:
    if standing.is_admin:
        return None
    if not standing.seats:
        return Refusal("unlinked")
    if lead is not None and lead in standing.own_agencies:
        return None
    if standing.own_agencies:
        return Refusal("only_lead", lead=lead)
    return Refusal("role_cannot_act", lead=lead)


def _deciding(standing: Standing) -> Refusal | None:
    oversight = [s for s in standing.seats if s.role == OVERSIGHT]
    if standing.is_admin and (standing.private or oversight):
        return None
    if not standing.seats:
        return Refusal("unlinked")
    if not oversight:
        return Refusal("only_oversight")
    if any(s.personal for s in oversight):
        return None
    if standing.group_admin or standing.listed_overseer:
        return None
    return Refusal("group_admins_only")


# The server's operator at the terminal (`dondoc done`, `import`, `link`…): whoever runs the CLI holds the
# database and the settings already, so the rule grants them what it grants an administrator.
OPERATOR = Standing(surface="cli", private=True, is_admin=True)
