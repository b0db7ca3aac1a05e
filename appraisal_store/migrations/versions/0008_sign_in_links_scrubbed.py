"""sign-in links scrubbed from the outbox: earlier versions queued them in clear

Sign-in emails are now sent at once by the portal and their link is never stored. Rows an
earlier version queued kept the link (a usable token until it expired or was used) in
their payload; this empties those payloads, sent or not, so a copy of the database holds
no link. The sign-in token rows (hashed) remain the trace of each request.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_outbox = sa.table("outboxmessage", sa.column("template", sa.String),
                   sa.column("payload", sa.JSON))


def upgrade() -> None:
    op.execute(_outbox.update().where(_outbox.c.template == "sign_in_link")
               .values(payload={}))


def downgrade() -> None:
    pass  # the links are gone for good, as they should be
