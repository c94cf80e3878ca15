"""people, their departments and delegation (issue 24)

Revision ID: 0006_people
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.tables


revision = '0006_people'
down_revision = '0009_drafts'  # main's head when issue 24 last merged main
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('removed_at', storage.tables.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency', 'name', name='uq_department')
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_agency'), ['agency'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('position', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('is_head', sa.Boolean(), nullable=False),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    sa.Column('zalo_user', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('telegram_user', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('email_confirmed_at', storage.tables.UTCDateTime(), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('channel_order', sa.JSON(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_at', storage.tables.UTCDateTime(), nullable=True),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_agency'), ['agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_telegram_user'), ['telegram_user'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_zalo_user'), ['zalo_user'], unique=False)

    op.create_table('personinvite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('expires_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('used_at', storage.tables.UTCDateTime(), nullable=True),
    sa.Column('used_by_chat', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('personinvite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personinvite_code_hash'), ['code_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_personinvite_person_id'), ['person_id'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('occurrence', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('acknowledged_at', storage.tables.UTCDateTime(), nullable=True),
    sa.Column('assigned_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('assigned_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('removed_at', storage.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_agency'), ['agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_task_id'), ['task_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_task_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_person_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_agency'))

    op.drop_table('assignment')
    with op.batch_alter_table('personinvite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personinvite_person_id'))
        batch_op.drop_index(batch_op.f('ix_personinvite_code_hash'))

    op.drop_table('personinvite')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_zalo_user'))
        batch_op.drop_index(batch_op.f('ix_person_telegram_user'))
        batch_op.drop_index(batch_op.f('ix_person_department_id'))
        batch_op.drop_index(batch_op.f('ix_person_agency'))

    op.drop_table('person')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_agency'))

    op.drop_table('department')
