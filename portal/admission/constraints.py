"""What a database constraint's refusal of an admission write means.

R10 is kept by the database as well as by the rules: two registrations of one
child that race past the rules' check meet the partial unique index
`uq_applications_active_child`, and the loser is told "already registered".
Every other IntegrityError (a number issued twice, a broken foreign key, a
CHECK) is a fault of ours, answered as a server error and logged, never told
to a parent as if it were their doing.
"""

# R10's partial unique index (migration 0001).
ONE_ACTIVE_APPLICATION = "uq_applications_active_child"
# SQLite names a unique index by its columns, not by its name: R10's is the only one on these two.
_SQLITE_ONE_ACTIVE_APPLICATION = "UNIQUE constraint failed: applications.campaign_id, applications.child_pin"


class RegistrationFault(RuntimeError):
    """A registration refused by a database constraint other than R10's: a bug or
    broken data, answered as a server error (never as "already registered")."""

    def __init__(self, constraint):
        super().__init__(f"a registration broke the database constraint {constraint}")
        self.constraint = constraint


def constraint_of(error):
    """The constraint an IntegrityError names, without the row's values (the
    driver's full message holds them: a PIN, names): psycopg gives its name;
    SQLite's message names the kind and the columns only."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None:
        return diag.constraint_name or type(error.orig).__name__
    return str(error.orig)


def breaks_one_active_application(error):
    """True only for a violation of R10's index."""
    return constraint_of(error) in (ONE_ACTIVE_APPLICATION, _SQLITE_ONE_ACTIVE_APPLICATION)
