"""the fit and proper person test as a year of its own

Each board member's FPPT year, the checks recorded against it (append only), the
checklist versions, the Board Member References of leavers and the annual submissions.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fpptchecklistversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.String(length=60), nullable=False),
    sa.Column('version', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('working_list', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('checklist_id', 'version')
    )
    op.create_table('fpptsubmission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.String(length=7), nullable=False),
    sa.Column('declaration', sa.Text(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by_label', sa.String(length=200), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('xlsx', sa.LargeBinary(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'year')
    )
    op.create_table('boardmemberreference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=False),
    sa.Column('leaving_reason', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['signed_by_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('appointment_id')
    )
    with op.batch_alter_table('boardmemberreference', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boardmemberreference_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('fpptyear',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('year', sa.String(length=7), nullable=False),
    sa.Column('checklist_version_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('not_required_reason', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('sign_off_note', sa.Text(), nullable=False),
    sa.Column('signed_off_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('chair_decision', sa.Text(), nullable=True),
    sa.Column('chair_decision_by_id', sa.Integer(), nullable=True),
    sa.Column('chair_decision_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], ),
    sa.ForeignKeyConstraint(['chair_decision_by_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['checklist_version_id'], ['fpptchecklistversion.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['signed_off_by_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'person_id', 'year')
    )
    with op.batch_alter_table('fpptyear', schema=None) as batch_op:
        batch_op.create_index('ix_fpptyear_org_year', ['organisation_id', 'year'], unique=False)
        batch_op.create_index(batch_op.f('ix_fpptyear_person_id'), ['person_id'], unique=False)

    op.create_table('referencereceived',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('from_whom', sa.String(length=300), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('covering', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_label', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('referencereceived', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referencereceived_appointment_id'), ['appointment_id'], unique=False)

    op.create_table('fpptcheckentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fppt_year_id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.String(length=60), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('mitigation', sa.Text(), nullable=False),
    sa.Column('evidence_reference', sa.Text(), nullable=False),
    sa.Column('evidence_file_name', sa.String(length=200), nullable=True),
    sa.Column('evidence_file', sa.LargeBinary(), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_label', sa.String(length=200), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['fppt_year_id'], ['fpptyear.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['supersedes_id'], ['fpptcheckentry.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('fpptcheckentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fpptcheckentry_fppt_year_id'), ['fppt_year_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fpptcheckentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fpptcheckentry_fppt_year_id'))

    op.drop_table('fpptcheckentry')
    with op.batch_alter_table('referencereceived', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referencereceived_appointment_id'))

    op.drop_table('referencereceived')
    with op.batch_alter_table('fpptyear', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fpptyear_person_id'))
        batch_op.drop_index('ix_fpptyear_org_year')

    op.drop_table('fpptyear')
    with op.batch_alter_table('boardmemberreference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_boardmemberreference_organisation_id'))

    op.drop_table('boardmemberreference')
    op.drop_table('fpptsubmission')
    op.drop_table('fpptchecklistversion')
