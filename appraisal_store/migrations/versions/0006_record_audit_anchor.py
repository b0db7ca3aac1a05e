"""record audit anchor: the audit chain's head when each record was sealed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
# 0005 comes from another branch; until it is merged this follows 0004.
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_anchor_event', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('audit_anchor_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_column('audit_anchor_hash')
        batch_op.drop_column('audit_anchor_event')
