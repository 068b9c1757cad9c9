"""One way to end a request's, a command's or a job's work: commit once, or roll
back on a refusal (committing instead what the refusal says must be kept).
Deeper code only flushes (STYLE.md, habit 3)."""
from portal.admission.errors import Refusal
from portal.extensions import db


def attempt(action):
    """Run `action()`; commit and return (result, None), or on a Refusal roll
    back (or keep what it says) and return (None, refusal)."""
    try:
        result = action()
    except Refusal as refusal:
        finish(refusal)
        return None, refusal
    db.session.commit()
    return result, None


def finish(refusal):
    """End the unit of work of a refused action."""
    if refusal.keep_changes:
        db.session.commit()
    else:
        db.session.rollback()


def all_or_none(action):
    """Run `action()`, which returns (errors, result) for a batch (an import, a list
    of new users): commit when it found no error and did something, else roll back
    so that nothing of the batch is kept. Returns (errors, result)."""
    errors, result = action()
    if errors or not result:
        db.session.rollback()
    else:
        db.session.commit()
    return errors, result
