"""objective.priority, and the parked forms of sessions that ended

An objective names the organisational priority it serves. A form posted after its
session ended is parked (parkedform) until its author signs in again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Text(), nullable=False, server_default=''))
    op.create_table('parkedform',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('parkedform', schema=None) as batch_op:
        batch_op.create_index('ix_parkedform_person_path', ['person_id', 'path'], unique=False)
        batch_op.create_index(batch_op.f('ix_parkedform_expires_at'), ['expires_at'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('parkedform')
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.drop_column('priority')
