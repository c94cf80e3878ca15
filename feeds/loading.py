"""Reading a calendar's tasks from the database, a batch at a time, as the renderer wants them (`TaskEntry`).

A province's all-agency feed has 100,000 tasks and must be served in seconds, so this module reads lean:
- the scope's task rows come from one ordered query, streamed (`Feed.batches`), never an `IN` of ids;
- a batch's occurrences, latest progress and pending extensions come in three queries whose batch of ids
  is one parameter (a JSON array read by `json_each` on SQLite, an array on PostgreSQL): the statements are
  compiled once, not once per batch with a thousand placeholders;
- values are read without SQLAlchemy's per-value processing (feeds.entries converts them: SQLite gives
  dates as text, PostgreSQL typed values, and both are accepted);
- what every batch shares (agency names, directives, the page URL's prefix) is read once per feed (`Feed`).

Rows into entries is feeds.entries (pure, and what a render process runs).
"""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from feeds.entries import COLUMNS, ID, Batch, Lookups
from core.links import task_page_base
from storage.tables import Agency, Directive, Extension, Occurrence, ProgressUpdate, Task


def _raw(col):
    # The column's value as the driver returns it, without SQLAlchemy's result processing.
    return sa.type_coerce(col, sa.types.NullType())


# -- the rows -------------------------------------------------------------------------------------------

# The deadline itself is read only where the columns do not say it all (a once task has its `due`).
_DEADLINE = sa.case((sa.or_(Task.deadline_kind != "once", Task.due.is_(None)), sa.cast(Task.deadline, sa.Text)),
                    else_=sa.null())
_TASK_COLUMNS = (Task.id, Task.key, Task.content, Task.lead_agency, sa.cast(Task.coordinators, sa.Text),
                 Task.coordinators_note, Task.report_to, Task.deadline_text, Task.deadline_kind, _raw(Task.due),
                 Task.directive_id, Task.sequence, _raw(Task.updated_at), _DEADLINE)
assert len(_TASK_COLUMNS) == len(COLUMNS)  # in feeds.entries.COLUMNS' order

ORDER = (Task.due.is_(None), Task.due, Task.id)  # calendar order: due date, then id; undated last


def _batch_ids(col, dialect: str):
    """`col` is one of the batch's ids, the batch given as the one parameter `ids` (see `_ids_param`)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return col == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.Integer)))
    each = sa.func.json_each(sa.bindparam("ids", type_=sa.String)).table_valued("value")
    return col.in_(select(each.c.value))


def _ids_param(ids: list[int], dialect: str) -> dict:
    return {"ids": list(ids) if dialect == "postgresql" else json.dumps(ids)}


class _Queries:
    """The batch queries of one dialect, built once (SQLAlchemy caches their compiled form by identity)."""

    _by_dialect: dict[str, "_Queries"] = {}

    def __init__(self, dialect: str):
        self.dialect = dialect
        self.occurrences = select(Occurrence.task_id, Occurrence.key, _raw(Occurrence.extended_due),
                                  Occurrence.status, _raw(Occurrence.completed_on), Occurrence.sequence,
                                  _raw(Occurrence.updated_at)).where(_batch_ids(Occurrence.task_id, dialect))
        latest = (select(sa.func.max(ProgressUpdate.id)).where(_batch_ids(ProgressUpdate.task_id, dialect))
                  .group_by(ProgressUpdate.task_id, ProgressUpdate.occurrence_key))
        self.progress = select(ProgressUpdate.task_id, ProgressUpdate.occurrence_key, ProgressUpdate.percent,
                               ProgressUpdate.note, ProgressUpdate.actor, _raw(ProgressUpdate.created_at)) \
            .where(ProgressUpdate.id.in_(latest))
        self.pending = (select(Extension.task_id, Extension.occurrence_key, _raw(Extension.requested_due))
                        .where(_batch_ids(Extension.task_id, dialect), Extension.decision == "pending")
                        .order_by(Extension.id))

    @classmethod
    def of(cls, dialect: str) -> "_Queries":
        q = cls._by_dialect.get(dialect)
        if q is None:
            q = cls._by_dialect[dialect] = cls(dialect)
        return q


def _tuples(result) -> list[tuple]:
    return [tuple(r) for r in result]


class Feed:
    """One rendering's reading: the lookups every batch shares (read once) and the batch queries of the
    database's dialect."""

    def __init__(self, session: Session, settings, today: date):
        self.session = session
        self.queries = _Queries.of(session.get_bind().dialect.name)
        directives = {r[0]: tuple(r) for r in session.execute(
            select(Directive.id, Directive.number, _raw(Directive.issued), Directive.subject,
                   _raw(Directive.updated_at))).all()}
        self.lookups = Lookups(today, dict(session.execute(select(Agency.code, Agency.name)).all()), directives,
                               task_page_base(settings), settings.deadline_shift_to_workday,
                               settings.agencies_file, settings.holidays_file)

    @property
    def agency_names(self) -> dict[str, str]:
        return self.lookups.agency_names

    @property
    def directives(self) -> dict[int, tuple]:
        return self.lookups.directives

    @property
    def page_base(self):
        return self.lookups.page_base

    def task_rows(self, where, *, stream: bool = True):
        """The task rows matching `where`, in calendar order, as raw tuples (a streaming result)."""
        conn = self.session.connection()
        if stream:
            conn = conn.execution_options(yield_per=1000)
        return conn.execute(select(*_TASK_COLUMNS).where(where).order_by(*ORDER))

    def batches(self, where, size: int):
        """Batches of `size` tasks matching `where`, in calendar order, each with its related rows."""
        result = self.task_rows(where)
        try:
            for part in result.partitions(size):
                yield self.batch([tuple(r) for r in part])
        finally:
            result.close()

    def batch(self, rows: list[tuple]) -> Batch:
        ids = [r[ID] for r in rows]
        q = self.queries
        conn = self.session.connection()
        p = _ids_param(ids, q.dialect)
        return Batch(rows, _tuples(conn.execute(q.occurrences, p)), _tuples(conn.execute(q.progress, p)),
                     _tuples(conn.execute(q.pending, p)))
