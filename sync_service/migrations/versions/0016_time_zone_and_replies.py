"""members.time_zone: the time zone a member reads times in (empty: their browser's); annotations.reply_to_id:
a member's reply to a mentor's comment

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('annotations') as batch:
        batch.add_column(sa.Column('reply_to_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_annotations_reply_to', 'annotations', ['reply_to_id'], ['id'], ondelete='CASCADE')
        batch.create_index('ix_annotations_reply_to_id', ['reply_to_id'])


def downgrade() -> None:
    with op.batch_alter_table('annotations') as batch:
        batch.drop_index('ix_annotations_reply_to_id')
        batch.drop_constraint('fk_annotations_reply_to', type_='foreignkey')
        batch.drop_column('reply_to_id')
    with op.batch_alter_table('members') as batch:
        batch.drop_column('time_zone')
