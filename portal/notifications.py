"""Notifications through the transactional outbox.

A message is written as an `OutboxMessage` row in the same transaction as the
change that causes it, so a rolled-back change sends nothing and a committed
one is never forgotten. After the commit the relay (`portal.jobs.outbox`)
delivers it: in-process on the embedded default (no REDIS_URL), through RQ in
production (the hand-over after the commit is the jobs package's: `portal.jobs.outbox.install_relay`,
registered by the app factory; this module only writes rows). Texts are templates under translation (`templates/mail/`: e-mail
`<name>.subject.txt` + `<name>.txt`, SMS `<name>.sms.txt`), rendered at
delivery time in the recipient's language.
"""
from flask import render_template
from flask_babel import force_locale
from sqlalchemy import JSON, String, cast, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.extensions import db
from portal.models import ApplicantContact, OutboxMessage, utcnow
from portal.models.types import UTCDateTime

# Context values that are secrets: kept only until the message is sent.
SECRET_CONTEXT_KEYS = ("code",)
_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def enqueue(*, template, recipient, locale, context, key, channel="email", application_id=None):
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
        next_attempt_at=now, created_at=now, application_id=application_id,
    )
    if dialect in _INSERTS:
        # ON CONFLICT DO NOTHING: two deadline runs at once write one message.
        statement = statement.on_conflict_do_nothing(index_elements=["idempotency_key"])
    message_id = db.session.execute(statement.returning(table.c.id)).scalar()
    if message_id is not None:
        db.session.info.setdefault("outbox_ids", []).append(message_id)
    return message_id


def _application_context(application):
    school, campaign = application.school, application.campaign
    return {
        "number": application.number,
        "school_code": school.code,
        "school_name_ky": school.name_ky,
        "school_name_ru": school.name_ru,
        "language": application.language,
        "child_first_name": application.child_first_name,
        "child_sex": application.child_sex,  # Russian agrees the verb with it ("записана")
        # The campaign's dates and choices, not the text's (R11: a ministry may move them).
        "documents_from": campaign.documents_from.strftime("%d.%m.%Y"),
        "documents_until": campaign.documents_until.strftime("%d.%m.%Y"),
        "release_without_documents": bool(campaign.setting("release_without_documents")),
    }


def _contact_key(key, contact_id):
    # The contact's id, not its address: keys outlive retention's erasure of addresses.
    return f"{key}:c{contact_id}"


def notify_contacts(contacts, template, *, locale, key, context, application_id=None):
    """One message per contact, each by its own channel (e-mail or SMS), in the
    applicant's language; `key` is made unique per contact. `application_id`:
    the application the message is about, if any (its page lists it)."""
    if any(contact.id is None for contact in contacts):
        db.session.flush()
    return [
        enqueue(template=template, recipient=contact.address, locale=locale, context=context,
                key=_contact_key(key, contact.id), channel=contact.channel, application_id=application_id)
        for contact in contacts
    ]


def notify_applicant(applicant, template, application, *, previous=None, extra=None):
    """Tell an applicant about an application, at every contact bound to them
    (trust: a change is never told only to whoever made it). `previous` is the
    application a move left.

    One INSERT ... SELECT over the applicant's active contacts: a registration
    pays one statement for its notice however many contacts there are."""
    context = _application_context(application)
    if previous is not None:
        before = _application_context(previous)
        context.update({f"previous_{name}": value for name, value in before.items()})
    context.update(extra or {})
    if "contacts" in applicant.__dict__:  # already loaded: no need to ask the database
        return notify_contacts(applicant.active_contacts, template, locale=applicant.locale, context=context,
                               key=f"{template}:{application.number}:{application.status}",
                               application_id=application.id)
    db.session.flush()
    now = utcnow()
    table, contacts = OutboxMessage.__table__, ApplicantContact.__table__
    key = f"{template}:{application.number}:{application.status}"
    rows = select(
        (literal(key + ":c") + cast(contacts.c.id, String)).label("idempotency_key"),
        contacts.c.channel, contacts.c.address,
        literal(applicant.locale or "ky"), literal(template), literal(context, JSON),
        literal("pending"), literal(0), literal(now, UTCDateTime), literal(now, UTCDateTime),
        literal(application.id),
    ).where(contacts.c.applicant_id == applicant.id, contacts.c.removed_at.is_(None))
    columns = ["idempotency_key", "channel", "recipient", "locale", "template", "context", "state", "attempts",
               "next_attempt_at", "created_at", "application_id"]
    dialect = db.session.get_bind().dialect.name
    statement = (_INSERTS[dialect](table) if dialect in _INSERTS else insert(table)).from_select(columns, rows)
    if dialect in _INSERTS:
        statement = statement.on_conflict_do_nothing(index_elements=["idempotency_key"])
    ids = list(db.session.execute(statement.returning(table.c.id)).scalars())
    if ids:
        db.session.info.setdefault("outbox_ids", []).extend(ids)
    return ids


def notify_recorded_contacts(contacts, template, application, *, locale, extra=None):
    """Tell about an application at contacts that no sign-in bound: those a
    commission recorded for the applicant it named (§3). `contacts`:
    [(channel, address)], at most one per channel; keyed by the channel, not the
    address (keys outlive retention's erasure of addresses)."""
    context = _application_context(application)
    context.update(extra or {})
    return [
        enqueue(template=template, recipient=address, locale=locale, context=context, channel=channel,
                key=f"{template}:{application.number}:{application.status}:recorded-{channel}")
        for channel, address in contacts
    ]


def notify_staff(user, template, *, context, key):
    """Tell a staff user (by e-mail, in the user's language)."""
    if not user.email:
        return None
    return enqueue(template=template, recipient=user.email, locale=user.locale, context=context, key=key)


def messages_about(application):
    """The messages written about `application`, oldest first (for the staff's view)."""
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.application_id == application.id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()


def masked_recipient(message):
    """Who a message went to, as the staff may see it: a number's last 3 digits,
    an address's domain. The rest (and the body, with any sign-in code) is not shown."""
    recipient = message.recipient or ""
    if message.channel == "sms":
        return "•" * max(len(recipient) - 3, 0) + recipient[-3:]
    local, _at, domain = recipient.rpartition("@")
    return f"•••@{domain}" if local else "•••"


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
