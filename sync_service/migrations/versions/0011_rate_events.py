"""rate limits counted in the database, across every web worker

Failed sign-ins, bad tokens and refused uploads are counted in rate_events unless a shared store
(Redis) is configured: one row per event, keyed by a hash.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rate_events',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('at', sa.Float(), nullable=False))
    op.create_index('ix_rate_events_key_at', 'rate_events', ['key', 'at'])


def downgrade() -> None:
    op.drop_index('ix_rate_events_key_at', table_name='rate_events')
    op.drop_table('rate_events')
