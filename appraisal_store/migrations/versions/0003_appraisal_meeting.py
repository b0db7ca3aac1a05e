"""appraisal meetings: one calendar event per meeting, moved and cancelled in place

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'appraisalmeeting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appraisal_id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=120), nullable=False),
        sa.Column('organiser_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=False), nullable=False),
        sa.Column('duration_minutes', sa.Integer(), nullable=False),
        sa.Column('place', sa.Text(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['appraisal_id'], ['appraisal.id']),
        sa.ForeignKeyConstraint(['organiser_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uid'),
    )
    with op.batch_alter_table('appraisalmeeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisalmeeting_appraisal_id'), ['appraisal_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('appraisalmeeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisalmeeting_appraisal_id'))
    op.drop_table('appraisalmeeting')
