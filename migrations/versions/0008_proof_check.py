"""proof check (R7, R9): the proof an admission rests on, the director's reason
for a rejection, the status `proof_rejected`, and the outcome of an appeal

Revision ID: 0008
Revises: 0007

- `applications.proof_document_id`: the uploaded proof the director checks;
- `documents.rejection_reason` (a fixed list) and `documents.rejection_note`;
- `appeals.upheld`;
- existing admissions on an uploaded proof only are linked to it (they join the
  directors' queue);
- the status CHECK of `applications` and `application_events` admits
  `proof_rejected`.

SQLite changes a CHECK only by rebuilding the table (batch mode), which
`portal.migration_support.sqlite_foreign_keys_off` makes possible on a populated
database.
"""
from alembic import op
import sqlalchemy as sa

from portal.migration_support import sqlite_foreign_keys_off


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OLD_STATUSES = ('registered', 'documents_received', 'enrolled', 'admitted_by_commission', 'cancelled',
                'documents_missing', 'transferred_to_special_school')
NEW_STATUSES = OLD_STATUSES + ('proof_rejected',)
REJECTION_REASONS = ('unreadable', 'other_person', 'not_valid', 'not_a_teacher_of_the_school',
                     'not_an_accepted_act', 'other')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _statuses(values):
    for table in ('applications', 'application_events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_status'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_status'), _in('status', values))


def upgrade():
    with sqlite_foreign_keys_off('0008'):
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
    with sqlite_foreign_keys_off('0008'):
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
