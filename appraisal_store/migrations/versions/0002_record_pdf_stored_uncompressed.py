"""record.pdf stored without PostgreSQL's compression

A sealed record is a PDF whose streams are already compressed. PostgreSQL tried to
compress every such value again (pglz) before storing it out of line, gained nothing (the
stored size equalled the file's) and spent about 2.4 ms of the server's CPU on a 128 KB
record, against 0.55 ms with STORAGE EXTERNAL; a sealing run stores two PDFs a record.
SQLite does not compress, so there is nothing to change there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE record ALTER COLUMN pdf SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE record ALTER COLUMN pdf SET STORAGE EXTENDED")
