"""the institution's group view: figures kept with each submission

Submissions keep the year their period ends in, the member's grade, the hours counted, the target
and a 10-hour bucket, and whether they are their record's latest; each record's latest submission
keeps its figures (criteria, hours by category, skill group and competence) in submission_figures.
Existing submissions get them from their stored documents. Figures go with their record.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('period_year', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('grade', sa.String(length=60), nullable=True))
        batch.add_column(sa.Column('counted_hours', sa.Float(), nullable=True))
        batch.add_column(sa.Column('target', sa.Float(), nullable=True))
        batch.add_column(sa.Column('hours_bucket', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('latest', sa.Boolean(), server_default='1', nullable=False))
    op.create_table(
        'submission_figures',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('record_id', sa.Integer(), sa.ForeignKey('records.id', ondelete='CASCADE'), nullable=False),
        sa.Column('submission_id', sa.String(length=40), nullable=False),
        sa.Column('period_year', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.String(length=40), nullable=False),
        sa.Column('grade', sa.String(length=60), nullable=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.Float(), nullable=False))
    op.create_index('ix_submission_figures_record_id', 'submission_figures', ['record_id'])
    op.create_index('ix_figures_group', 'submission_figures', ['kind', 'period_year', 'profile_id', 'key', 'grade',
                                                               'value'])
    _backfill()
    op.create_index('ix_submissions_group', 'submissions', ['period_year', 'profile_id', 'grade'],
                    postgresql_where=sa.text('latest'), sqlite_where=sa.text('latest'))


def _backfill() -> None:
    """Each stored submission's figures, from its document (in batches; a document is a few KB)."""
    from sync_service.store.stats import figures_of, submission_columns
    from addin import unpack as unpack_body
    conn = op.get_bind()
    subs = sa.table('submissions', sa.column('id'), sa.column('record_id'), sa.column('received_at'),
                    sa.column('body'), sa.column('period_year'), sa.column('grade'), sa.column('counted_hours'),
                    sa.column('target'), sa.column('hours_bucket'), sa.column('latest'), sa.column('profile_id'))
    figures = sa.table('submission_figures', *(sa.column(c) for c in (
        'submission_id', 'record_id', 'period_year', 'profile_id', 'grade', 'kind', 'key', 'value')))
    newest: dict = {}
    for sid, rid, at in conn.execute(sa.select(subs.c.id, subs.c.record_id, subs.c.received_at)).all():
        key = rid if rid is not None else sid
        if key not in newest or at > newest[key][1]:
            newest[key] = (sid, at)
    latest_ids = {sid for sid, _ in newest.values()}
    last = ""
    while True:
        rows = conn.execute(sa.select(subs.c.id, subs.c.record_id, subs.c.body, subs.c.profile_id)
                            .where(subs.c.id > last).order_by(subs.c.id).limit(500)).all()
        if not rows:
            break
        for sid, rid, body, profile_id in rows:
            doc = unpack_body(body)
            cols = submission_columns(doc["member"].get("grade"), doc["period"]["end"], doc["readiness"])
            conn.execute(subs.update().where(subs.c.id == sid).values(latest=sid in latest_ids, **cols))
            if sid in latest_ids and rid is not None:
                found = figures_of(doc["readiness"])
                if found:
                    conn.execute(figures.insert(), [
                        {"submission_id": sid, "record_id": rid, "period_year": cols["period_year"],
                         "profile_id": profile_id, "grade": cols["grade"], "kind": k, "key": key, "value": v}
                        for k, key, v in found])
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index('ix_submissions_group', table_name='submissions')
    op.drop_table('submission_figures')
    with op.batch_alter_table('submissions') as batch:
        for col in ('latest', 'hours_bucket', 'target', 'counted_hours', 'grade', 'period_year'):
            batch.drop_column(col)
