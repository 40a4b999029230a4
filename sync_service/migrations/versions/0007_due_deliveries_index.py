"""an index of the deliveries still to do

The worker takes the next due delivery in order of its next attempt. The index on next_attempt_at
covered every delivery, so with 100,000 delivered each claim walked past them all (PostgreSQL's
CPU per submission tripled over a run of 100,000 members). This partial index holds only the
deliveries still queued, retrying or being sent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 03:25:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

DUE = "status IN ('queued', 'retrying', 'sending')"


def upgrade() -> None:
    op.create_index('ix_deliveries_due', 'deliveries', ['next_attempt_at'], postgresql_where=sa.text(DUE),
                    sqlite_where=sa.text(DUE))


def downgrade() -> None:
    op.drop_index('ix_deliveries_due', table_name='deliveries')
