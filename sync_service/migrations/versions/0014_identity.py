"""identity: proven addresses, sign-in links, named tokens with an expiry, sessions that know how they
were made, passkeys, programs' device codes, deactivated members, the admins' audit trail, and
deadline reminders (opted into per member, each sent once)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 02:00:00
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('membership_number', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('grade', sa.String(length=60), nullable=True))
        batch.add_column(sa.Column('reminders', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('public_id', sa.String(length=32), nullable=True))
        batch.create_unique_constraint('uq_api_tokens_public_id', ['public_id'])
        batch.add_column(sa.Column('name', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('web_sessions') as batch:
        batch.alter_column('token_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('method', sa.String(length=20), server_default='token', nullable=False))
        batch.add_column(sa.Column('scopes', sa.String(length=200), server_default='read submit', nullable=False))
        batch.add_column(sa.Column('authenticated_at', sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    for (token_id,) in bind.execute(sa.text("SELECT id FROM api_tokens")).all():
        bind.execute(sa.text("UPDATE api_tokens SET public_id = :p WHERE id = :i"),
                     {"p": "tok_" + secrets.token_hex(6), "i": token_id})
    # a session made from a token may do what its token may
    op.execute("UPDATE web_sessions SET scopes = (SELECT api_tokens.scopes FROM api_tokens "
               "WHERE api_tokens.id = web_sessions.token_id), authenticated_at = created_at")
    op.create_table(
        'sign_in_links',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False, unique=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended', sa.String(length=12), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('new_email', sa.String(length=320), nullable=True),
    )
    op.create_index('ix_sign_in_links_member_id', 'sign_in_links', ['member_id'])
    op.create_table(
        'passkeys',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('public_id', sa.String(length=32), nullable=False, unique=True),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), nullable=False),
        sa.Column('credential_id', sa.String(length=400), nullable=False, unique=True),
        sa.Column('public_key', sa.LargeBinary(), nullable=False),
        sa.Column('sign_count', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_passkeys_member_id', 'passkeys', ['member_id'])
    op.create_table(
        'device_codes',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code_hash', sa.String(length=64), nullable=False, unique=True),
        sa.Column('user_code', sa.String(length=9), nullable=False),
        sa.Column('client_id', sa.String(length=40), nullable=False),
        sa.Column('scopes', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('polled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='CASCADE'), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('approved', sa.Boolean(), nullable=True),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_device_codes_user_code', 'device_codes', ['user_code'])
    op.create_table(
        'reminders_sent',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('record_id', sa.Integer(), sa.ForeignKey('records.id', ondelete='CASCADE'), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('record_id', 'deadline', 'threshold', name='uq_reminder_once'),
    )
    op.create_table(
        'admin_events',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='SET NULL'), nullable=True),
        sa.Column('subject_id', sa.Integer(), sa.ForeignKey('members.id', ondelete='SET NULL'), nullable=True),
        sa.Column('subject', sa.String(length=32), nullable=True),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_admin_events_at', 'admin_events', ['at'])


def downgrade() -> None:
    op.drop_index('ix_admin_events_at', 'admin_events')
    op.drop_table('admin_events')
    op.drop_table('reminders_sent')
    op.drop_index('ix_passkeys_member_id', 'passkeys')
    op.drop_table('passkeys')
    op.drop_index('ix_device_codes_user_code', 'device_codes')
    op.drop_table('device_codes')
    op.drop_index('ix_sign_in_links_member_id', 'sign_in_links')
    op.drop_table('sign_in_links')
    op.execute("DELETE FROM web_sessions WHERE token_id IS NULL")
    with op.batch_alter_table('web_sessions') as batch:
        batch.drop_column('authenticated_at')
        batch.drop_column('scopes')
        batch.drop_column('method')
        batch.alter_column('token_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('expires_at')
        batch.drop_column('name')
        batch.drop_constraint('uq_api_tokens_public_id', type_='unique')
        batch.drop_column('public_id')
    with op.batch_alter_table('members') as batch:
        batch.drop_column('reminders')
        batch.drop_column('grade')
        batch.drop_column('membership_number')
        batch.drop_column('deactivated_at')
        batch.drop_column('email_verified_at')
