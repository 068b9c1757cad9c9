"""sign-in limits per requester: who asked for a code, staff lockout per account and address

Revision ID: 0010
Revises: 0009

Issue 15, items 1 and 11: a stranger could lock a parent or a staff user out.
- `sign_in_codes.requester`: a keyed digest of the address that asked for the
  code (the limits count per requester); `request_hash`: the hash of the request
  token `POST /auth/start` gives the API client that asked (the form's session
  holds the row's id instead); `other_attempts`: tries by anyone but the asker,
  counted apart from the asker's own (`attempts`), so a stranger's guesses cannot
  burn the parent's code. Codes written before have neither: every try at them
  counts as another's (they live 15 minutes).
- `staff_sign_in_addresses`: one staff account at one address (a keyed digest):
  its failures, its lock (doubling each time) and when it last signed in there.
  The account-wide counter and lock of `staff_users` stay, for many addresses at
  once; an address the owner signed in from is not held by them.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_sign_in_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('requester', sa.String(length=32), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_sign_in_addresses_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sign_in_addresses')),
    sa.UniqueConstraint('user_id', 'requester', name=op.f('uq_staff_sign_in_addresses_user_id_requester'))
    )
    with op.batch_alter_table('staff_sign_in_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sign_in_addresses_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('sign_in_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requester', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('other_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_sign_in_codes_request_hash'), ['request_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_codes_request_hash'))
        batch_op.drop_column('other_attempts')
        batch_op.drop_column('request_hash')
        batch_op.drop_column('requester')

    with op.batch_alter_table('staff_sign_in_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sign_in_addresses_user_id'))

    op.drop_table('staff_sign_in_addresses')
