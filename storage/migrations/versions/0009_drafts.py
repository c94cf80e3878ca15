"""web console: directive drafts kept for review until imported or discarded

Revision ID: 0009_drafts
Revises: 0005_record
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.tables


revision = '0009_drafts'
down_revision = '0005_record'  # main's head when this branch last merged main
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directive_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('owner_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('issued', sa.Date(), nullable=True),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('review', sa.JSON(), nullable=False),
    sa.Column('tasks', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_directive_draft_owner_id'), 'directive_draft', ['owner_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_directive_draft_owner_id'), table_name='directive_draft')
    op.drop_table('directive_draft')
