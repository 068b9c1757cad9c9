"""audit anchors: the hash chain's head at each seal run, so that a cut-off end shows

Revision ID: 0011
Revises: 0010

Deleting the newest audit entries together with their seals leaves a shorter
chain that still verifies. Each seal run now also writes where the chain's head
stood (and which entries after it existed then) into `audit_anchors`, a table
append-only like the trail itself, and to the log; `flask audit verify`
compares the chain with the anchors (docs/security.md, "The end of the audit
trail").
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('audit_anchors',
    sa.Column('id', _ID, nullable=False),
    sa.Column('entry_id', _ID, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('newest_entry_id', _ID, nullable=False),
    sa.Column('unsealed', sa.Integer(), nullable=False),
    sa.Column('anchored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_anchors'))
    )
    _append_only()


def _append_only():
    """Anchors, like the entries and seals they vouch for, can only be added (R13);
    the same triggers as 0001's and 0003's."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE "
            "ON audit_anchors FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        )
    elif bind.dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_anchors_no_{event.lower()} BEFORE {event} "
                "ON audit_anchors BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
            )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_append_only ON audit_anchors")
    elif bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_no_delete")
    op.drop_table('audit_anchors')
