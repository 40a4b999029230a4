"""submissions.body and record_versions.body stored as they are on PostgreSQL (``STORAGE EXTERNAL``): they hold
gzipped JSON, which PostgreSQL's own compression of large values (pglz) tried to compress again on every insert
and gave up on, the same size: a real submission's 15 KB body took 0.20-0.23 ms of the server's CPU to insert
against 0.07-0.08 stored as it is. Rows kept before are read as they are; SQLite has no such compression.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 13:30:00
"""
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

GZIPPED = (("submissions", "body"), ("record_versions", "body"))


def _storage(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in GZIPPED:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE {kind}")


def upgrade() -> None:
    _storage("EXTERNAL")


def downgrade() -> None:
    _storage("EXTENDED")
