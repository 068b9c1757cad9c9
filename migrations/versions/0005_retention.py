"""personal data lifecycle: erasable audit payloads, retention markers

Revision ID: 0005
Revises: 0004

The audit trail stays append-only with one narrow exception: the retention
command may erase the payload (`before`, `after`) of an entry that is already
sealed with a payload digest, setting `erased_at` and changing nothing else.
The hash chain covers the digest, not the payload, so an erased entry still
verifies (docs/security.md, "Personal data lifecycle").
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# The columns an erasure must leave exactly as they were.
_KEPT = ("id", "at", "actor", "actor_user_id", "district_id", "school_id", "action", "entity",
         "entity_id", "note")


def _erasure_allowed(same):
    """SQL true only for the narrow erasure; `same` renders a null-safe equality."""
    return (
        "OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL "
        "AND NEW.before IS NULL AND NEW.after IS NULL AND "
        + " AND ".join(same(column) for column in _KEPT)
        + " AND EXISTS (SELECT 1 FROM audit_seals WHERE audit_seals.entry_id = OLD.id"
        " AND audit_seals.payload_digest IS NOT NULL)"
    )


def upgrade():
    op.add_column('audit_entries', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('audit_seals', sa.Column('payload_digest', sa.String(length=64), nullable=True))
    op.add_column('campaigns', sa.Column('personal_data_erased_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('applicants', sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        allowed = _erasure_allowed(lambda c: f'NEW."{c}" IS NOT DISTINCT FROM OLD."{c}"')
        # Besides the shape of the change, the transaction must have said it is
        # the retention command (SET LOCAL mektep.retention = 'on').
        op.execute(
            f"""
            CREATE FUNCTION audit_entries_erase_payload_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE'
                   AND current_setting('mektep.retention', true) = 'on'
                   AND {allowed} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'the audit trail is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute("DROP TRIGGER audit_entries_append_only ON audit_entries")
        op.execute(
            "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE "
            "ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_erase_payload_only()"
        )
    elif bind.dialect.name == "sqlite":
        allowed = _erasure_allowed(lambda c: f'NEW."{c}" IS OLD."{c}"')
        op.execute("DROP TRIGGER audit_entries_no_update")
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            f"WHEN NOT ({allowed}) "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
        )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_erase_payload_only()")
        op.execute(
            "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE "
            "ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        )
    elif bind.dialect.name == "sqlite":
        # Batch mode rebuilds the tables; the triggers (one names audit_seals) go first.
        for table in ("audit_entries", "audit_seals"):
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
    for table, column in (('applicants', 'anonymised_at'), ('campaigns', 'personal_data_erased_at'),
                          ('audit_seals', 'payload_digest'), ('audit_entries', 'erased_at')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
    if bind.dialect.name == "sqlite":
        # 0001's and 0003's triggers back.
        for table in ("audit_entries", "audit_seals"):
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} "
                    f"ON {table} BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
                )
