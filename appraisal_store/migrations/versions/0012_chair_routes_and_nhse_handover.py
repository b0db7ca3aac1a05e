"""the chair's appraisal routes, the NHS England hand-over and the year's check-ins

External contributors (the regional director, their delegate, a nominations committee), an
organisation's routing override, the regional endorsement of a signed record, submission
packs and what they hold, and the mid-year review and check-ins on agreed objectives.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('externalcontributor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=40), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('registered_by', sa.String(length=200), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('externalcontributor', schema=None) as batch_op:
        batch_op.create_index('ix_externalcontributor_org', ['organisation_id', 'revoked_at'], unique=False)

    op.create_table('routingoverride',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('set_by', sa.String(length=200), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('routingoverride', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routingoverride_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('submissionpack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.String(length=7), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('built_by_id', sa.Integer(), nullable=True),
    sa.Column('built_by', sa.String(length=200), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.Column('channel', sa.String(length=200), nullable=True),
    sa.Column('sent_by', sa.String(length=200), nullable=True),
    sa.Column('sent_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['built_by_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('submissionpack', schema=None) as batch_op:
        batch_op.create_index('ix_submissionpack_org_deadline', ['organisation_id', 'deadline'], unique=False)

    op.create_table('checkinschedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('mid_year_review_due', sa.Date(), nullable=False),
    sa.Column('set_by', sa.String(length=200), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cycle_id')
    )
    op.create_table('checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('joint_note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisal.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_appraisal_id'), ['appraisal_id'], unique=False)

    op.create_table('endorsement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=False),
    sa.Column('record_version', sa.Integer(), nullable=False),
    sa.Column('endorser_id', sa.Integer(), nullable=False),
    sa.Column('standing', sa.String(length=40), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('endorsed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisal.id'], ),
    sa.ForeignKeyConstraint(['endorser_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('appraisal_id', 'record_version')
    )
    with op.batch_alter_table('endorsement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endorsement_appraisal_id'), ['appraisal_id'], unique=False)

    op.create_table('checkinprogress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_in_id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=True),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('appraisee_note', sa.Text(), nullable=False),
    sa.Column('appraiser_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['developmentaction.id'], ),
    sa.ForeignKeyConstraint(['check_in_id'], ['checkin.id'], ),
    sa.ForeignKeyConstraint(['objective_id'], ['objective.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('check_in_id', 'objective_id', 'action_id')
    )
    with op.batch_alter_table('checkinprogress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkinprogress_check_in_id'), ['check_in_id'], unique=False)

    op.create_table('submissionpackitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pack_id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisal.id'], ),
    sa.ForeignKeyConstraint(['pack_id'], ['submissionpack.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pack_id', 'appraisal_id')
    )
    with op.batch_alter_table('submissionpackitem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissionpackitem_appraisal_id'), ['appraisal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submissionpackitem_pack_id'), ['pack_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('submissionpackitem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissionpackitem_pack_id'))
        batch_op.drop_index(batch_op.f('ix_submissionpackitem_appraisal_id'))

    op.drop_table('submissionpackitem')
    with op.batch_alter_table('checkinprogress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkinprogress_check_in_id'))

    op.drop_table('checkinprogress')
    with op.batch_alter_table('endorsement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_endorsement_appraisal_id'))

    op.drop_table('endorsement')
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_appraisal_id'))

    op.drop_table('checkin')
    op.drop_table('checkinschedule')
    with op.batch_alter_table('submissionpack', schema=None) as batch_op:
        batch_op.drop_index('ix_submissionpack_org_deadline')

    op.drop_table('submissionpack')
    with op.batch_alter_table('routingoverride', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routingoverride_organisation_id'))

    op.drop_table('routingoverride')
    with op.batch_alter_table('externalcontributor', schema=None) as batch_op:
        batch_op.drop_index('ix_externalcontributor_org')

    op.drop_table('externalcontributor')
