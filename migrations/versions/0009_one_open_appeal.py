"""one open appeal per application: appeals cannot flood a district

Revision ID: 0009
Revises: 0008

A signed-in parent posted 300 appeals to three districts in 5 seconds (issue 15,
item 8). The per-applicant limit lives in the domain (portal/admission/appeals.py);
this partial unique index keeps at most one appeal not yet answered (open or
escalated) per application, whatever the concurrency. Appeals made before it
that break the rule are closed as answered first (the oldest stays open), with
that said in the answer.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OPEN = "application_id IS NOT NULL AND status IN ('open', 'escalated')"


def upgrade():
    # Duplicates of an application's open appeal, if any, keep the oldest open.
    op.execute(sa.text(
        "UPDATE appeals SET status = 'answered', answered_at = CURRENT_TIMESTAMP, "
        "answer = 'Duplicate of an earlier appeal on the same application.' "
        "WHERE " + OPEN + " AND id NOT IN (SELECT MIN(id) FROM appeals WHERE " + OPEN + " GROUP BY application_id)"))
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index('uq_appeals_open_per_application', ['application_id'], unique=True,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index('uq_appeals_open_per_application', sqlite_where=sa.text(OPEN),
                            postgresql_where=sa.text(OPEN))
