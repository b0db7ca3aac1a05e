"""scoped administration and registered external appraisers

``person.is_admin`` reached every organisation. It is replaced by grants: administration of
one organisation, or the national view (status across organisations, never content). The
people who held ``is_admin`` keep the view they had of every organisation, but no longer
its changes: each becomes a national administrator; administration of an organisation is
granted again with ``appraisal admin grant EMAIL --org CODE``. External appraisers are
registered per organisation, each with the roles they may appraise and the reason.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('administrationgrant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('national', sa.Boolean(), nullable=False),
    sa.Column('granted_by', sa.String(length=200), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(national AND organisation_id IS NULL) OR "
                       "(NOT national AND organisation_id IS NOT NULL)",
                       name='ck_administrationgrant_scope'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('administrationgrant', schema=None) as batch_op:
        batch_op.create_index('ix_administrationgrant_person', ['person_id', 'revoked_at'],
                              unique=False)

    op.create_table('externalappraiser',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('registered_by', sa.String(length=200), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('externalappraiser', schema=None) as batch_op:
        batch_op.create_index('ix_externalappraiser_org', ['organisation_id', 'revoked_at'],
                              unique=False)

    person = sa.table('person', sa.column('id', sa.Integer()),
                      sa.column('is_admin', sa.Boolean()))
    grant = sa.table('administrationgrant', sa.column('person_id', sa.Integer()),
                     sa.column('organisation_id', sa.Integer()),
                     sa.column('national', sa.Boolean()),
                     sa.column('granted_by', sa.String()),
                     sa.column('granted_at', sa.DateTime(timezone=True)))
    bind = op.get_bind()
    admins = bind.execute(sa.select(person.c.id).where(person.c.is_admin.is_(True))).scalars()
    now = datetime.now(UTC)
    rows = [{"person_id": person_id, "organisation_id": None, "national": True,
             "granted_by": "migration 0004 (was is_admin)", "granted_at": now}
            for person_id in admins]
    if rows:
        bind.execute(grant.insert(), rows)
    # Not a batch (copy and rename) on SQLite: dropping the old person table fails on the
    # foreign keys of every table that refers to it. SQLite drops a plain column in place.
    op.execute("ALTER TABLE person DROP COLUMN is_admin")


def downgrade() -> None:
    op.add_column('person', sa.Column('is_admin', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.execute("UPDATE person SET is_admin = TRUE WHERE id IN (SELECT person_id FROM "
               "administrationgrant WHERE national AND revoked_at IS NULL)")
    with op.batch_alter_table('externalappraiser', schema=None) as batch_op:
        batch_op.drop_index('ix_externalappraiser_org')
    op.drop_table('externalappraiser')
    with op.batch_alter_table('administrationgrant', schema=None) as batch_op:
        batch_op.drop_index('ix_administrationgrant_person')
    op.drop_table('administrationgrant')
