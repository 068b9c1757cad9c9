"""proof check (R7, R9): the proof an admission rests on, the director's reason
for a rejection, the status `proof_rejected`, and the outcome of an appeal

Revision ID: 0007
Revises: 0005

(0006 is written in parallel; the chain is joined at the merge.)

- `applications.proof_document_id`: the uploaded proof the director checks;
- `documents.rejection_reason` (a fixed list) and `documents.rejection_note`;
- `appeals.upheld`;
- existing admissions on an uploaded proof only are linked to it (they join the
  directors' queue);
- the status CHECK of `applications` and `application_events` admits
  `proof_rejected`.

SQLite changes a CHECK only by rebuilding the table (batch mode). A rebuild
drops the old table, which the enforced foreign keys of the rows that point at
it (events, documents, appeals, ...) refuse on a populated database, and SQLite
ignores `PRAGMA foreign_keys` inside a transaction. So on SQLite the rebuild
runs in a transaction of its own with foreign keys off, checked with
`PRAGMA foreign_key_check` before it commits.
"""
import contextlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None

OLD_STATUSES = ('registered', 'documents_received', 'enrolled', 'admitted_by_commission', 'cancelled',
                'documents_missing', 'transferred_to_special_school')
NEW_STATUSES = OLD_STATUSES + ('proof_rejected',)
REJECTION_REASONS = ('unreadable', 'other_person', 'not_valid', 'not_a_teacher_of_the_school',
                     'not_an_accepted_act', 'other')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


@contextlib.contextmanager
def _sqlite_foreign_keys_off():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    # The connection runs without a driver-managed transaction (portal/__init__.py
    # begins each one with BEGIN IMMEDIATE), so these end and begin SQLite's own;
    # what the earlier migrations of this run did is committed first.
    raw = bind.connection.dbapi_connection
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        bind.exec_driver_sql("BEGIN IMMEDIATE")
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"0007: the table rebuild broke foreign keys: {broken[:5]}")
        bind.exec_driver_sql("COMMIT")
    except BaseException:
        if raw.in_transaction:
            bind.exec_driver_sql("ROLLBACK")
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")  # alembic stamps the version in it and commits


def _statuses(values):
    for table in ('applications', 'application_events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_status'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_status'), _in('status', values))


def upgrade():
    with _sqlite_foreign_keys_off():
        _statuses(NEW_STATUSES)
        with op.batch_alter_table('documents', schema=None) as batch_op:
            batch_op.add_column(sa.Column('rejection_reason', sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column('rejection_note', sa.Text(), nullable=True))
            batch_op.create_check_constraint(op.f('ck_documents_rejection_reason'),
                                             _in('rejection_reason', REJECTION_REASONS))
        with op.batch_alter_table('applications', schema=None) as batch_op:
            batch_op.add_column(sa.Column('proof_document_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f('ix_applications_proof_document_id'), ['proof_document_id'],
                                  unique=False)
            batch_op.create_foreign_key(batch_op.f('fk_applications_proof_document_id_documents'), 'documents',
                                        ['proof_document_id'], ['id'])
        with op.batch_alter_table('appeals', schema=None) as batch_op:
            batch_op.add_column(sa.Column('upheld', sa.Boolean(), nullable=True))
    # Admissions made before this revision on an uploaded proof only (a legal
    # representative's act; a teacher's certificate of a parent not in the
    # teacher registry of that school) rest on that proof too, and join the queue.
    op.execute("""
        UPDATE applications SET proof_document_id = (
            SELECT max(documents.id) FROM documents
            WHERE documents.application_id = applications.id
              AND documents.kind = CASE WHEN applications.as_representative
                                        THEN 'representative_act' ELSE 'teacher_proof' END)
        WHERE proof_document_id IS NULL
          AND (as_representative OR (category = 'teacher' AND NOT EXISTS (
                SELECT 1 FROM teachers JOIN applicants ON applicants.pin = teachers.pin
                WHERE applicants.id = applications.applicant_id AND teachers.school_id = applications.school_id)))
    """)


def downgrade():
    # No status of the older schema means "proof rejected" (cancelled would count
    # as a cancellation, R8): refuse rather than lose what happened.
    rejected = sum(op.get_bind().execute(sa.text(f"SELECT count(*) FROM {table} WHERE status = 'proof_rejected'"))
                   .scalar() for table in ('applications', 'application_events'))
    if rejected:
        raise RuntimeError(f"0007: {rejected} row(s) are proof_rejected; the older schema cannot hold them")
    with _sqlite_foreign_keys_off():
        with op.batch_alter_table('appeals', schema=None) as batch_op:
            batch_op.drop_column('upheld')
        with op.batch_alter_table('applications', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_applications_proof_document_id_documents'), type_='foreignkey')
            batch_op.drop_index(batch_op.f('ix_applications_proof_document_id'))
            batch_op.drop_column('proof_document_id')
        with op.batch_alter_table('documents', schema=None) as batch_op:
            batch_op.drop_constraint(op.f('ck_documents_rejection_reason'), type_='check')
            batch_op.drop_column('rejection_note')
            batch_op.drop_column('rejection_reason')
        _statuses(OLD_STATUSES)
