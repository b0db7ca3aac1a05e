"""close-of-cycle reports kept in the store

The close of a cycle wrote its reports into the machine's ``APPRAISAL_HOME/reports``; with
several machines a report was only on the one that ran the close. They are now kept in
the store too, downloadable from the portal and ``appraisal reports`` on any machine.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('storedreport',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.String(length=7), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year', 'filename')
    )
    with op.batch_alter_table('storedreport', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_storedreport_organisation_id'),
                              ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_storedreport_year'), ['year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('storedreport', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_storedreport_year'))
        batch_op.drop_index(batch_op.f('ix_storedreport_organisation_id'))
    op.drop_table('storedreport')
