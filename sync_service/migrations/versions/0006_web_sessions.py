"""server-side web sessions

A signed-in browser is a row (its key hashed), tied to the member and to the token it was made
from, so that signing out, revoking the token or erasing the member ends it at once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 02:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key_hash'),
    )
    op.create_index('ix_web_sessions_member_id', 'web_sessions', ['member_id'])
    op.create_index('ix_web_sessions_token_id', 'web_sessions', ['token_id'])


def downgrade() -> None:
    op.drop_table('web_sessions')
