"""Issue 27, item 1: one rule decides who may do what, wherever the action comes from.

The expected answers are written out by hand below (EXPECTED), once, and every surface is asked the same
questions for the same people: the pure rule (core/authority.py), a Telegram chat, a Zalo chat, the web
console (a person signed in, their roles read from the database as its middleware reads them) and the CLI.
End to end: a plain member of the oversight group who signs in to the console through the group is refused
"Đồng ý gia hạn" there as in the chat, with the reason; the group's administrator and a person listed in
OVERSIGHT_USER_IDS decide; the bot's /web remembers whether the asker administers the group.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlmodel import Session, select
from telegram import User

from bot.handlers.common import ChatScope
from core.clock import FixedClock
from core.i18n import _
from dondoc.settings import load_settings
from core import authority
from storage.actions import Actor
from core.authority import Action
from storage.tables import Extension, Task, WebSigninLink
from tests.factories import make_binding
from tests.web_harness import ADMIN, NOW, console, make_link, open_link, press_sign_in, seed

A = Action
REPORTS = (A.PROGRESS, A.DONE, A.REQUEST_EXTENSION, A.ACKNOWLEDGE)
DECISIONS = (A.CONFIRM_COMPLETION, A.DECIDE_EXTENSION)
ADMINISTRATION = (A.IMPORT, A.MANAGE_LINKS)
PEOPLE_KEEPING = (A.MANAGE_PEOPLE,)  # the console and the CLI keep people; the chats do not
LEAD = "so-noi-vu"  # the lead agency of the task acted on

# Who asks: (bindings as (agency, role, held through a group?), ADMIN_USER_IDS?, group admin?, listed?)
PEOPLE = {
    "administrator": ((), True, False, False),
    "oversight, own private chat": ((("van-phong-ubnd-tinh", "oversight", False),), False, False, False),
    "oversight group's administrator": ((("van-phong-ubnd-tinh", "oversight", True),), False, True, False),
    "oversight group's plain member": ((("van-phong-ubnd-tinh", "oversight", True),), False, False, False),
    "plain member listed in OVERSIGHT_USER_IDS": ((("van-phong-ubnd-tinh", "oversight", True),), False, False, True),
    "lead agency's focal point": (((LEAD, "focal", False),), False, False, False),
    "lead agency's managers' group member": (((LEAD, "manager", True),), False, False, False),
    "another agency's focal point": ((("so-y-te", "focal", False),), False, False, False),
    "province leadership": ((("van-phong-ubnd-tinh", "leadership", False),), False, False, False),
    "stranger": ((), False, False, False),
}

REPORTERS = {"administrator", "lead agency's focal point", "lead agency's managers' group member"}
DECIDERS = {"administrator", "oversight, own private chat", "oversight group's administrator",
            "plain member listed in OVERSIGHT_USER_IDS"}
ADMINISTRATORS = {"administrator"}
# Issue 24: who hands the lead agency's work on, who reminds now, who keeps the lead agency's people.
DELEGATORS = {"administrator", "lead agency's focal point", "lead agency's managers' group member"}
REMINDERS = {"administrator", "oversight, own private chat", "oversight group's administrator",
             "oversight group's plain member", "plain member listed in OVERSIGHT_USER_IDS",
             "lead agency's managers' group member"}
PEOPLE_KEEPERS = {"administrator", "lead agency's focal point", "lead agency's managers' group member"}


def expected(person: str, action: Action) -> bool:
    if action is A.DELEGATE:
        return person in DELEGATORS
    if action is A.REMIND_NOW:
        return person in REMINDERS
    if action is A.MANAGE_PEOPLE:
        return person in PEOPLE_KEEPERS
    if action in REPORTS:
        return person in REPORTERS
    if action in DECISIONS:
        return person in DECIDERS
    return person in ADMINISTRATORS


CASES = [(p, a) for p in PEOPLE for a in Action]


def standing(person: str, surface: str = "console") -> authority.Standing:
    bindings, admin, group_admin, listed = PEOPLE[person]
    return authority.Standing(seats=tuple(authority.Seat(a, r, personal=not g) for a, r, g in bindings),
                              surface=surface, private=True, is_admin=admin, group_admin=group_admin,
                              listed_overseer=listed)


@pytest.mark.parametrize("person,action", CASES)
def test_the_rule(person, action):
    why = authority.refusal(standing(person), action, lead=LEAD, part=LEAD)
    assert (why is None) == expected(person, action), why


def test_a_coordinating_agency_hands_on_its_own_part_only():
    other = standing("another agency's focal point")  # so-y-te, a coordinator of the task
    assert authority.refusal(other, A.DELEGATE, lead=LEAD, part="so-y-te") is None
    assert authority.refusal(other, A.DELEGATE, lead=LEAD, part=LEAD).code == "not_your_agency"
    assert authority.refusal(other, A.MANAGE_PEOPLE, part="so-y-te") is None
    assert authority.refusal(other, A.MANAGE_PEOPLE, part=LEAD).code == "not_your_agency"


def test_a_refusal_says_why():
    r = authority.refusal
    assert r(standing("oversight group's plain member"), A.DECIDE_EXTENSION).code == "group_admins_only"
    assert r(standing("lead agency's focal point"), A.CONFIRM_COMPLETION).code == "only_oversight"
    assert r(standing("another agency's focal point"), A.DONE, lead=LEAD).code == "only_lead"
    assert r(standing("province leadership"), A.PROGRESS, lead=LEAD).code == "role_cannot_act"
    assert r(standing("stranger"), A.ACKNOWLEDGE, lead=LEAD).code == "unlinked"
    assert r(standing("oversight, own private chat"), A.IMPORT).code == "admins_only"
    assert r(standing("oversight, own private chat"), A.DELEGATE, lead=LEAD).code == "oversight_does_not_delegate"
    assert r(standing("lead agency's focal point"), A.REMIND_NOW, lead=LEAD).code == "remind_not_allowed"


# -- the chats ---------------------------------------------------------------------------------------------

USER_ID = 4321


def chat_scope(person: str, platform: str) -> ChatScope:
    """The person writing in the chat their bindings come from: their private chat, or the group."""
    bindings, admin, group_admin, listed = PEOPLE[person]
    in_group = any(g for _a, _r, g in bindings)
    rows = [SimpleNamespace(agency=a, role=r, language=None) for a, r, _g in bindings]
    settings = SimpleNamespace(oversight_user_ids=(USER_ID,) if listed else ())
    user = User(id=USER_ID, first_name="Lan", is_bot=False) if platform == "telegram" else None
    return ChatScope(chat_id="-100" if in_group else str(USER_ID), chat_type="group" if in_group else "private",
                     title=None, bindings=rows, user=user, is_admin=admin, lang="vi",
                     actor=Actor("Lan", str(USER_ID), platform), platform=platform,
                     deps=SimpleNamespace(settings=settings),
                     member_status=("administrator" if group_admin else "member") if in_group else None)


def chat_allows(scope: ChatScope, action: Action) -> bool:
    """As the chat's handlers ask: /giao through storage.delegation, /nhac through jobs.remind_now."""
    from jobs import remind_now
    from storage import delegation

    task = Task(key="5099-1", lead_agency=LEAD, content="x", coordinators=[])
    if action is A.DELEGATE:
        return delegation.refusal(task, LEAD, scope.acting_roles) is None
    if action is A.REMIND_NOW:
        return remind_now.refusal(task, scope.acting_roles) is None
    if action in REPORTS:
        return scope.refusal_to_act(task) is None
    return scope.refusal_to_oversee() is None


CHAT_CASES = [c for c in CASES if c[1] not in ADMINISTRATION + PEOPLE_KEEPING]


@pytest.mark.parametrize("person,action", CHAT_CASES)
def test_telegram_chats_follow_the_rule(person, action):
    assert chat_allows(chat_scope(person, "telegram"), action) == expected(person, action)


# Zalo's bot cannot join groups and knows nobody's Telegram id: its people are private chats.
ZALO_PEOPLE = [p for p in PEOPLE if not any(g for _a, _r, g in PEOPLE[p][0]) and not PEOPLE[p][1]]


@pytest.mark.parametrize("person,action", [(p, a) for p in ZALO_PEOPLE for a in Action
                                           if a not in ADMINISTRATION + PEOPLE_KEEPING])
def test_zalo_chats_follow_the_rule(person, action):
    assert chat_allows(chat_scope(person, "zalo"), action) == expected(person, action)


def test_the_chat_words_the_group_members_refusal():
    why = chat_scope("oversight group's plain member", "telegram").refusal_to_oversee()
    assert why == _("Only this group's administrators (or the people listed in OVERSIGHT_USER_IDS) can confirm "
                    "completions and decide extensions.", lang="vi")


# -- the console -------------------------------------------------------------------------------------------

GROUP = -100555


def console_person(session: Session, person: str):
    """The person as the console's middleware reads them: their private chat's bindings and the group's they
    signed in through, from the database."""
    from storage.signin import person_for

    bindings, admin, group_admin, listed = PEOPLE[person]
    for agency, role, in_group in bindings:
        make_binding(session, chat_id=GROUP if in_group else USER_ID, agency=agency, role=role, now=NOW)
    session.flush()
    via = str(GROUP) if any(g for _a, _r, g in bindings) else None
    return person_for(session, str(USER_ID), "Lan", (USER_ID,) if admin else (), via,
                      oversight_user_ids=(USER_ID,) if listed else (), via_chat_admin=group_admin)


@pytest.mark.parametrize("person", list(PEOPLE))
def test_the_console_follows_the_rule(engine, person):
    with Session(engine) as s:
        p = console_person(s, person)
        if p is None:
            assert person == "stranger"  # no role at all: no session
            return
        task = Task(key="5099-1", lead_agency=LEAD, content="x", coordinators=[])
        for action in Action:
            if action in REPORTS + DECISIONS + ADMINISTRATION:
                allowed = (p.can_act(task) if action in REPORTS else p.can_decide if action in DECISIONS
                           else p.can_admin)
                assert allowed == expected(person, action), action
            assert (p.refusal(action, task, part=LEAD) is None) == expected(person, action), action


# -- the CLI: the server's operator, who holds the database ------------------------------------------------

@pytest.mark.parametrize("action", list(Action))
def test_the_terminal_operator_may_do_everything(action):
    assert authority.refusal(authority.OPERATOR, action, lead=LEAD) is None


def test_the_cli_asks_the_rule_for_links_delegation_remind_now_and_people(monkeypatch):
    """`link`, `unlink`, `invite`, `assign`, `remind` and `people` go through dondoc.cli.actions.authorise:
    a stricter rule for the operator would refuse them there (checked by making the rule refuse everything)."""
    import inspect

    import typer

    from dondoc.cli import actions as cli_actions
    from dondoc.cli import bot as cli_bot, people as cli_people, schedule as cli_schedule

    asked = []
    monkeypatch.setattr(authority, "refusal", lambda st, action, **kw: asked.append(action) or authority.Refusal("x"))
    for action in ("links", "delegate", "remind", "people"):
        with pytest.raises(typer.Exit):
            cli_actions.authorise(action)
    assert asked == [A.MANAGE_LINKS, A.DELEGATE, A.REMIND_NOW, A.MANAGE_PEOPLE]
    sources = {f: inspect.getsource(f) for f in (cli_schedule.link_cmd, cli_schedule.unlink_cmd, cli_bot.invite_cmd,
                                                  cli_people.assign_cmd, cli_people.remind_cmd, cli_people.people_add,
                                                  cli_people._one_person)}
    for f, src in sources.items():
        assert "authorise" in src, f.__name__


# -- end to end: the finding --------------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
MEMBER, GROUP_ADMIN, LISTED = 7001, 7002, 7003


@pytest.fixture
def oversight_group(engine):
    seed(engine)  # 5099-3 has a pending extension request
    with Session(engine) as s:
        make_binding(s, chat_id=GROUP, agency="van-phong-ubnd-tinh", role="oversight", now=NOW)
        s.commit()
    return engine


async def approve_through_the_group(engine, db_url, user_id: int, *, group_admin: bool):
    from storage.signin import create_signin_link

    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,),
                             oversight_user_ids=(LISTED,))
    clock = FixedClock(NOW)
    with Session(engine) as s:
        token, _row = create_signin_link(s, str(user_id), name="Anh Tuấn", created_by="bot", source="telegram",
                                         now=NOW, minutes=15, via_chat=str(GROUP), via_chat_admin=group_admin)
        ext_id = s.exec(select(Extension)).one().id
        s.commit()
    async with console(engine, settings, clock) as c:
        _page, nonce = await open_link(c.client, token)
        assert (await press_sign_in(c.client, token, nonce)).status == 303
        page = await (await c.client.get("/web/tasks/5099-3")).text()
        csrf = CSRF_RE.search(page).group(1)
        r = await c.client.post("/web/tasks/5099-3", allow_redirects=False, data={
            "csrf": csrf, "action": "approve", "occurrence": "once", "extension": str(ext_id)})
        text = await r.text()
    with Session(engine) as s:
        return r.status, text, page, s.exec(select(Extension)).one().decision


async def test_a_plain_member_of_the_oversight_group_cannot_approve_in_the_console(oversight_group, db_url):
    from html import escape

    status, text, page, decision = await approve_through_the_group(oversight_group, db_url, MEMBER,
                                                                   group_admin=False)
    assert status == 403 and decision == "pending"
    assert escape(_("You signed in through the oversight group as one of its members: only the group's "
                    "administrators (or the people listed in OVERSIGHT_USER_IDS) confirm completions and decide "
                    "extensions.", lang="vi"), quote=True) in text
    assert 'value="approve"' not in page  # the page does not offer what would be refused


async def test_a_plain_member_of_the_oversight_group_cannot_approve_in_bulk_either(oversight_group, db_url):
    from storage.signin import create_signin_link

    settings = load_settings(environ={}, dotenv_path=None, database_url=db_url, admin_user_ids=(ADMIN,))
    with Session(oversight_group) as s:
        token, _row = create_signin_link(s, str(MEMBER), name="Anh Tuấn", created_by="bot", source="telegram",
                                         now=NOW, minutes=15, via_chat=str(GROUP), via_chat_admin=False)
        s.commit()
    async with console(oversight_group, settings, FixedClock(NOW)) as c:
        _page, nonce = await open_link(c.client, token)
        assert (await press_sign_in(c.client, token, nonce)).status == 303
        csrf = CSRF_RE.search(await (await c.client.get("/web/tasks/5099-3")).text()).group(1)
        r = await c.client.post("/web/bulk", allow_redirects=False,
                                data={"csrf": csrf, "action": "approve", "sel": "5099-3|once"})
        assert r.status == 403 and "OVERSIGHT_USER_IDS" in await r.text()
    with Session(oversight_group) as s:
        assert s.exec(select(Extension)).one().decision == "pending"


async def test_the_oversight_groups_administrator_approves_in_the_console(oversight_group, db_url):
    status, _text, page, decision = await approve_through_the_group(oversight_group, db_url, GROUP_ADMIN,
                                                                    group_admin=True)
    assert 'value="approve"' in page
    assert status == 303 and decision == "approved"


async def test_a_person_listed_in_oversight_user_ids_approves_in_the_console(oversight_group, db_url):
    status, _text, _page, decision = await approve_through_the_group(oversight_group, db_url, LISTED,
                                                                     group_admin=False)
    assert status == 303 and decision == "approved"


async def test_web_in_the_oversight_group_remembers_who_administers_it(db_url, engine):
    import tests.bot_harness as harness

    with Session(engine) as s:
        harness.seed(s)
    bot = await harness.start(db_url, engine)
    try:
        for user_id, admin in ((harness.BOB, False), (harness.CAROL, True)):  # CAROL administers the group
            await bot.say(harness.OVERSIGHT_CHAT, "/web", user_id=user_id)
            with Session(engine) as s:
                row = s.exec(select(WebSigninLink).where(WebSigninLink.user_id == str(user_id))).one()
                assert row.via_chat == str(harness.OVERSIGHT_CHAT) and row.via_chat_admin is admin
    finally:
        await harness.stop(bot)
