"""linked Google Sheets

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'linked_sheets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('sheet_key', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('verdict', sa.String(length=20), nullable=True),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('error_code', sa.String(length=60), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
        sa.UniqueConstraint('member_id', 'sheet_key', name='uq_linked_sheet_member_key'),
    )
    with op.batch_alter_table('linked_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linked_sheets_member_id'), ['member_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('linked_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linked_sheets_member_id'))
    op.drop_table('linked_sheets')
