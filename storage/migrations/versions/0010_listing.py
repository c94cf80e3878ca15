"""web console: the occurrence listing the dashboard and the task list count and page in SQL (issue 23)

Revision ID: 0010_listing
Revises: 0006_people
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010_listing'
down_revision = '0006_people'  # main's head when this branch last merged main
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('listed_occurrence',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('task_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('lead_agency', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('agencies', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('directive_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('effective_due', sa.Date(), nullable=True),
    sa.Column('due_sort', sa.Date(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('fixed_status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('pending_extension', sa.Boolean(), nullable=False),
    sa.Column('search_fold', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('search_bare', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.PrimaryKeyConstraint('task_id', 'occurrence_key')
    )
    op.create_index('ix_listed_occurrence_order', 'listed_occurrence',
                    ['due_sort', 'position', 'directive_id', 'task_key', 'due'], unique=False)
    op.create_index('ix_listed_occurrence_lead', 'listed_occurrence', ['lead_agency', 'due_sort'], unique=False)
    op.create_index('ix_listed_occurrence_open', 'listed_occurrence', ['fixed_status', 'effective_due'], unique=False)
    op.create_index('ix_listed_occurrence_state', 'listed_occurrence', ['state', 'effective_due', 'fixed_status'],
                    unique=False)
    op.create_index('ix_listed_occurrence_extension', 'listed_occurrence', ['pending_extension', 'fixed_status'],
                    unique=False)
    op.create_table('listing_state',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('computed_on', sa.Date(), nullable=False),
    sa.Column('task_sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('task_id')
    )
    op.create_index(op.f('ix_listing_state_valid_until'), 'listing_state', ['valid_until'], unique=False)
    op.create_index(op.f('ix_listing_state_computed_on'), 'listing_state', ['computed_on'], unique=False)
    # The console's agency filter lists the agencies that lead a task still in the registry: read from the index.
    op.create_index('ix_task_lead_removed', 'task', ['lead_agency', 'removed_at'], unique=False)
    op.create_table('listing_meta',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('listing_meta')
    op.drop_index('ix_task_lead_removed', table_name='task')
    op.drop_index(op.f('ix_listing_state_computed_on'), table_name='listing_state')
    op.drop_index(op.f('ix_listing_state_valid_until'), table_name='listing_state')
    op.drop_table('listing_state')
    op.drop_index('ix_listed_occurrence_extension', table_name='listed_occurrence')
    op.drop_index('ix_listed_occurrence_state', table_name='listed_occurrence')
    op.drop_index('ix_listed_occurrence_open', table_name='listed_occurrence')
    op.drop_index('ix_listed_occurrence_lead', table_name='listed_occurrence')
    op.drop_index('ix_listed_occurrence_order', table_name='listed_occurrence')
    op.drop_table('listed_occurrence')
