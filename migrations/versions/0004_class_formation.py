"""class formation (R15): class lists with their lock, and the children's placements

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

LOCKED = "the class list of this school is locked"


def upgrade():
    op.create_table('class_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('distributed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_class_lists_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['locked_by_id'], ['staff_users.id'], name=op.f('fk_class_lists_locked_by_id_staff_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_class_lists_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_lists')),
    sa.UniqueConstraint('campaign_id', 'school_id', name=op.f('uq_class_lists_campaign_id_school_id'))
    )
    with op.batch_alter_table('class_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_lists_school_id'), ['school_id'], unique=False)

    op.create_table('class_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('class_set_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('by_hand', sa.Boolean(), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_class_assignments_application_id_applications')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_class_assignments_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['class_set_id'], ['class_sets.id'], name=op.f('fk_class_assignments_class_set_id_class_sets')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_class_assignments_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_assignments')),
    sa.UniqueConstraint('application_id', name=op.f('uq_class_assignments_application_id'))
    )
    with op.batch_alter_table('class_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_assignments_class_set_id'), ['class_set_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_class_assignments_school_id'), ['school_id'], unique=False)

    _lock_triggers()


def _locked(row):
    """SQL: the class list of the school and campaign of `row` (NEW or OLD) is locked."""
    return (f"EXISTS (SELECT 1 FROM class_lists WHERE class_lists.campaign_id = {row}.campaign_id "
            f"AND class_lists.school_id = {row}.school_id AND class_lists.locked_at IS NOT NULL)")


def _lock_triggers():
    """After the lock nobody changes the list (R15): no placement of a locked school
    is added, changed or removed, and a lock is never lifted or its row deleted."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION class_assignments_locked() RETURNS trigger AS $$
            BEGIN
                IF (TG_OP <> 'INSERT' AND {_locked('OLD')}) OR (TG_OP <> 'DELETE' AND {_locked('NEW')}) THEN
                    RAISE EXCEPTION '{LOCKED}';
                END IF;
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("CREATE TRIGGER class_assignments_locked BEFORE INSERT OR UPDATE OR DELETE "
                   "ON class_assignments FOR EACH ROW EXECUTE FUNCTION class_assignments_locked()")
        op.execute(f"""
            CREATE FUNCTION class_lists_locked() RETURNS trigger AS $$
            BEGIN
                IF OLD.locked_at IS NOT NULL THEN
                    RAISE EXCEPTION '{LOCKED}';
                END IF;
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("CREATE TRIGGER class_lists_locked BEFORE UPDATE OR DELETE "
                   "ON class_lists FOR EACH ROW EXECUTE FUNCTION class_lists_locked()")
    elif bind.dialect.name == "sqlite":
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            condition = " OR ".join(_locked(row) for row in rows)
            op.execute(f"CREATE TRIGGER class_assignments_locked_{event.lower()} BEFORE {event} "
                       f"ON class_assignments WHEN {condition} BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END")
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER class_lists_locked_{event.lower()} BEFORE {event} "
                       f"ON class_lists WHEN OLD.locked_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END")


def _drop_lock_triggers():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS class_assignments_locked ON class_assignments")
        op.execute("DROP FUNCTION IF EXISTS class_assignments_locked()")
        op.execute("DROP TRIGGER IF EXISTS class_lists_locked ON class_lists")
        op.execute("DROP FUNCTION IF EXISTS class_lists_locked()")
    elif bind.dialect.name == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS class_assignments_locked_{event}")
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS class_lists_locked_{event}")


def downgrade():
    _drop_lock_triggers()
    with op.batch_alter_table('class_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_class_assignments_school_id'))
        batch_op.drop_index(batch_op.f('ix_class_assignments_class_set_id'))

    op.drop_table('class_assignments')
    with op.batch_alter_table('class_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_class_lists_school_id'))

    op.drop_table('class_lists')
