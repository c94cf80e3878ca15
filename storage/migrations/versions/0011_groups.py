"""web console: the four groups kept per occurrence of the reporting year, so the dashboard's figures are one
GROUP BY after a change (issue 23)

Revision ID: 0011_groups
Revises: 0010_listing
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011_groups'
down_revision = '0010_listing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('grouped_occurrence',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('lead', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('directive_id', sa.Integer(), nullable=True),
    sa.Column('effective_due', sa.Date(), nullable=False),
    sa.Column('fixed_group', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.PrimaryKeyConstraint('task_id', 'occurrence_key')
    )
    op.create_index('ix_grouped_occurrence_period', 'grouped_occurrence',
                    ['due', 'lead', 'directive_id', 'fixed_group', 'effective_due'], unique=False)
    op.create_table('grouping_state',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('computed_on', sa.Date(), nullable=False),
    sa.Column('task_sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('task_id')
    )
    op.create_index(op.f('ix_grouping_state_valid_until'), 'grouping_state', ['valid_until'], unique=False)
    op.create_index(op.f('ix_grouping_state_computed_on'), 'grouping_state', ['computed_on'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_grouping_state_computed_on'), table_name='grouping_state')
    op.drop_index(op.f('ix_grouping_state_valid_until'), table_name='grouping_state')
    op.drop_table('grouping_state')
    op.drop_index('ix_grouped_occurrence_period', table_name='grouped_occurrence')
    op.drop_table('grouped_occurrence')
