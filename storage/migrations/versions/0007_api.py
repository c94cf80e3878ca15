"""API tokens, webhook subscriptions and the webhook outbox (other systems in: /api/v1); edXML documents and
their status receipts

Revision ID: 0007_api
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.tables


revision = '0007_api'
down_revision = '0004'  # after the web console; the chain goes on 0008_hardening → 0005_record → 0009_drafts → 0006_people
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('all_agencies', sa.Boolean(), nullable=False),
    sa.Column('agencies', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('last_used_at', storage.tables.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', storage.tables.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_api_token_token_hash'), 'api_token', ['token_hash'], unique=True)
    op.create_table('webhook_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.Column('audit_start', sa.Integer(), nullable=False),
    sa.Column('audit_cursor', sa.Integer(), nullable=False),
    sa.Column('overdue_checked_on', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('revoked_at', storage.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['token_id'], ['api_token.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_webhook_subscription_token_id'), 'webhook_subscription', ['token_id'], unique=False)
    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('event_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', storage.tables.UTCDateTime(), nullable=True),
    sa.Column('claimed_at', storage.tables.UTCDateTime(), nullable=True),
    sa.Column('sent_at', storage.tables.UTCDateTime(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', storage.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'event_key', name='uq_webhook_delivery')
    )
    op.create_index('ix_webhook_delivery_due', 'webhook_delivery', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_webhook_delivery_subscription_id'), 'webhook_delivery', ['subscription_id'],
                    unique=False)
    op.create_table('edxml_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('issued', sa.Date(), nullable=True),
    sa.Column('sender_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('sender_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('type_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('steering_type', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('signature_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('package_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('draft_file', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('received_at', storage.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_edxml_document_document_id'), 'edxml_document', ['document_id'], unique=True)
    op.create_index(op.f('ix_edxml_document_number'), 'edxml_document', ['number'], unique=False)
    op.create_table('edxml_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('file', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('written_at', storage.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'status', name='uq_edxml_receipt')
    )
    op.create_index(op.f('ix_edxml_receipt_document_id'), 'edxml_receipt', ['document_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_edxml_receipt_document_id'), table_name='edxml_receipt')
    op.drop_table('edxml_receipt')
    op.drop_index(op.f('ix_edxml_document_number'), table_name='edxml_document')
    op.drop_index(op.f('ix_edxml_document_document_id'), table_name='edxml_document')
    op.drop_table('edxml_document')
    op.drop_index(op.f('ix_webhook_delivery_subscription_id'), table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_due', table_name='webhook_delivery')
    op.drop_table('webhook_delivery')
    op.drop_index(op.f('ix_webhook_subscription_token_id'), table_name='webhook_subscription')
    op.drop_table('webhook_subscription')
    op.drop_index(op.f('ix_api_token_token_hash'), table_name='api_token')
    op.drop_table('api_token')
