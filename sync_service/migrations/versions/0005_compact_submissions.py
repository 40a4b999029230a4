"""submissions stored as their compact delivery document

Each submission's record (JSON, one object per activity), readiness (JSON) and rebuilt
values-only workbook become one gzipped JSON document, version 2 of the delivery payload
(docs/delivery-protocol.md): the plan and activities as columns and rows. Nothing is lost:
every field of the old record and readiness is in the document. Deliveries gain the time they
were queued, where the retry schedule starts; a submission's own copy of its delivery's
status goes (the delivery's is the one that is kept up to date).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 02:30:00
"""
import gzip
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ACTIVITY_FIELDS = ["start_date", "end_date", "title", "provider", "reflection", "further_action", "category",
                   "skill_type", "competences", "topics", "hours", "objective", "evidence", "description",
                   "mentor_comment", "verified_by", "verified_on"]        # the core's columns at 0005
OBJECTIVE_FIELDS = ["ref", "objective", "why", "competences", "target_date", "status", "evaluation"]


def _table(items, columns):
    return {"columns": columns, "rows": [[item.get(c) for c in columns] for item in items]}


def _iso(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _loads(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def upgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:    # when the retry schedule started: queued, or queued again
        batch.add_column(sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE deliveries SET queued_at = next_attempt_at")
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('body', sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    subs = sa.table('submissions', sa.column('id', sa.String), sa.column('received_at', sa.DateTime(timezone=True)),
                    sa.column('profile_id', sa.String), sa.column('record', sa.JSON), sa.column('readiness', sa.JSON),
                    sa.column('body', sa.LargeBinary))
    for sub_id, received, profile, record, readiness in conn.execute(
            sa.select(subs.c.id, subs.c.received_at, subs.c.profile_id, subs.c.record, subs.c.readiness)).all():
        record, readiness = _loads(record), _loads(readiness)
        doc = {"type": "cpd.submission", "id": sub_id, "received_at": _iso(received), "version": 2,
               "profile": profile, "member": record["member"], "period": record["period"],
               "objectives": _table(record.get("objectives") or [], OBJECTIVE_FIELDS),
               "activities": _table(record.get("activities") or [], ACTIVITY_FIELDS), "readiness": readiness}
        body = gzip.compress(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode(), mtime=0)
        conn.execute(subs.update().where(subs.c.id == sub_id).values(body=body))
    with op.batch_alter_table('submissions') as batch:
        batch.alter_column('body', existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column('record')
        batch.drop_column('readiness')
        batch.drop_column('workbook')
        batch.drop_column('status')              # the delivery's status is the one truth


def downgrade() -> None:
    raise NotImplementedError("submissions are kept compact from 0005 on; restore a backup to go back")
