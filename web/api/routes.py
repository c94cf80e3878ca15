"""The operations of /api/v1. Reads go through the read models the console uses (storage.views, reports);
actions through storage.actions, audited as the token's system (source "api"), with the console's rules:
a token acts on the tasks its agencies lead; an every-agency write token is the oversight body (confirms
completions, decides extensions). Another agency's task is answered 404, exactly like a task that does not
exist."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from sqlmodel import Session, func, select

from core import i18n
from core.clock import local_today
from storage import actions, api_tokens, completion
from storage.tables import PENDING_CONFIRMATION, AuditEntry, Directive, Extension, ProgressUpdate, Task
from storage.views import TaskItem, task_items
from web.api import models as m
from web.api.common import (CALENDAR, CLIENT, CLOCK, SETTINGS, ApiProblem, Client, read_body, read_query, respond,
                         run_db)
from web.api.spec import Registry

API = Registry(
    "dondoc API", "1.0.0",
    "Tasks assigned by directives, their deadlines, progress and reports, for other systems (dashboards, the "
    "province's operations centre, e-office). Every request but this document carries `Authorization: Bearer "
    "<token>`; a token sees the agencies it was made for. Errors are application/problem+json.")

KEY = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^/]+$"}
ID = {"type": "integer", "minimum": 1, "maximum": 2_147_483_647}


def today_of(request: web.Request) -> date:
    return local_today(request.app[CLOCK], request.app[SETTINGS].timezone)


def client(request: web.Request) -> Client:
    return request[CLIENT]


def visible_items(s: Session, request: web.Request, c: Client, *, agency: str | None = None,
                  directive: str | None = None, task_ids=None) -> list[TaskItem]:
    """The occurrences this token may see: its agencies' (led or coordinated), or every agency's."""
    settings, calendar, today = request.app[SETTINGS], request.app[CALENDAR], today_of(request)
    allowed = c.person.visible_agencies()
    if allowed is None:
        return task_items(s, settings=settings, calendar=calendar, today=today, agency=agency, directive=directive,
                          role_of_agency="any" if agency else "lead", task_ids=task_ids)
    seen: dict[tuple[int, str], TaskItem] = {}
    for a in allowed:
        if agency is not None and a != agency:
            continue
        for it in task_items(s, settings=settings, calendar=calendar, today=today, agency=a, directive=directive,
                             role_of_agency="any", task_ids=task_ids):
            seen.setdefault((it.task.id, it.occurrence_key), it)
    items = list(seen.values())
    items.sort(key=lambda i: (i.effective_due is None, i.effective_due or date.max, i.task.position, i.task.key))
    return items


def task_page(s: Session, request: web.Request, c: Client, q, period) -> tuple[int, list[TaskItem]]:
    """How many occurrences the filters of `q` (m.TaskQuery) keep for this token, and its page of them, in the
    order `visible_items` gives: the listing's order for every agency, the merged order for a token's own."""
    from storage import listing
    from storage.listing_tables import ListedOccurrence

    L = ListedOccurrence.__table__.c
    settings, calendar, today = request.app[SETTINGS], request.app[CALENDAR], today_of(request)
    listing.refresh(s, settings=settings, calendar=calendar, today=today)
    allowed = c.person.visible_agencies()
    directive_ids = None
    if q.directive is not None:
        directive_ids = list(s.exec(select(Directive.id).where(Directive.number == q.directive)).all())
    if allowed is None and q.agency is not None:  # every agency's token: the tasks it leads or coordinates
        allowed, agency = [q.agency], None
    else:
        agency = q.agency
    scope = listing.Scope(today=today, due_soon_days=int(getattr(settings, "due_soon_days", 3)), allowed=allowed,
                          agency=agency, directive_ids=directive_ids, q=(q.q or "").strip(),
                          status=q.status.value if q.status is not None else None)
    extra = [] if period is None else [L.effective_due >= period.start, L.effective_due <= period.end]
    order = listing.ORDER if c.person.visible_agencies() is None else listing.MERGED_ORDER
    total = listing.count(s, scope, *extra)
    keys = listing.page_keys(s, scope, *extra, limit=q.per_page, offset=(q.page - 1) * q.per_page, order=order)
    return total, listing.items_of(s, keys, settings=settings, calendar=calendar, today=today)


def load_task(s: Session, c: Client, key: str) -> Task:
    task = s.exec(select(Task).where(Task.key == key, Task.removed_at.is_(None))).first()
    if task is None or not c.person.can_see(task):
        raise ApiProblem(404, "not-found", "No such task", f"There is no task {key!r}, or it is not shown to "
                         "this token.")
    return task


def progress_out(p: ProgressUpdate) -> m.ProgressOut:
    return m.ProgressOut(id=p.id, occurrence=p.occurrence_key, percent=p.percent, note=p.note, by=p.actor,
                         source=p.source, at=p.created_at)


def extension_out(e: Extension) -> m.ExtensionOut:
    return m.ExtensionOut(id=e.id, occurrence=e.occurrence_key, previous_due=e.previous_due,
                          requested_due=e.requested_due, reason=e.reason, requested_by=e.requested_by,
                          requested_at=e.requested_at, decision=e.decision, decided_by=e.decided_by,
                          decided_at=e.decided_at, note=e.decision_note)


def item_out(i: TaskItem) -> m.TaskItemOut:
    t = i.task
    return m.TaskItemOut(
        key=t.key, occurrence=i.occurrence_key, content=t.content,
        directive=i.directive.number if i.directive is not None else None, lead_agency=t.lead_agency,
        coordinators=list(t.coordinators or []), deadline_text=t.deadline_text, due=i.due,
        effective_due=i.effective_due, state=i.state, status=i.status.value, completed_on=i.completed_on,
        acknowledged=i.acknowledged,
        last_progress=progress_out(i.last_progress) if i.last_progress is not None else None,
        pending_extension=extension_out(i.pending_extension) if i.pending_extension is not None else None)


def period_out(i: TaskItem) -> m.PeriodOut:
    return m.PeriodOut(occurrence=i.occurrence_key, due=i.due, effective_due=i.effective_due, state=i.state,
                       status=i.status.value, completed_on=i.completed_on)


def _period(text: str | None, cutoff: str | None, request: web.Request):
    from reports import PeriodError, current_period, parse_period

    cut = cutoff or request.app[SETTINGS].report_cutoff
    if not text:
        return current_period(today_of(request), "quarter", cut)
    try:
        return parse_period(text, cut)
    except PeriodError as e:
        raise ApiProblem(422, "invalid", "Invalid parameters",
                         errors=[{"field": "period", "message": str(e)}]) from None


# -- reading ----------------------------------------------------------------------------------------------

@API.operation("GET", "/directives", summary="Directives, by number", response=m.DirectivePage, query=m.Paging)
async def list_directives(request: web.Request) -> web.Response:
    """The directives (văn bản giao nhiệm vụ) with tasks this token may see, by number."""
    q = read_query(request, m.Paging)
    c = client(request)

    def load(s: Session):
        live = select(Task.directive_id, func.count(Task.id)).where(Task.removed_at.is_(None),
                                                                    Task.directive_id.is_not(None))
        allowed = c.person.visible_agencies()
        counts: dict[int, int] = {}
        if allowed is None:
            counts = dict(s.exec(live.group_by(Task.directive_id)).all())
        else:
            for t in s.exec(select(Task).where(Task.removed_at.is_(None), Task.directive_id.is_not(None))):
                if c.person.can_see(t):
                    counts[t.directive_id] = counts.get(t.directive_id, 0) + 1
        rows = [d for d in s.exec(select(Directive).order_by(Directive.number)) if d.id in counts]
        page = rows[(q.page - 1) * q.per_page:q.page * q.per_page]
        return m.DirectivePage(total=len(rows), page=q.page, per_page=q.per_page, items=[
            m.DirectiveOut(id=d.id, number=d.number, issued=d.issued, issuer=d.issuer, subject=d.subject,
                           tasks=counts[d.id]) for d in page])

    return respond(await run_db(request, load))


@API.operation("GET", "/tasks", summary="Task occurrences, filtered and paged", response=m.TaskPage,
               query=m.TaskQuery)
async def list_tasks(request: web.Request) -> web.Response:
    """One item per occurrence (a recurring task has one per period), by deadline in force. Filters: agency
    (leads or coordinates), directive, status, period (due in it), text."""
    q = read_query(request, m.TaskQuery)
    c = client(request)
    period = _period(q.period, None, request) if q.period else None

    def load(s: Session):
        # Counted, filtered and paged in SQL over the console's occurrence listing (storage/listing.py, issue 23):
        # only the page's tasks are read — what `visible_items` filtered in Python from every task before.
        total, page = task_page(s, request, c, q, period)
        return m.TaskPage(total=total, page=q.page, per_page=q.per_page, items=[item_out(i) for i in page])

    return respond(await run_db(request, load))


def _task_out(s: Session, request: web.Request, c: Client, task: Task) -> m.TaskOut:
    items = visible_items(s, request, c, task_ids=[task.id])
    directive = s.get(Directive, task.directive_id) if task.directive_id else None
    from intake.edxml.importer import document_of

    source = document_of(s, directive.number if directive else None)
    return m.TaskOut(
        key=task.key, content=task.content, directive=directive.number if directive else None,
        document_id=source.document_id if source is not None else None,
        lead_agency=task.lead_agency, coordinators=list(task.coordinators or []), report_to=task.report_to,
        deadline_text=task.deadline_text, deadline_kind=task.deadline_kind, periods=[period_out(i) for i in items],
        progress=[progress_out(p) for p in s.exec(select(ProgressUpdate).where(ProgressUpdate.task_id == task.id)
                                                  .order_by(ProgressUpdate.created_at, ProgressUpdate.id))],
        extensions=[extension_out(e) for e in s.exec(select(Extension).where(Extension.task_id == task.id)
                                                     .order_by(Extension.requested_at, Extension.id))])


@API.operation("GET", "/tasks/{key}", summary="One task: its periods, progress and extensions",
               response=m.TaskOut, errors=(404,), path_params={"key": KEY})
async def get_task(request: web.Request) -> web.Response:
    """A task with its current periods (occurrences), every progress report and every extension request."""
    c = client(request)
    key = request.match_info["key"]
    return respond(await run_db(request, lambda s: _task_out(s, request, c, load_task(s, c, key))))


@API.operation("GET", "/tasks/{key}/periods", summary="A task's periods", response=m.PeriodList, errors=(404,),
               path_params={"key": KEY})
async def task_periods(request: web.Request) -> web.Response:
    """The occurrences listed today: a one-off or continuous task's one; a recurring task's periods of the last
    year not done, and the next one."""
    c = client(request)
    key = request.match_info["key"]

    def load(s: Session):
        task = load_task(s, c, key)
        return m.PeriodList(key=task.key, items=[period_out(i) for i in visible_items(s, request, c,
                                                                                      task_ids=[task.id])])

    return respond(await run_db(request, load))


@API.operation("GET", "/tasks/{key}/history", summary="A task's history", response=m.History, errors=(404,),
               path_params={"key": KEY})
async def task_history(request: web.Request) -> web.Response:
    """Every change to the task from the audit log, oldest first: who, from where, what."""
    c = client(request)
    key = request.match_info["key"]

    def load(s: Session):
        task = load_task(s, c, key)
        rows = s.exec(select(AuditEntry).where(AuditEntry.entity_key == task.key)
                      .order_by(AuditEntry.at, AuditEntry.id)).all()
        return m.History(key=task.key, items=[
            m.HistoryEntry(id=r.id, at=r.at, action=r.action, actor=r.actor, source=r.source,
                           occurrence=(r.detail or {}).get("occurrence"),
                           detail={k: v for k, v in (r.detail or {}).items() if k != "occurrence"}) for r in rows])

    return respond(await run_db(request, load))


@API.operation("GET", "/reports", summary="The four groups per agency for a period", response=m.ReportOut,
               query=m.ReportQuery, errors=(404,))
async def get_report(request: web.Request) -> web.Response:
    """The figures of `dondoc report --json`: counts per agency in the four groups, totals, on-time rate and
    the overdue list, for the token's agencies."""
    from reports import build_report

    q = read_query(request, m.ReportQuery)
    c = client(request)
    period = _period(q.period, q.cutoff, request)
    settings = request.app[SETTINGS]

    def load(s: Session):
        allowed = c.person.visible_agencies()
        if q.agency is not None and allowed is not None and q.agency not in allowed:
            raise ApiProblem(404, "not-found", "No such agency", "This token does not see that agency.")
        codes = [q.agency] if q.agency else (allowed if allowed is not None else None)
        if q.directive is not None and s.exec(select(Directive).where(Directive.number == q.directive)).first() \
                is None:
            raise ApiProblem(404, "not-found", "No such directive")
        report = build_report(s, settings=settings, calendar=request.app[CALENDAR], period=period,
                              today=today_of(request), agencies=codes, directive=q.directive)
        return m.ReportOut.model_validate(report.to_json())

    return respond(await run_db(request, load))


# -- acting -----------------------------------------------------------------------------------------------

STATE_ERRORS = {"already_done", "already_pending", "not_pending", "extension_pending", "already_decided",
                "removed", "already_acknowledged", "no_deadline", "no_occurrence"}


def action_problem(e: actions.ActionError, settings) -> ApiProblem:
    from web.pages import action_error_text

    with i18n.use_language(settings.language):
        text = action_error_text(e)
    if e.code in STATE_ERRORS:
        return ApiProblem(409, e.code.replace("_", "-"), "Not possible now", text)
    return ApiProblem(422, e.code.replace("_", "-"), "Invalid request", text)


def occurrence_of(s: Session, task: Task, given: str | None, today: date) -> str:
    """The occurrence named (checked against the deadline), else the current one (as the CLI and console)."""
    if given is None:
        return actions.current_occurrence(s, task, today)
    if task.deadline_kind == "recurring":
        from core.deadline import Deadline

        try:
            due = date.fromisoformat(given)
        except ValueError:
            raise actions.ActionError("bad_occurrence", "not a date") from None
        if not Deadline.from_dict(task.deadline).occurrences(due, due):
            raise actions.ActionError("bad_occurrence", "not a due date of this task")
        return due.isoformat()
    actions._check_key(task, given)
    return given


async def act(request: web.Request, body_model, do, *, deciding: bool = False) -> web.Response:
    body = await read_body(request, body_model)
    c = client(request)
    key = request.match_info["key"]
    settings = request.app[SETTINGS]
    now = request.app[CLOCK].now()
    today = today_of(request)

    def work(s: Session):
        task = load_task(s, c, key)
        if deciding and not c.person.can_decide:
            raise ApiProblem(403, "not-allowed", "Not allowed", "Only the oversight body (an every-agency write "
                             "token) decides.")
        if not deciding and not c.person.can_act(task):
            raise ApiProblem(403, "not-allowed", "Not allowed", "Only the lead agency acts on a task.")
        try:
            occ = occurrence_of(s, task, body.occurrence, today)
            message = do(s, task, occ, body, c, now, settings)
        except actions.ActionError as e:
            s.rollback()
            raise action_problem(e, settings) from None
        row = actions.get_occurrence(s, task, occ)
        return m.ActionResult(key=task.key, occurrence=occ, state=row.status if row else "open", message=message)

    return respond(await run_db(request, work))


@API.operation("POST", "/tasks/{key}/progress", summary="Report progress", response=m.ActionResult,
               body=m.ProgressIn, write=True, errors=(404, 409), path_params={"key": KEY})
async def post_progress(request: web.Request) -> web.Response:
    """A progress report (báo cáo tiến độ): a percent (0-100) and/or a note, by the lead agency."""

    def do(s, task, occ, body, c, now, settings):
        actions.record_progress(s, task, occ, body.percent, (body.note or "").strip() or None, c.actor(), now)
        return "progress recorded"

    return await act(request, m.ProgressIn, do)


@API.operation("POST", "/tasks/{key}/done", summary="Report done, with its evidence", response=m.ActionResult,
               body=m.DoneIn, write=True, errors=(404, 409), path_params={"key": KEY})
async def post_done(request: web.Request) -> web.Response:
    """Done (hoàn thành), dated today; awaiting the oversight body's confirmation when CONFIRM_COMPLETION is on."""

    def do(s, task, occ, body, c, now, settings):
        claim = settings.confirm_completion and not c.person.can_decide
        actions.mark_done(s, task, occ, c.actor(), now, note=(body.note or "").strip() or None,
                          needs_confirmation=claim, tz=settings.timezone)
        return "awaiting confirmation" if claim else "done"

    return await act(request, m.DoneIn, do)


@API.operation("POST", "/tasks/{key}/extensions", summary="Ask for more time", response=m.ActionResult,
               body=m.ExtensionIn, write=True, errors=(404, 409), path_params={"key": KEY})
async def post_extension(request: web.Request) -> web.Response:
    """An extension request (xin gia hạn): a later date and the reason; the oversight body decides."""

    def do(s, task, occ, body, c, now, settings):
        actions.request_extension(s, task, occ, body.requested_due, body.reason, c.actor(), now,
                                  tz=settings.timezone)
        return "extension requested"

    return await act(request, m.ExtensionIn, do)


@API.operation("POST", "/tasks/{key}/confirmation", summary="Confirm a completion or send it back",
               response=m.ActionResult, body=m.ConfirmIn, write=True, errors=(403, 404, 409),
               path_params={"key": KEY})
async def post_confirmation(request: web.Request) -> web.Response:
    """The oversight body confirms a reported completion (done) or returns it (open again) with its reason in
    `note` (required to return: the agency is told it)."""

    def do(s, task, occ, body, c, now, settings):
        note = (body.note or "").strip() or None
        if body.approve:
            completion.confirm(s, task, occ, c.actor(), now, note=note)
            return "confirmed"
        # Sent back only with its reason (`note`), told to the agency, as in the console and the chats (issue 22).
        row = actions.get_occurrence(s, task, occ)
        if row is None or row.status != PENDING_CONFIRMATION:
            raise actions.ActionError("not_pending", "not awaiting confirmation")
        completion.return_completion(s, task, occ, note or "", c.actor(), now)
        return "returned"

    return await act(request, m.ConfirmIn, do, deciding=True)


@API.operation("POST", "/extensions/{id}/decision", summary="Approve or reject an extension request",
               response=m.ActionResult, body=m.DecisionIn, write=True, errors=(403, 404, 409),
               path_params={"id": ID})
async def post_decision(request: web.Request) -> web.Response:
    """The oversight body's decision on an extension request; approved, the requested date is in force."""
    body = await read_body(request, m.DecisionIn)
    c = client(request)
    ext_id = int(request.match_info["id"]) if request.match_info["id"].isdigit() else 0
    settings = request.app[SETTINGS]
    now = request.app[CLOCK].now()

    def work(s: Session):
        ext = s.get(Extension, ext_id) if 0 < ext_id < 2**31 else None
        task = s.get(Task, ext.task_id) if ext is not None else None
        if task is None or task.removed_at is not None or not c.person.can_see(task):
            raise ApiProblem(404, "not-found", "No such extension request")
        if not c.person.can_decide:
            raise ApiProblem(403, "not-allowed", "Not allowed", "Only the oversight body (an every-agency write "
                             "token) decides.")
        try:
            actions.decide_extension(s, ext, body.approve, c.actor(), now, note=(body.note or "").strip() or None)
        except actions.ActionError as e:
            s.rollback()
            raise action_problem(e, settings) from None
        row = actions.get_occurrence(s, task, ext.occurrence_key)
        return m.ActionResult(key=task.key, occurrence=ext.occurrence_key, state=row.status if row else "open",
                              message=ext.decision)

    return respond(await run_db(request, work))


# -- webhooks ---------------------------------------------------------------------------------------------

def webhook_out(sub, secret: bool = False) -> m.WebhookOut:
    return m.WebhookOut(id=sub.id, url=sub.url, events=list(sub.events), created_at=sub.created_at,
                        secret=sub.secret if secret else None)


@API.operation("GET", "/webhooks", summary="This token's webhook subscriptions", response=m.WebhookList)
async def list_webhooks(request: web.Request) -> web.Response:
    """The URLs this token's system receives events at (their secrets are not shown again)."""
    c = client(request)

    def load(s: Session):
        subs = s.exec(select(api_tokens.WebhookSubscription).where(
            api_tokens.WebhookSubscription.token_id == c.token_id,
            api_tokens.WebhookSubscription.revoked_at.is_(None)).order_by(api_tokens.WebhookSubscription.id))
        return m.WebhookList(items=[webhook_out(x) for x in subs])

    return respond(await run_db(request, load))


@API.operation("POST", "/webhooks", summary="Receive events at a URL", response=m.WebhookOut, status=201,
               body=m.WebhookIn)
async def create_webhook(request: web.Request) -> web.Response:
    """Events from now on are POSTed to the URL, signed with the returned secret (shown only now): header
    `X-Dondoc-Signature: sha256=<hex HMAC-SHA256 of "<X-Dondoc-Timestamp>.<body>">`."""
    body = await read_body(request, m.WebhookIn)
    c = client(request)
    now = request.app[CLOCK].now()

    def work(s: Session):
        token = s.get(api_tokens.ApiToken, c.token_id)
        return webhook_out(api_tokens.subscribe(s, token, url=body.url, events=list(body.events), now=now),
                           secret=True)

    return respond(await run_db(request, work), status=201)


@API.operation("DELETE", "/webhooks/{id}", summary="Stop receiving events at a URL", response=m.WebhookList,
               errors=(404,), path_params={"id": ID})
async def delete_webhook(request: web.Request) -> web.Response:
    """Stops the subscription; deliveries not sent yet are not sent. Answers the subscriptions left."""
    c = client(request)
    sub_id = int(request.match_info["id"]) if request.match_info["id"].isdigit() else 0
    now = request.app[CLOCK].now()

    def work(s: Session):
        token = s.get(api_tokens.ApiToken, c.token_id)
        if not (0 < sub_id < 2**31) or api_tokens.unsubscribe(s, token, sub_id, now) is None:
            raise ApiProblem(404, "not-found", "No such webhook subscription")
        subs = s.exec(select(api_tokens.WebhookSubscription).where(
            api_tokens.WebhookSubscription.token_id == c.token_id,
            api_tokens.WebhookSubscription.revoked_at.is_(None)).order_by(api_tokens.WebhookSubscription.id))
        return m.WebhookList(items=[webhook_out(x) for x in subs])

    return respond(await run_db(request, work))


async def openapi(request: web.Request) -> web.Response:
    base = request.app[SETTINGS].feed_base_url.rstrip("/")
    return web.json_response(API.document(server_url=f"{base}/api/v1"), headers={"Cache-Control": "no-cache"})


def add_document_route(app: web.Application) -> None:
    app.router.add_get("/openapi.json", openapi, name="openapi")
