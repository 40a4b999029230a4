"""one durable outbox: the deliveries become jobs of a table for every kind

Everything the service does later or elsewhere is a job: a delivery to the institution (as before),
an e-mail, a write into a linked sheet. The jobs table holds them all, with their kind; each
delivery is copied into it as a job of kind 'delivery' (its status, tries, schedule, receipt and
lease as they were), and the deliveries table goes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

DUE = "status IN ('queued', 'retrying', 'sending')"
PROBLEMS = "status IN ('dead', 'failed')"


def upgrade() -> None:
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('submission_id', sa.String(length=40), sa.ForeignKey('submissions.id', ondelete='CASCADE'),
                  nullable=True, unique=True),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), nullable=True),
        sa.Column('record_id', sa.Integer(), sa.ForeignKey('records.id', ondelete='CASCADE'), nullable=True),
        sa.Column('payload', sa.Text(), nullable=True),
        sa.Column('receipt_id', sa.String(length=200), nullable=True))
    # Only the jobs about a member or a record are indexed by them (a delivery is neither: its submission's
    # cascade takes it): each delivery is written three times, and every index on it three times over.
    for column in ('member_id', 'record_id'):
        where = sa.text(f'{column} IS NOT NULL')
        op.create_index(f'ix_jobs_{column}', 'jobs', [column], postgresql_where=where, sqlite_where=where)
    op.execute("INSERT INTO jobs (kind, status, attempts, next_attempt_at, queued_at, last_error, lease_until, "
               "done_at, submission_id, receipt_id) SELECT 'delivery', status, attempts, next_attempt_at, "
               "queued_at, last_error, lease_until, delivered_at, submission_id, receipt_id FROM deliveries "
               "ORDER BY id")
    op.create_index('ix_jobs_due', 'jobs', ['next_attempt_at'], postgresql_where=sa.text(DUE),
                    sqlite_where=sa.text(DUE))
    op.create_index('ix_jobs_problems', 'jobs', ['next_attempt_at'], postgresql_where=sa.text(PROBLEMS),
                    sqlite_where=sa.text(PROBLEMS))
    op.drop_index('ix_deliveries_due', table_name='deliveries')
    op.drop_index('ix_deliveries_problems', table_name='deliveries')
    op.drop_table('deliveries')


def downgrade() -> None:
    op.create_table(
        'deliveries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('submission_id', sa.String(length=40), sa.ForeignKey('submissions.id', ondelete='CASCADE'),
                  nullable=False, unique=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('receipt_id', sa.String(length=200), nullable=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
    op.execute("INSERT INTO deliveries (submission_id, status, attempts, next_attempt_at, queued_at, last_error, "
               "receipt_id, delivered_at, lease_until) SELECT submission_id, status, attempts, next_attempt_at, "
               "queued_at, last_error, receipt_id, done_at, lease_until FROM jobs WHERE kind = 'delivery'")
    op.create_index('ix_deliveries_due', 'deliveries', ['next_attempt_at'], postgresql_where=sa.text(DUE),
                    sqlite_where=sa.text(DUE))
    op.create_index('ix_deliveries_problems', 'deliveries', ['next_attempt_at'],
                    postgresql_where=sa.text(PROBLEMS), sqlite_where=sa.text(PROBLEMS))
    op.drop_table('jobs')
