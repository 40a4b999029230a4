"""an index of the deliveries still to do

The worker takes the next due delivery in order of its next attempt. The index on next_attempt_at
covered every delivery, so with 100,000 delivered each claim walked past them all (PostgreSQL's
CPU per submission tripled over a run of 100,000 members). This partial index holds only the
deliveries still queued, retrying or being sent; another holds the dead and failed ones the admin
page lists. The two indexes over every delivery (status, next attempt) go: each delivery is
written three times (queued, sending, delivered), and each of its index entries with it.

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
PROBLEMS = "status IN ('dead', 'failed')"


def upgrade() -> None:
    op.create_index('ix_deliveries_due', 'deliveries', ['next_attempt_at'], postgresql_where=sa.text(DUE),
                    sqlite_where=sa.text(DUE))
    op.create_index('ix_deliveries_problems', 'deliveries', ['next_attempt_at'], postgresql_where=sa.text(PROBLEMS),
                    sqlite_where=sa.text(PROBLEMS))
    op.drop_index('ix_deliveries_status', table_name='deliveries')
    op.drop_index('ix_deliveries_next_attempt_at', table_name='deliveries')


def downgrade() -> None:
    op.create_index('ix_deliveries_next_attempt_at', 'deliveries', ['next_attempt_at'])
    op.create_index('ix_deliveries_status', 'deliveries', ['status'])
    op.drop_index('ix_deliveries_problems', table_name='deliveries')
    op.drop_index('ix_deliveries_due', table_name='deliveries')
