"""multi-source feedback: the form's versions, rounds, respondents and their answers

Submitted answers are kept apart from the respondents (a random key, no time, no ordered
id), so the store itself cannot tie what was said to who said it.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedbackformversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.String(length=60), nullable=False),
    sa.Column('version', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('form_id', 'version')
    )
    op.create_table('feedbackround',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=False),
    sa.Column('variant', sa.String(length=60), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('group_threshold', sa.Integer(), nullable=False),
    sa.Column('appraisee_may_propose', sa.Boolean(), nullable=False),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisal.id'], ),
    sa.ForeignKeyConstraint(['form_version_id'], ['feedbackformversion.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('appraisal_id')
    )
    with op.batch_alter_table('feedbackround', schema=None) as batch_op:
        batch_op.create_index('ix_feedbackround_org_closed', ['organisation_id', 'closed_at'], unique=False)

    op.create_table('feedbackrespondent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('group_id', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('proposed_by_appraisee', sa.Boolean(), nullable=False),
    sa.Column('link_nonce', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('session_hash', sa.String(length=64), nullable=True),
    sa.Column('csrf_token', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['feedbackround.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_id', 'email'),
    sa.UniqueConstraint('session_hash'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('feedbackrespondent', schema=None) as batch_op:
        batch_op.create_index('ix_feedbackrespondent_round_status', ['round_id', 'status'], unique=False)

    op.create_table('feedbackresponse',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['feedbackround.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('feedbackresponse', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedbackresponse_round_id'), ['round_id'], unique=False)

    op.create_table('feedbackdraft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['feedbackrespondent.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('respondent_id')
    )
    op.create_table('feedbackrating',
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('statement_id', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['feedbackresponse.id'], ),
    sa.PrimaryKeyConstraint('response_id', 'statement_id')
    )
    op.create_table('feedbacktext',
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('place', sa.String(length=40), nullable=False),
    sa.Column('prompt', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['feedbackresponse.id'], ),
    sa.PrimaryKeyConstraint('response_id', 'place', 'prompt')
    )


def downgrade() -> None:
    op.drop_table('feedbacktext')
    op.drop_table('feedbackrating')
    op.drop_table('feedbackdraft')
    with op.batch_alter_table('feedbackresponse', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedbackresponse_round_id'))

    op.drop_table('feedbackresponse')
    with op.batch_alter_table('feedbackrespondent', schema=None) as batch_op:
        batch_op.drop_index('ix_feedbackrespondent_round_status')

    op.drop_table('feedbackrespondent')
    with op.batch_alter_table('feedbackround', schema=None) as batch_op:
        batch_op.drop_index('ix_feedbackround_org_closed')

    op.drop_table('feedbackround')
    op.drop_table('feedbackformversion')
