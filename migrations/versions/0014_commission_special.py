"""commission decisions for every child (§9, §26, §3) and special schools (§18, §23)

Revision ID: 0014
Revises: 0012 (the merger chains it after 0013)

- `schools.kind`: general (the default, every school so far) or special: a
  special school takes children only by referral on a ПМПК conclusion and is
  never offered in registration;
- `commission_decisions`: the temporary identifier of a child recorded without a
  PIN and when the record was joined to the PIN; the applicant the commission
  names (name, role, PIN if any, phone, e-mail).

SQLite adds a CHECK (and a UNIQUE) only by rebuilding the table (batch mode),
which `portal.migration_support.sqlite_foreign_keys_off` makes possible on a
populated database (applications and others point at schools).
"""
from alembic import op
import sqlalchemy as sa

from portal.migration_support import sqlite_foreign_keys_off


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

APPLICANT_ROLES = ('parent', 'legal_representative', 'child_protection', 'other')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with sqlite_foreign_keys_off('0014'):
        with op.batch_alter_table('schools', schema=None) as batch_op:
            batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='general', nullable=False))
            batch_op.create_check_constraint(op.f('ck_schools_kind'), _in('kind', ('general', 'special')))
        with op.batch_alter_table('commission_decisions', schema=None) as batch_op:
            batch_op.add_column(sa.Column('child_temp_id', sa.String(length=14), nullable=True))
            batch_op.add_column(sa.Column('child_joined_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('applicant_name', sa.String(length=200), nullable=True))
            batch_op.add_column(sa.Column('applicant_role', sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column('applicant_pin', sa.String(length=14), nullable=True))
            batch_op.add_column(sa.Column('applicant_phone', sa.String(length=20), nullable=True))
            batch_op.add_column(sa.Column('applicant_email', sa.String(length=254), nullable=True))
            batch_op.create_unique_constraint(batch_op.f('uq_commission_decisions_child_temp_id'),
                                              ['child_temp_id'])
            batch_op.create_check_constraint(op.f('ck_commission_decisions_applicant_role'),
                                             _in('applicant_role', APPLICANT_ROLES))


def downgrade():
    special = op.get_bind().execute(sa.text("SELECT count(*) FROM schools WHERE kind = 'special'")).scalar()
    if special:
        raise RuntimeError(f"0014: {special} school(s) are special; the older schema cannot tell them apart")
    with sqlite_foreign_keys_off('0014'):
        with op.batch_alter_table('commission_decisions', schema=None) as batch_op:
            batch_op.drop_constraint(op.f('ck_commission_decisions_applicant_role'), type_='check')
            batch_op.drop_constraint(batch_op.f('uq_commission_decisions_child_temp_id'), type_='unique')
            batch_op.drop_column('applicant_email')
            batch_op.drop_column('applicant_phone')
            batch_op.drop_column('applicant_pin')
            batch_op.drop_column('applicant_role')
            batch_op.drop_column('applicant_name')
            batch_op.drop_column('child_joined_at')
            batch_op.drop_column('child_temp_id')
        with op.batch_alter_table('schools', schema=None) as batch_op:
            batch_op.drop_constraint(op.f('ck_schools_kind'), type_='check')
            batch_op.drop_column('kind')
