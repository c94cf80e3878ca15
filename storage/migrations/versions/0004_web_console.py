"""web console: one-time sign-in links and browser sessions

Revision ID: 0004
Revises: 0003_intake
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.tables


revision = '0004'
down_revision = '0003_intake'  # after the registry intake's migration
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('websigninlink',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('via_chat', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('expires_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('used_at', storage.tables.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_websigninlink_token_hash'), 'websigninlink', ['token_hash'], unique=True)
    op.create_table('websession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('via_chat', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('via', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('expires_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', storage.tables.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_websession_token_hash'), 'websession', ['token_hash'], unique=True)
    op.create_index(op.f('ix_websession_user_id'), 'websession', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_websession_user_id'), table_name='websession')
    op.drop_index(op.f('ix_websession_token_hash'), table_name='websession')
    op.drop_table('websession')
    op.drop_index(op.f('ix_websigninlink_token_hash'), table_name='websigninlink')
    op.drop_table('websigninlink')
