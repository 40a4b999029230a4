"""evidence: each activity's evidence files, kept by SHA-256 in the evidence store; the inbox of activities
added from a phone to a workbook record

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'evidence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('activity_row', sa.Integer(), nullable=False),
        sa.Column('activity_key', sa.String(length=32), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
        sa.UniqueConstraint('record_id', 'activity_key', 'digest', name='uq_evidence_activity_file'),
    )
    op.create_index('ix_evidence_record_id', 'evidence', ['record_id'])
    op.create_index('ix_evidence_digest', 'evidence', ['digest'])
    op.create_table(
        'inbox_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('cells', sa.Text(), nullable=False),
        sa.Column('evidence_digest', sa.String(length=64), nullable=True),
        sa.Column('evidence_kind', sa.String(length=10), nullable=True),
        sa.Column('evidence_name', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
    )
    op.create_index('ix_inbox_items_record_id', 'inbox_items', ['record_id'])
    op.create_index('ix_inbox_items_evidence_digest', 'inbox_items', ['evidence_digest'])


def downgrade() -> None:
    op.drop_index('ix_inbox_items_evidence_digest', table_name='inbox_items')
    op.drop_index('ix_inbox_items_record_id', table_name='inbox_items')
    op.drop_table('inbox_items')
    op.drop_index('ix_evidence_digest', table_name='evidence')
    op.drop_index('ix_evidence_record_id', table_name='evidence')
    op.drop_table('evidence')
