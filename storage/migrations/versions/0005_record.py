"""the record (issue 22): responsibility over time (a task's lead as a history), completions with their
evidence files and review decisions

Revision ID: 0005_record
Revises: 0008_hardening

Tasks the service already handed over to a successor (audit action task.handed_over) get their history back:
the lead as written (the first "from"), then each hand-over from the day after the old lead's end.
Other tasks need no rows: a task without history is led as its row says, from its assignment.
"""
from datetime import date, datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.tables


revision = '0005_record'
down_revision = '0008_hardening'  # main's head when issue 22 last merged main
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('responsibility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('lead', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('coordinators', sa.JSON(), nullable=False),
    sa.Column('previous_lead', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('recorded_at', storage.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_responsibility_task_id'), 'responsibility', ['task_id'], unique=False)
    op.create_table('completion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('document_number', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('document_date', sa.Date(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reported_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reported_by_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reported_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('decided_by_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('decided_at', storage.tables.UTCDateTime(), nullable=True),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_completion_task_id'), 'completion', ['task_id'], unique=False)
    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('completion_id', sa.Integer(), nullable=True),
    sa.Column('occurrence_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('stored', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('uploaded_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('uploaded_at', storage.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['completion_id'], ['completion.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_evidence_task_id'), 'evidence', ['task_id'], unique=False)
    op.create_index(op.f('ix_evidence_completion_id'), 'evidence', ['completion_id'], unique=False)
    _backfill_handovers()


def _backfill_handovers() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    audit = sa.Table('auditentry', meta, autoload_with=conn)
    task = sa.Table('task', meta, autoload_with=conn)
    agency = sa.Table('agency', meta, autoload_with=conn)
    resp = sa.Table('responsibility', meta, autoload_with=conn)
    ends = {code: valid_to for code, valid_to in conn.execute(sa.select(agency.c.code, agency.c.valid_to))}
    tasks = {key: (tid, coords) for key, tid, coords in conn.execute(
        sa.select(task.c.key, task.c.id, task.c.coordinators))}
    seen: set[int] = set()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = conn.execute(sa.select(audit.c.entity_key, audit.c.at, audit.c.detail)
                        .where(audit.c.action == 'task.handed_over').order_by(audit.c.at, audit.c.id)).all()
    for key, at, detail in rows:
        if key not in tasks or not isinstance(detail, dict):
            continue
        tid, coords = tasks[key]
        old, new = detail.get('from'), detail.get('to')
        if not old or not new:
            continue
        coords = coords if isinstance(coords, list) else []
        if tid not in seen:
            seen.add(tid)
            conn.execute(resp.insert().values(task_id=tid, since=None, kind='written', lead=old, coordinators=coords,
                                              actor='migration', source='migration', recorded_at=now))
        end = ends.get(old)
        if isinstance(end, str):
            end = date.fromisoformat(end)
        since = end + timedelta(days=1) if end else (at.date() if hasattr(at, 'date') else None)
        conn.execute(resp.insert().values(task_id=tid, since=since, kind='handover', lead=new, coordinators=coords,
                                          previous_lead=old, reason=detail.get('reason'), actor='scheduler',
                                          source='migration', recorded_at=now))


def downgrade() -> None:
    op.drop_index(op.f('ix_evidence_completion_id'), table_name='evidence')
    op.drop_index(op.f('ix_evidence_task_id'), table_name='evidence')
    op.drop_table('evidence')
    op.drop_index(op.f('ix_completion_task_id'), table_name='completion')
    op.drop_table('completion')
    op.drop_index(op.f('ix_responsibility_task_id'), table_name='responsibility')
    op.drop_table('responsibility')
