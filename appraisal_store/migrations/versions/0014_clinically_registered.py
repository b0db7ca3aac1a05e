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
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clinically_registered', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('clinically_registered')
