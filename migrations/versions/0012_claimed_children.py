"""claimed children: a child the registry does not show, added by the parent

Revision ID: 0012
Revises: 0011

The 2026 text (obligations of the applicant): a parent whose children of
preschool age are not shown adds them in the cabinet. `claimed_children` holds
the parent's claim (the child's data and the birth certificate's series and
number) and its state: unverified, confirmed (the director saw the original
certificate), rejected, superseded (the registry shows its own link). At most
one live claim (unverified or confirmed) per child PIN. A new table only: no
rebuild of a table others point at.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('claimed_children',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('child_pin', sa.String(length=14), nullable=False),
    sa.Column('child_last_name', sa.String(length=100), nullable=False),
    sa.Column('child_first_name', sa.String(length=100), nullable=False),
    sa.Column('child_patronymic', sa.String(length=100), nullable=False),
    sa.Column('child_sex', sa.String(length=1), nullable=False),
    sa.Column('child_birth_date', sa.Date(), nullable=False),
    sa.Column('certificate_series', sa.String(length=16), nullable=False),
    sa.Column('certificate_number', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=32), nullable=True),
    sa.Column('rejection_note', sa.Text(), nullable=True),
    sa.CheckConstraint("child_sex IN ('M', 'F')", name=op.f('ck_claimed_children_child_sex')),
    sa.CheckConstraint("rejection_reason IN ('not_shown', 'other_person', 'not_valid', 'other')",
                       name=op.f('ck_claimed_children_rejection_reason')),
    sa.CheckConstraint("state IN ('unverified', 'confirmed', 'rejected', 'superseded')",
                       name=op.f('ck_claimed_children_state')),
    sa.ForeignKeyConstraint(['applicant_id'], ['applicants.id'],
                            name=op.f('fk_claimed_children_applicant_id_applicants')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_users.id'],
                            name=op.f('fk_claimed_children_decided_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claimed_children'))
    )
    with op.batch_alter_table('claimed_children', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claimed_children_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claimed_children_child_pin'), ['child_pin'], unique=False)
        batch_op.create_index('uq_claimed_children_live_child', ['child_pin'], unique=True,
                              sqlite_where=sa.text("state IN ('unverified', 'confirmed')"),
                              postgresql_where=sa.text("state IN ('unverified', 'confirmed')"))


def downgrade():
    with op.batch_alter_table('claimed_children', schema=None) as batch_op:
        batch_op.drop_index('uq_claimed_children_live_child',
                            sqlite_where=sa.text("state IN ('unverified', 'confirmed')"),
                            postgresql_where=sa.text("state IN ('unverified', 'confirmed')"))
        batch_op.drop_index(batch_op.f('ix_claimed_children_child_pin'))
        batch_op.drop_index(batch_op.f('ix_claimed_children_applicant_id'))
    op.drop_table('claimed_children')
