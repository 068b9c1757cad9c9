"""enrolment: stored enrolment orders, and reopening a locked class list

Revision ID: 0013
Revises: 0012

§19, R11, R15 (issue #14): the enrolment order is a record (`enrolment_orders`,
its number and date; `enrolment_order_entries`, the children it enrolled and
those it listed apart with the reason), issued in the transaction that makes
its children `enrolled`; the first of a school is the order, later ones are
supplementary orders. A district (or the ministry) may reopen a locked class
list with a reason (`class_list_reopenings`).

The lock trigger of 0004 refused any change of a locked list; it now lets
exactly one change through: lifting the lock (locked_at and locked_by_id to
NULL, nothing else changed) when a reopening row names that very lock. Orders,
their entries and reopenings are never changed or deleted (triggers). New
tables only: no rebuild of a table others point at.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

LOCKED = "the class list of this school is locked"
KEPT = "an enrolment order or a reopening is kept as issued"
APPEND_ONLY = ("enrolment_orders", "enrolment_order_entries", "class_list_reopenings")
# A lock lifted as a reopening recorded it, and nothing else changed.
LIFTED = ("NEW.locked_at IS NULL AND NEW.locked_by_id IS NULL "
          "AND NEW.campaign_id = OLD.campaign_id AND NEW.school_id = OLD.school_id "
          "AND NEW.distributed_at IS NOT DISTINCT FROM OLD.distributed_at "
          "AND EXISTS (SELECT 1 FROM class_list_reopenings WHERE class_list_reopenings.class_list_id = OLD.id "
          "AND class_list_reopenings.lock_lifted_at = OLD.locked_at)")


def upgrade():
    op.create_table('class_list_reopenings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_list_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('lock_lifted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reopened_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                            name=op.f('fk_class_list_reopenings_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['class_list_id'], ['class_lists.id'],
                            name=op.f('fk_class_list_reopenings_class_list_id_class_lists')),
    sa.ForeignKeyConstraint(['locked_by_id'], ['staff_users.id'],
                            name=op.f('fk_class_list_reopenings_locked_by_id_staff_users')),
    sa.ForeignKeyConstraint(['reopened_by_id'], ['staff_users.id'],
                            name=op.f('fk_class_list_reopenings_reopened_by_id_staff_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_class_list_reopenings_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_list_reopenings'))
    )
    with op.batch_alter_table('class_list_reopenings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_list_reopenings_class_list_id'), ['class_list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_class_list_reopenings_school_id'), ['school_id'], unique=False)

    op.create_table('enrolment_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('order_date', sa.Date(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_enrolment_orders_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['staff_users.id'],
                            name=op.f('fk_enrolment_orders_issued_by_id_staff_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_enrolment_orders_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment_orders')),
    sa.UniqueConstraint('campaign_id', 'school_id', 'number',
                        name=op.f('uq_enrolment_orders_campaign_id_school_id_number')),
    sa.UniqueConstraint('campaign_id', 'school_id', 'sequence',
                        name=op.f('uq_enrolment_orders_campaign_id_school_id_sequence'))
    )
    with op.batch_alter_table('enrolment_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_orders_school_id'), ['school_id'], unique=False)

    op.create_table('enrolment_order_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('class_set_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_enrolment_order_entries_application_id_applications')),
    sa.ForeignKeyConstraint(['class_set_id'], ['class_sets.id'],
                            name=op.f('fk_enrolment_order_entries_class_set_id_class_sets')),
    sa.ForeignKeyConstraint(['order_id'], ['enrolment_orders.id'],
                            name=op.f('fk_enrolment_order_entries_order_id_enrolment_orders')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_enrolment_order_entries_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment_order_entries')),
    sa.UniqueConstraint('order_id', 'application_id', name=op.f('uq_enrolment_order_entries_order_id_application_id'))
    )
    with op.batch_alter_table('enrolment_order_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_order_entries_application_id'), ['application_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_order_entries_order_id'), ['order_id'], unique=False)

    _triggers(lift_allowed=True)
    _append_only()


def _triggers(*, lift_allowed):
    """The lock of 0004 on `class_lists`, with (upgrade) or without (downgrade) the
    one way to lift it: a reopening that names the lock."""
    bind = op.get_bind()
    lifted = f" AND NOT ({LIFTED})" if lift_allowed else ""
    if bind.dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION class_lists_locked() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' AND OLD.locked_at IS NOT NULL THEN
                    RAISE EXCEPTION '{LOCKED}';
                END IF;
                IF TG_OP = 'UPDATE' AND OLD.locked_at IS NOT NULL{lifted} THEN
                    RAISE EXCEPTION '{LOCKED}';
                END IF;
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END;
            $$ LANGUAGE plpgsql
        """)
    elif bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS class_lists_locked_update")
        condition = f"OLD.locked_at IS NOT NULL{lifted}".replace("IS NOT DISTINCT FROM", "IS")
        op.execute(f"CREATE TRIGGER class_lists_locked_update BEFORE UPDATE ON class_lists "
                   f"WHEN {condition} BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END")


def _append_only():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION enrolment_records_kept() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{KEPT}';
            END;
            $$ LANGUAGE plpgsql
        """)
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_kept BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION enrolment_records_kept()")
    elif bind.dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_kept_{event.lower()} BEFORE {event} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END")


def _drop_append_only():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_kept ON {table}")
        op.execute("DROP FUNCTION IF EXISTS enrolment_records_kept()")
    elif bind.dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_kept_{event}")


def downgrade():
    _drop_append_only()
    _triggers(lift_allowed=False)
    with op.batch_alter_table('enrolment_order_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_order_entries_order_id'))
        batch_op.drop_index(batch_op.f('ix_enrolment_order_entries_application_id'))
    op.drop_table('enrolment_order_entries')
    with op.batch_alter_table('enrolment_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_orders_school_id'))
    op.drop_table('enrolment_orders')
    with op.batch_alter_table('class_list_reopenings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_class_list_reopenings_school_id'))
        batch_op.drop_index(batch_op.f('ix_class_list_reopenings_class_list_id'))
    op.drop_table('class_list_reopenings')
