"""Notifications through the transactional outbox.

A message is written as an `OutboxMessage` row in the same transaction as the
change that causes it, so a rolled-back change sends nothing and a committed
one is never forgotten. After the commit the relay (`portal.jobs.outbox`)
delivers it: in-process on the embedded default (no REDIS_URL), through RQ in
production. Texts are templates under translation (`templates/mail/`: e-mail
`<name>.subject.txt` + `<name>.txt`, SMS `<name>.sms.txt`), rendered at
delivery time in the recipient's language.
"""
import logging

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
# Context values that are secrets: kept only until the message is sent.
SECRET_CONTEXT_KEYS = ("code",)
_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def enqueue(*, template, recipient, locale, context, key, channel="email"):
    """Write one message to the outbox in the caller's transaction.

    Idempotent by `key`: a key already written (by this transaction, an earlier
    one, or a concurrent one) writes nothing. Returns the new message id, or
    None when the key existed.
    """
    now = utcnow()
    table = OutboxMessage.__table__
    dialect = db.session.get_bind().dialect.name
    statement = _INSERTS[dialect](table) if dialect in _INSERTS else insert(table)
    statement = statement.values(
        idempotency_key=key, channel=channel, recipient=recipient, locale=locale or "ky",
        template=template, context=context or {}, state="pending", attempts=0,
        next_attempt_at=now, created_at=now,
    )
    if dialect in _INSERTS:
        # ON CONFLICT DO NOTHING: two deadline runs at once write one message.
        statement = statement.on_conflict_do_nothing(index_elements=["idempotency_key"])
    message_id = db.session.execute(statement.returning(table.c.id)).scalar()
    if message_id is not None:
        db.session.info.setdefault("outbox_ids", []).append(message_id)
    return message_id


def _application_context(application):
    school = application.school
    return {
        "number": application.number,
        "school_code": school.code,
        "school_name_ky": school.name_ky,
        "school_name_ru": school.name_ru,
        "language": application.language,
        "child_first_name": application.child_first_name,
    }


def notify_applicant(applicant, template, application, *, previous=None, extra=None):
    """Tell an applicant about an application: by e-mail, and by SMS when the
    applicant gave a phone number. `previous` is the application a move left."""
    context = _application_context(application)
    if previous is not None:
        before = _application_context(previous)
        context.update({f"previous_{name}": value for name, value in before.items()})
    context.update(extra or {})
    key = f"{template}:{application.number}:{application.status}"
    ids = []
    if applicant.email:
        ids.append(enqueue(template=template, recipient=applicant.email, locale=applicant.locale,
                           context=context, key=key))
    if applicant.phone:
        ids.append(enqueue(template=template, recipient=applicant.phone, locale=applicant.locale,
                           context=context, key=f"{key}:sms", channel="sms"))
    return ids


def notify_staff(user, template, *, context, key):
    """Tell a staff user (by e-mail, in the user's language)."""
    if not user.email:
        return None
    return enqueue(template=template, recipient=user.email, locale=user.locale, context=context, key=key)


def render(message):
    """(subject, body) of an e-mail, or (None, text) of an SMS, in the recipient's language."""
    context = dict(message.context or {})
    with force_locale(message.locale):
        if message.channel == "sms":
            return None, render_template(f"mail/{message.template}.sms.txt", **context).strip()
        subject = render_template(f"mail/{message.template}.subject.txt", **context).strip()
        body = render_template(f"mail/{message.template}.txt", **context)
    return subject, body


def scrub(message):
    """Forget the secrets of a sent message (a sign-in code has no use after)."""
    context = dict(message.context or {})
    if any(name in context for name in SECRET_CONTEXT_KEYS):
        message.context = {name: ("***" if name in SECRET_CONTEXT_KEYS else value) for name, value in context.items()}


def _after_commit(session):
    ids = session.info.pop("outbox_ids", None)
    if not ids:
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:
        return  # no application: the sweep or the next relay picks them up
    from portal.jobs.outbox import relay

    try:
        relay(app, ids)
    except Exception:  # noqa: BLE001 - the change is committed; the sweep delivers later
        log.exception("outbox: relay after commit failed; %d message(s) wait for the sweep", len(ids))


def _after_rollback(session):
    session.info.pop("outbox_ids", None)  # those rows no longer exist


_installed = False


def install():
    global _installed
    if not _installed:
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
        _installed = True
