"""who is clinically registered

A person's clinical registration (doctor, nurse, other regulated professional), for the
FPPT checks that apply to the clinically registered only (the professional register).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place with a constant default, not by a batch: on SQLite a batch copies the
    # table, which the foreign keys to person refuse once people are on record.
    op.add_column('person', sa.Column('clinically_registered', sa.Boolean(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    # In place (SQLite 3.35 and PostgreSQL), as migration 0004 drops is_admin.
    op.execute("ALTER TABLE person DROP COLUMN clinically_registered")
