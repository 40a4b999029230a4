"""a linked sheet is proven: the member types a one-time code into it

linked_sheets gains verified_at, code_hash and code_expires_at, and a unique index on sheet_key over
verified links (one member's link to a sheet at most). Links made before this were never proven:
they wait for their member to prove them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 02:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('linked_sheets') as batch:
        batch.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('code_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('code_expires_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('uq_linked_sheet_verified_key', 'linked_sheets', ['sheet_key'], unique=True,
                    postgresql_where=sa.text('verified_at IS NOT NULL'),
                    sqlite_where=sa.text('verified_at IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('uq_linked_sheet_verified_key', table_name='linked_sheets')
    with op.batch_alter_table('linked_sheets') as batch:
        batch.drop_column('code_expires_at')
        batch.drop_column('code_hash')
        batch.drop_column('verified_at')
