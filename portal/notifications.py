"""Notifications through the transactional outbox.

A message is written as an `OutboxMessage` row in the same transaction as the
change that causes it, so a rolled-back change sends nothing and a committed
one is never forgotten. After the commit the relay delivers it: in-process on
the embedded default (no REDIS_URL), through RQ in production. Texts are mail
templates under translation (`templates/mail/`), rendered at delivery time in
the recipient's language.
"""
import logging

from flask import after_this_request, current_app, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal import mail
from portal.extensions import db
from portal.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)


def enqueue(*, template, recipient, locale, context, key, channel="email"):
    """Write one message to the outbox (idempotent by `key`)."""
    message = OutboxMessage(
        idempotency_key=key,
        channel=channel,
        recipient=recipient,
        locale=locale or "ky",
        template=template,
        context=context,
    )
    db.session.add(message)
    db.session.info["outbox_dirty"] = True
    return message


def notify_applicant(applicant, template, application):
    school = application.school
    return enqueue(
        template=template,
        recipient=applicant.email,
        locale=applicant.locale,
        key=f"{template}:{application.number}:{application.status}",
        context={
            "number": application.number,
            "school_code": school.code,
            "school_name_ky": school.name_ky,
            "school_name_ru": school.name_ru,
            "language": application.language,
            "child_first_name": application.child_first_name,
        },
    )


def render(message):
    with force_locale(message.locale):
        subject = render_template(f"mail/{message.template}.subject.txt", **message.context).strip()
        body = render_template(f"mail/{message.template}.txt", **message.context)
    return subject, body


def deliver(message_id, session=None):
    """Deliver one message if it is still due; safe to call twice."""
    session = session or db.session
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.state == "sent":
        session.rollback()
        return False
    subject, body = render(message)
    message.attempts += 1
    try:
        mail.send(message.recipient, subject, body)
    except Exception as error:  # noqa: BLE001 - any failure is retried later
        message.last_error = type(error).__name__
        message.state = "failed" if message.attempts >= 5 else "pending"
        session.commit()
        return False
    message.state, message.sent_at = "sent", utcnow()
    session.commit()
    return True


def deliver_pending(limit=100, session=None):
    """The in-process relay: deliver what is due (embedded default)."""
    session = session or db.session
    ids = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    session.rollback()  # end the read: on SQLite it holds the write lock
    return sum(1 for message_id in ids if deliver(message_id, session))


def _after_commit(session):
    if not session.info.pop("outbox_dirty", False):
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:
        return
    if not app.config.get("OUTBOX_DELIVER_INLINE", True):
        return  # a relay process picks it up
    # Deliver after the commit, outside the flush machinery: in a request, once
    # the response is ready; in a command or job, at once.
    if has_request_context():
        @after_this_request
        def _relay(response):
            deliver_pending()
            return response
    else:
        # The committing session cannot run SQL inside its own after_commit.
        with Session(bind=db.engine) as own_session:
            deliver_pending(session=own_session)


_installed = False


def install():
    global _installed
    if not _installed:
        event.listen(Session, "after_commit", _after_commit)
        _installed = True
