"""records and their versions, mentors' grants, annotations and the audit trail

A member's record (one per period and profile) keeps each upload or sheet pull as a version.
Every existing submission becomes a version of its member's record for its period and profile
(the same data twice is one version; the version reads its data from the submission's document),
and the submission names the record it was made from: nothing is lost, the submissions
themselves are untouched. Members gain a name, which
annotations show for a mentor.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:30:00
"""
import gzip
import hashlib
import json
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DELIVERY_ONLY = ("type", "id", "received_at", "readiness")      # a submission document's keys that are not the record


def _tz():
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('name', sa.String(length=120), nullable=True))
    op.create_table(
        'records',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('public_id', sa.String(length=32), nullable=False, unique=True),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), nullable=False),
        sa.Column('profile_id', sa.String(length=40), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('latest_version', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('digest', sa.String(length=64), nullable=True),
        sa.Column('sheet_id', sa.Integer(), sa.ForeignKey('linked_sheets.id', ondelete='SET NULL'), nullable=True),
        sa.Column('created_at', _tz(), nullable=False),
        sa.Column('updated_at', _tz(), nullable=False),
        sa.Column('sheet_error', sa.Text(), nullable=True),
        sa.UniqueConstraint('member_id', 'profile_id', 'period_start', 'period_end', name='uq_record_member_period'),
    )
    op.create_index('ix_records_member_id', 'records', ['member_id'])
    op.create_table(
        'record_versions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('record_id', sa.Integer(), sa.ForeignKey('records.id', ondelete='CASCADE'), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('verdict', sa.String(length=20), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=True),
        sa.Column('submission_id', sa.String(length=40), sa.ForeignKey('submissions.id', ondelete='CASCADE'),
                  nullable=True),
        sa.Column('created_at', _tz(), nullable=False),
        sa.UniqueConstraint('record_id', 'number', name='uq_record_version_number'),
    )
    op.create_index('ix_record_versions_record_id', 'record_versions', ['record_id'])
    op.create_table(
        'mentor_grants',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('public_id', sa.String(length=32), nullable=False, unique=True),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), nullable=False),
        sa.Column('record_id', sa.Integer(), sa.ForeignKey('records.id', ondelete='CASCADE'), nullable=True),
        sa.Column('mentor_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('invite_hash', sa.String(length=64), nullable=True, unique=True),
        sa.Column('created_at', _tz(), nullable=False),
        sa.Column('accepted_at', _tz(), nullable=True),
        sa.Column('expires_at', _tz(), nullable=True),
        sa.Column('revoked_at', _tz(), nullable=True),
    )
    for col in ('member_id', 'record_id', 'mentor_id'):
        op.create_index(f'ix_mentor_grants_{col}', 'mentor_grants', [col])
    op.create_table(
        'annotations',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('public_id', sa.String(length=32), nullable=False, unique=True),
        sa.Column('record_id', sa.Integer(), sa.ForeignKey('records.id', ondelete='CASCADE'), nullable=False),
        sa.Column('author_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='SET NULL'), nullable=True),
        sa.Column('activity_row', sa.Integer(), nullable=True),
        sa.Column('objective', sa.String(length=40), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('verified', sa.Boolean(), nullable=False, server_default='0'),
        sa.Column('created_at', _tz(), nullable=False),
    )
    op.create_index('ix_annotations_record_id', 'annotations', ['record_id'])
    op.create_index('ix_annotations_author_id', 'annotations', ['author_id'])
    op.create_table(
        'audit_events',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), nullable=False),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='SET NULL'), nullable=True),
        sa.Column('grant_id', sa.Integer(), sa.ForeignKey('mentor_grants.id', ondelete='SET NULL'), nullable=True),
        sa.Column('record_id', sa.Integer(), sa.ForeignKey('records.id', ondelete='SET NULL'), nullable=True),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('at', _tz(), nullable=False),
    )
    op.create_index('ix_audit_events_member_id', 'audit_events', ['member_id'])
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('record_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_submissions_record_id', 'records', ['record_id'], ['id'], ondelete='SET NULL')
        batch.create_index('ix_submissions_record_id', ['record_id'])
    _submissions_into_records()


def _submissions_into_records() -> None:
    """Each submission, oldest first, as a version of its member's record for its period and profile."""
    conn = op.get_bind()
    subs = sa.table('submissions', sa.column('id', sa.String), sa.column('member_id', sa.Integer),
                    sa.column('profile_id', sa.String), sa.column('period_start', sa.Date),
                    sa.column('period_end', sa.Date), sa.column('verdict', sa.String), sa.column('score', sa.Integer),
                    sa.column('body', sa.LargeBinary), sa.column('received_at', _tz()),
                    sa.column('record_id', sa.Integer))
    records = sa.table('records', sa.column('id', sa.Integer), sa.column('public_id', sa.String),
                       sa.column('member_id', sa.Integer), sa.column('profile_id', sa.String),
                       sa.column('period_start', sa.Date), sa.column('period_end', sa.Date),
                       sa.column('source', sa.String), sa.column('created_at', _tz()),
                       sa.column('updated_at', _tz()), sa.column('latest_version', sa.Integer),
                       sa.column('digest', sa.String))
    versions = sa.table('record_versions', sa.column('record_id', sa.Integer), sa.column('number', sa.Integer),
                        sa.column('digest', sa.String), sa.column('verdict', sa.String),
                        sa.column('score', sa.Integer), sa.column('submission_id', sa.String),
                        sa.column('created_at', _tz()))
    known: dict[tuple, list] = {}                # (member, profile, start, end) -> [record id, versions, last digest]
    for sub in conn.execute(sa.select(subs).order_by(subs.c.received_at, subs.c.id)).all():
        key = (sub.member_id, sub.profile_id, sub.period_start, sub.period_end)
        if key not in known:
            public_id = "rec_" + secrets.token_urlsafe(9)
            conn.execute(records.insert().values(
                public_id=public_id, member_id=sub.member_id, profile_id=sub.profile_id,
                period_start=sub.period_start, period_end=sub.period_end, source="upload",
                created_at=sub.received_at, updated_at=sub.received_at))
            rec_id = conn.scalar(sa.select(records.c.id).where(records.c.public_id == public_id))
            known[key] = [rec_id, 0, None]
        entry = known[key]
        doc = json.loads(gzip.decompress(sub.body))
        data = {k: v for k, v in doc.items() if k not in DELIVERY_ONLY}
        packed = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        digest = hashlib.sha256(packed).hexdigest()
        if digest != entry[2]:
            entry[1] += 1
            conn.execute(versions.insert().values(record_id=entry[0], number=entry[1], digest=digest,
                                                  verdict=sub.verdict, score=sub.score, submission_id=sub.id,
                                                  created_at=sub.received_at))
            conn.execute(records.update().where(records.c.id == entry[0]).values(
                updated_at=sub.received_at, latest_version=entry[1], digest=digest))
            entry[2] = digest
        conn.execute(subs.update().where(subs.c.id == sub.id).values(record_id=entry[0]))


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.drop_index('ix_submissions_record_id')
        batch.drop_constraint('fk_submissions_record_id', type_='foreignkey')
        batch.drop_column('record_id')
    for table in ('audit_events', 'annotations', 'mentor_grants', 'record_versions', 'records'):
        op.drop_table(table)
    with op.batch_alter_table('members') as batch:
        batch.drop_column('name')
