"""agency directory in the database (agency.source); tasks keep their section and product

Revision ID: 0003_intake
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003_intake'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agency') as batch:
        batch.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                   server_default='builtin'))
    with op.batch_alter_table('task') as batch:
        batch.add_column(sa.Column('section', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column('product', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('task') as batch:
        batch.drop_column('product')
        batch.drop_column('section')
    with op.batch_alter_table('agency') as batch:
        batch.drop_column('source')
