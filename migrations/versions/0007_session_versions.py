"""session versions: sign-out, a new password and disabling end sessions on the server

Revision ID: 0007
Revises: 0006

Staff users and applicants get a counter that every session cookie carries a
copy of; raising it ends every session holding an older copy (docs/security.md,
"What ends a session"). Existing rows start at 0; cookies written before this
revision carry no copy and are treated as signed out.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode for SQLite; adding a column is a plain ALTER TABLE there too.
    for table in ('staff_users', 'applicants'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    for table in ('applicants', 'staff_users'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('session_version')
