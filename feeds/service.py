"""What goes into a calendar: the tasks of an agency, of a linked chat, or of every agency (oversight), with
their occurrences, last progress and pending extensions, handed to the pure renderer.

`iter_scope` streams a calendar: the scope's tasks in calendar order (due date, then id) within the window
(FEED_WINDOW_MONTHS: tasks due in the last months, plus every open task), read BATCH at a time
(feeds.loading), turned into entries (feeds.entries) and written (feeds.ics) — by render processes when the
server has them (feeds.pool) — so memory holds a few batches whatever the feed's size. A batch already
written from the same rows is taken from the batch memo. Exports (`dondoc ics`) pass `window=False`.

Also the feed's validator (`feed_state`): an ETag and a Last-Modified computed from a few aggregate queries
(counts, sums of sequences, latest change times of the feed's tasks, occurrences, progress, extensions and
directives) plus what else changes the output — the settings that shape it, the agency and holiday files,
the local date (alarms, the keep-done window and the feed window move with it) and the renderer's version — so a client
that already has the calendar gets its 304 without anything being rendered.

Which occurrences a recurring task shows besides its RRULE is feeds.entries' business (see its docstring).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import zlib
from collections import OrderedDict, deque
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import sqlalchemy as sa
from sqlmodel import Session, select

from core import __version__
from typing import Iterator

from core.i18n import _, ngettext
from feeds import entries, loading
from feeds.entries import _cached, _digest, _file_id, agency_directory, work_calendar  # noqa: F401 - re-exported
from core.links import task_page_url
from feeds.ics import (RENDER_VERSION, AlarmSpec, CalendarMeta, TaskEntry,
                       calendar_head, calendar_tail, iter_components, options, render_calendar)
from storage.tables import ChatBinding, Directive, Extension, FeedToken, Occurrence, ProgressUpdate, Task

log = logging.getLogger(__name__)

ALL_AGENCY_ROLES = ("oversight", "leadership")  # a chat in these roles sees every agency


class FeedNotFound(LookupError):
    """No such feed: unknown agency, missing or inactive chat binding."""


@dataclass(frozen=True)
class FeedScope:
    """Whose tasks a calendar shows. `agencies` empty = every agency (oversight)."""

    kind: str  # agency | binding | oversight
    agencies: tuple[str, ...] = ()
    language: str | None = None  # None = LANGUAGE
    binding_id: int | None = None
    binding_state: str = ""  # what of the binding shapes the output, for the ETag

    @property
    def key(self) -> str:
        return f"{self.kind}:{','.join(self.agencies)}:{self.binding_id or ''}:{self.binding_state}"


@dataclass(frozen=True)
class FeedState:
    etag: str  # a weak validator, quoted: W/"…"
    last_modified: datetime  # UTC, whole seconds


# -- scopes ----------------------------------------------------------------------------------------------

def scope_for_agency(code: str) -> FeedScope:
    return FeedScope("agency", agencies=(code,))


def scope_for_oversight() -> FeedScope:
    return FeedScope("oversight")


def scope_for_binding(session: Session, binding_id: int) -> FeedScope:
    """A linked chat's calendar: its agency's tasks (every agency for oversight/leadership chats), in the
    chat's language. Raises FeedNotFound for a missing or inactive binding."""
    b = session.get(ChatBinding, binding_id)
    if b is None or not b.active:
        raise FeedNotFound(f"no active chat binding {binding_id}")
    agencies = () if b.role in ALL_AGENCY_ROLES else (b.agency,)
    return FeedScope("binding", agencies=agencies, language=b.language, binding_id=b.id,
                     binding_state=f"{b.agency}/{b.role}/{b.language or ''}/{b.active}")


def scope_for_token(session: Session, row: FeedToken) -> FeedScope:
    if row.scope == "agency" and row.agency:
        return scope_for_agency(row.agency)
    if row.scope == "oversight":
        return scope_for_oversight()
    if row.scope == "binding" and row.binding_id is not None:
        return scope_for_binding(session, row.binding_id)
    raise FeedNotFound(f"feed token {row.id} has an unusable scope {row.scope!r}")


def _task_filter(scope: FeedScope):
    """Tasks an agency leads or coordinates (coordinators is a JSON list: a LIKE narrows, Python decides)."""
    if not scope.agencies:
        return sa.true()
    conds = [Task.lead_agency.in_(scope.agencies)]
    conds += [sa.cast(Task.coordinators, sa.String).like(f'%"{code}"%') for code in scope.agencies]
    return sa.or_(*conds)


def _lang(scope: FeedScope, settings) -> str:
    return scope.language or settings.language


def _local_today(now: datetime, settings) -> date:
    if now.tzinfo is None:
        raise ValueError("naive `now` given to the feeds; pass an aware datetime")
    return now.astimezone(settings.timezone).date()


# -- the validator ---------------------------------------------------------------------------------------

def feed_state(session: Session, scope: FeedScope, settings, now: datetime, *, todo: bool = False) -> FeedState:
    """ETag and Last-Modified of a feed, from aggregate queries — nothing is loaded or rendered."""
    flt = _task_filter(scope)
    in_scope = select(Task.id).where(flt).scalar_subquery()

    def agg(*cols, table, where=None):
        q = select(*cols)
        if scope.agencies:  # every agency: no need to ask which tasks are in scope
            q = q.where(table.task_id.in_(in_scope)) if where is None else q.where(where)
        return q

    t = select(sa.func.count(Task.id), sa.func.coalesce(sa.func.sum(Task.id), 0), sa.func.max(Task.updated_at),
               sa.func.coalesce(sa.func.sum(Task.sequence), 0), sa.func.count(Task.removed_at),
               sa.func.max(Task.removed_at)).where(flt)
    o = agg(sa.func.count(Occurrence.id), sa.func.max(Occurrence.updated_at),
            sa.func.coalesce(sa.func.sum(Occurrence.sequence), 0), table=Occurrence)
    p = agg(sa.func.count(ProgressUpdate.id), sa.func.max(ProgressUpdate.id), sa.func.max(ProgressUpdate.created_at),
            table=ProgressUpdate)
    x = agg(sa.func.count(Extension.id), sa.func.max(Extension.id), sa.func.max(Extension.requested_at),
            sa.func.max(Extension.decided_at), sa.func.count(Extension.decided_at), table=Extension)
    d = select(sa.func.count(Directive.id), sa.func.max(Directive.updated_at))
    if scope.agencies:
        d = d.where(Directive.id.in_(select(Task.directive_id).where(flt).scalar_subquery()))
    rows = [session.execute(q).one() for q in (t, o, p, x, d)]

    today = _local_today(now, settings)
    files = (_file_id(settings.agencies_file), _file_id(settings.holidays_file))
    # The files' contents (not their paths or times) go into the ETag, so two feed servers with the same
    # files give the same ETag; their times only go into Last-Modified.
    contents = (_cached("digest:agencies", settings.agencies_file, _digest),
                _cached("digest:holidays", settings.holidays_file, _digest))
    parts = [
        RENDER_VERSION, __version__, "todo" if todo else "events", scope.key, _lang(scope, settings),
        today.isoformat(), settings.feed_keep_done_days, settings.due_soon_days, settings.reminder_offsets,
        settings.reminder_time.isoformat(), settings.deadline_shift_to_workday, str(settings.timezone), contents,
        settings.uid_domain, settings.feed_window_months, task_page_url(settings, ""),
        [tuple(_norm(v) for v in r) for r in rows],
    ]
    etag = 'W/"' + hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:40] + '"'

    stamps = [r[i] for r, i in ((rows[0], 2), (rows[0], 5), (rows[1], 1), (rows[2], 2), (rows[3], 2),
                                (rows[3], 3), (rows[4], 1))]
    # The calendar's statuses and its keep-done window change at local midnight.
    stamps.append(datetime.combine(today, time(0), tzinfo=settings.timezone))
    if scope.agencies:
        # A task that left the feed (another lead agency, no longer coordinating) is not among the feed's tasks
        # any more, but its change is a change of the feed: any task's latest change counts (every change of a
        # task bumps its updated_at). Clients with the ETag are exact; If-Modified-Since-only clients may fetch
        # a feed again after another agency's change — never keep a stale one.
        stamps.append(session.execute(select(sa.func.max(Task.updated_at))).scalar())
    if scope.binding_id is not None:
        stamps.append(session.execute(select(ChatBinding.updated_at).where(ChatBinding.id == scope.binding_id)).scalar())
    for f in files:
        if len(f) == 3:
            stamps.append(datetime.fromtimestamp(f[1] / 1e9, tz=timezone.utc))
    last = max(_aware(s) for s in stamps if s is not None).astimezone(timezone.utc).replace(microsecond=0)
    return FeedState(etag=etag, last_modified=last)


def _norm(v):
    if isinstance(v, datetime):
        return _aware(v).astimezone(timezone.utc).isoformat()
    return str(v)


def _aware(v: datetime) -> datetime:
    # Aggregates over UTCDateTime columns come back aware; a dialect that loses the type gives naive UTC.
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    return v if v.tzinfo else v.replace(tzinfo=timezone.utc)


# -- loading ---------------------------------------------------------------------------------------------

BATCH = 1000  # tasks loaded (and rendered) at a time: memory stays flat whatever the feed's size


def _window_filter(settings, today: date, window: bool):
    """FEED_WINDOW_MONTHS: a once task due (or extended to) before the window is left out when it is done;
    open tasks stay whatever their date; recurring and continuous tasks always stay."""
    months = settings.feed_window_months if window else 0
    if not months:
        return sa.true()
    from dateutil.relativedelta import relativedelta

    cutoff = today - relativedelta(months=months)
    old_and_done = (select(Occurrence.id).where(
        Occurrence.task_id == Task.id, Occurrence.key == "once", Occurrence.status == "done",
        sa.func.coalesce(Occurrence.extended_due, Task.due) < cutoff)).exists()
    return sa.or_(Task.deadline_kind != "once", Task.due.is_(None), Task.due >= cutoff, ~old_and_done)


def _scope_where(scope: FeedScope, settings, today: date, window: bool):
    return sa.and_(_task_filter(scope), Task.removed_at.is_(None), _window_filter(settings, today, window))


def task_ids(session: Session, scope: FeedScope, settings, today: date, *, window: bool = True) -> list[int]:
    """The ids of the scope's tasks in calendar order (due date, then id; undated last)."""
    q = select(Task.id).where(_scope_where(scope, settings, today, window)).order_by(*loading.ORDER)
    return list(session.execute(q).scalars())


def _feed(session: Session, settings, today: date) -> loading.Feed:
    return loading.Feed(session, settings, today)


def _entries(feed: loading.Feed, batch: entries.Batch, scope: FeedScope) -> list[TaskEntry]:
    return entries.entries(feed.lookups, batch, scope.agencies)


def load_entries(session: Session, scope: FeedScope, settings, today: date, ids: list[int] | None = None, *,
                 window: bool = True) -> list[TaskEntry]:
    """The scope's tasks (not removed) as the renderer wants them — or the tasks `ids` (removed or not,
    whatever the window), in that order."""
    feed = _feed(session, settings, today)
    if ids is None:
        where = _scope_where(scope, settings, today, window)
    elif not ids:
        return []
    else:
        where = Task.id.in_(list(ids))
    rows = [tuple(r) for r in feed.task_rows(where, stream=False)]
    if ids is not None:
        at = {tid: i for i, tid in enumerate(ids)}
        rows.sort(key=lambda r: at[r[entries.ID]])
    return _entries(feed, feed.batch(rows), scope) if rows else []


# -- rendering -------------------------------------------------------------------------------------------

def calendar_meta(scope: FeedScope, settings, *, todo: bool = False, session: Session | None = None) -> CalendarMeta:
    from storage.agencies import DirectoryNames

    lang = _lang(scope, settings)
    directory = agency_directory(settings) if scope.agencies else None
    if directory is not None and session is not None:
        directory = DirectoryNames(session, directory)  # the database's names first
    if scope.agencies:
        names = [directory.name(c) for c in scope.agencies]
        if len(names) > 3:  # a group ("Các sở, ban, ngành"): a name, not a paragraph
            who = ngettext("{n} agency", "{n} agencies", len(names), lang=lang)
        else:
            who = ", ".join(names)
        desc = _("Deadlines of the tasks {who} leads or coordinates — dondoc", lang=lang, who=who)
    else:
        who = _("all agencies", lang=lang)
        desc = _("Deadlines of every agency — dondoc", lang=lang)
    name = (_("dondoc — {who} (tasks)", lang=lang, who=who) if todo else _("dondoc — {who}", lang=lang, who=who))
    return CalendarMeta(name=name, description=desc, lang=lang, tzid=str(settings.timezone),
                        uid_domain=settings.uid_domain)


def alarm_spec(settings) -> AlarmSpec | None:
    offsets = settings.reminder_offsets
    return AlarmSpec(days_before=max(offsets), at=settings.reminder_time) if offsets else None


def iter_scope(session: Session, scope: FeedScope, settings, now: datetime, *, todo: bool = False,
               window: bool = True, batch: int | None = None, pool=None) -> Iterator[bytes]:
    """The calendar as a stream of byte chunks: the head, then the components of `batch` tasks at a time, then
    the end. Memory holds a few batches, never the whole calendar. With `pool` (feeds.pool.RenderPool), the
    batches not memoised are written by its processes while the next ones are read."""
    today = _local_today(now, settings)
    meta = calendar_meta(scope, settings, todo=todo, session=session)
    opt = options(meta, today=today, keep_done_days=settings.feed_keep_done_days,
                  due_soon_days=settings.due_soon_days, alarm=alarm_spec(settings), todo=todo)
    yield calendar_head(meta)
    feed = _feed(session, settings, today)
    size = batch or BATCH
    # Everything besides the rows that shapes a batch's text: with the rows' fingerprint, the memo's key.
    shape = (RENDER_VERSION, __version__, scope.key, todo, opt, settings.deadline_shift_to_workday,
             feed.page_base, _cached("digest:agencies", settings.agencies_file, _digest),
             _cached("digest:holidays", settings.holidays_file, _digest),
             hash(frozenset(feed.agency_names.items())))  # a province's names live in the database

    def here(rows: entries.Batch) -> bytes:
        return b"".join(iter_components(_entries(feed, rows, scope), opt))

    def text(item) -> bytes:
        key, rows, data = item
        if isinstance(data, bytes):
            return data  # memoised
        if data is not None:
            try:
                data = data.result()
            except BrokenProcessPool:
                pool.restart()  # a worker died: this batch is written here, the next calendar gets new ones
                data = None
        if data is None:
            data = here(rows)
        _memo.put(key, data)
        return data

    ahead = 2 * pool.processes if pool is not None else 0  # batches in flight: the workers never wait
    inflight: deque = deque()
    empty = True
    try:
        for rows in feed.batches(_scope_where(scope, settings, today, window), size):
            key = (shape, rows.fingerprint(feed.directives))
            data = _memo.get(key)
            # One partial batch is the whole calendar: a process hop would cost more than it saves.
            if data is None and pool is not None and (inflight or len(rows.rows) == size):
                data = pool.submit(entries.render, feed.lookups.for_batch(rows), rows, scope.agencies, opt)
            inflight.append((key, rows, data))
            while inflight and (len(inflight) > ahead or _ready(inflight[0][2])):
                chunk = text(inflight.popleft())
                if chunk:
                    empty = False
                    yield chunk
        while inflight:
            chunk = text(inflight.popleft())
            if chunk:
                empty = False
                yield chunk
        yield calendar_tail(meta, empty)
    finally:
        for _key, _rows, data in inflight:  # the client went away: what was sent to the workers is dropped
            if isinstance(data, Future):
                data.cancel()


def _ready(data) -> bool:
    return isinstance(data, bytes) or (isinstance(data, Future) and data.done())


class _BatchMemo:
    """Rendered batches (zlib-compressed) by what they were rendered from, so a feed rendered again after one
    task changed writes only that task's batch again (and the others cost their queries and a decompression).
    Bounded by the compressed size; shared by the feed server's worker threads."""

    LIMIT = 32 * 1024 * 1024

    def __init__(self) -> None:
        self._data: OrderedDict[tuple, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            packed = self._data.get(key)
            if packed is None:
                return None
            self._data.move_to_end(key)
        return zlib.decompress(packed)

    def put(self, key: tuple, data: bytes) -> None:
        packed = zlib.compress(data, 1)
        with self._lock:
            old = self._data.pop(key, None)
            self._size += len(packed) - (len(old) if old is not None else 0)
            self._data[key] = packed
            while self._size > self.LIMIT and len(self._data) > 1:
                _, dropped = self._data.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._size = 0


_memo = _BatchMemo()


def render_scope(session: Session, scope: FeedScope, settings, now: datetime, *, todo: bool = False,
                 window: bool = True) -> bytes:
    return b"".join(iter_scope(session, scope, settings, now, todo=todo, window=window))


def calendar_for_agency(session: Session, code: str, settings, now: datetime, *, todo: bool = False,
                        window: bool = True) -> bytes:
    """The .ics of the tasks agency `code` leads or coordinates (what `/ics` sends and `dondoc ics --agency`)."""
    return render_scope(session, scope_for_agency(code), settings, now, todo=todo, window=window)


def calendar_for_binding(session: Session, binding_id: int, settings, now: datetime, *, todo: bool = False,
                         window: bool = True) -> bytes:
    return render_scope(session, scope_for_binding(session, binding_id), settings, now, todo=todo, window=window)


def calendar_for_all(session: Session, settings, now: datetime, *, todo: bool = False, window: bool = True) -> bytes:
    """Every agency's tasks (the oversight calendar)."""
    return render_scope(session, scope_for_oversight(), settings, now, todo=todo, window=window)


def calendar_for_task(session: Session, task: Task, settings, now: datetime) -> bytes:
    """One task as an .ics (the attachment of an e-mail about it): as its lead agency's calendar shows it."""
    scope = scope_for_agency(task.lead_agency)
    today = _local_today(now, settings)
    one = load_entries(session, scope, settings, today, [task.id])  # this task only, whatever the window
    return render_calendar(one, meta=calendar_meta(scope, settings), today=today,
                           keep_done_days=settings.feed_keep_done_days, due_soon_days=settings.due_soon_days,
                           alarm=alarm_spec(settings))
