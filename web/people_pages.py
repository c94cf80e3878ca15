"""The console's people page (issue 24): the people of an agency, their department and position, and who can
be reached on which channel (an e-mail address awaiting its owner's confirmation says so). Administrators see
every agency; a focal point or an agency's leader sees their own agencies only; anyone else gets 404, as for a
page that does not exist — another agency's people are not shown at all."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from web.common import PERSON, run_db
from web.pages import not_found


def _agencies(request: web.Request) -> list[str] | None:
    """None: every agency (administrators); else the agencies whose people this person may see ([] = none)."""
    person = request[PERSON]
    if person.can_admin:
        return None
    return list(person.own_agencies)


async def people_page(request: web.Request) -> web.Response:
    agencies = _agencies(request)
    if agencies == []:
        return not_found(request)
    ctx = await run_db(request, lambda s: _context(s, agencies))
    return aiohttp_jinja2.render_template("people.html", request, ctx)


def _context(session, agencies: list[str] | None) -> dict:
    from sqlmodel import select

    from storage.people import channels_of, department_name, departments, people
    from storage.tables import Agency

    names = {a.code: a.name for a in session.exec(select(Agency))}
    rows = []
    for p in people(session):
        if agencies is not None and p.agency not in agencies:
            continue
        rows.append({"id": p.id, "name": p.name, "agency": names.get(p.agency, p.agency), "position": p.position or "",
                     "department": department_name(session, p.department_id) or "", "head": p.is_head,
                     "leader": p.is_leader, "channels": [f"{c}: {a}" for c, a in channels_of(p)],
                     "awaiting": p.email if p.email and p.email_confirmed_at is None else None})
    deps = [(names.get(d.agency, d.agency), d.name) for d in departments(session)
            if agencies is None or d.agency in agencies]
    return {"people": rows, "departments": deps}


def routes(app: web.Application) -> None:
    app.router.add_get("/people", people_page, name="people")
