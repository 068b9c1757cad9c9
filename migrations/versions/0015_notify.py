"""outbox messages name their application: the staff see what was sent to whom

Revision ID: 0015_notify
Revises: 0012

`outbox_messages.application_id` (nullable: messages to staff and sign-in codes
name none), indexed, so that an application's page lists its messages without
scanning the outbox. No foreign key: the outbox is kept apart from the records
it speaks of (retention erases them on its own schedule). A column added: no
table rebuild on SQLite.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_notify'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_outbox_messages_application_id', ['application_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.drop_index('ix_outbox_messages_application_id')
        batch_op.drop_column('application_id')
