"""hardening: whether a console sign-in through a group came from one of its administrators

Revision ID: 0008_hardening
Revises: 0007_api
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_hardening'
down_revision = '0007_api'  # main's head (the API) when this branch last merged main
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing links and sessions were made without asking: false, so a group's plain member no longer decides.
    with op.batch_alter_table('websigninlink') as batch:
        batch.add_column(sa.Column('via_chat_admin', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('websession') as batch:
        batch.add_column(sa.Column('via_chat_admin', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('websession') as batch:
        batch.drop_column('via_chat_admin')
    with op.batch_alter_table('websigninlink') as batch:
        batch.drop_column('via_chat_admin')
