"""annotations remember which activity they are on, not only its row

A mentor's annotation on an activity keeps the activity's key (its start date and title), so that
when the member inserts or deletes rows above it, the next version moves the annotation with its
activity. Annotations made before this keep their row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 06:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('annotations') as batch:
        batch.add_column(sa.Column('activity_key', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('annotations') as batch:
        batch.drop_column('activity_key')
