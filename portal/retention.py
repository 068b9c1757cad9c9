"""Personal data lifecycle: anonymise campaigns past their retention period.

A campaign's personal data is kept `retention_days` (campaign policy) after its
document window closes (§7: the period is set by the authorised state body;
the setting holds it). `run(now)` then, for every such campaign not yet done:

- applications keep school, language, stage, category, over-quota, status,
  the child's sex and birth year (statistics); the child's PIN, names and birth
  date go (the PIN becomes a placeholder that can never be a real PIN);
- status history notes, appeals' texts and answers, commission decisions'
  child PIN, grounds and the applicant the commission named (name, PIN, phone,
  e-mail) are erased;
- uploaded documents: the files are deleted from storage, the rows keep only
  their kind, type, size, verification and the code of a rejection's reason
  (the director's note goes);
- applicants whose every application and appeal belongs to a campaign past
  retention lose PIN, e-mail and phone; their API tokens and sign-in codes are
  deleted and the messages sent to them lose recipient and content;
- sign-in codes and API tokens made before the campaign's end are deleted, and
  outbox messages made before it lose recipient and content (codes asked for
  PINs that never signed in, messages to staff);
- the audit trail's payloads (`before`, `after`) about those records are
  erased through the one path its trigger allows (portal/audit_chain.py);
- one audit entry records the counts.

Everything goes through Core statements so that the audit listener records
no before/after copies of what is being erased. Running it again changes
nothing. Nothing here commits: the command does, or rolls back for a dry run.
"""
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, delete, func, null, or_, select, text, update

from portal import audit, audit_chain
from portal.admission.calendar import local_zone
from portal.extensions import db
from portal.models import (
    ApiToken,
    Appeal,
    Applicant,
    ApplicantContact,
    Application,
    ApplicationEvent,
    AuditEntry,
    AuditSeal,
    Campaign,
    ClaimedChild,
    CommissionDecision,
    Document,
    OutboxMessage,
    SignInCode,
)

CHUNK = 500
ERASED_STORAGE = "erased:"


def placeholder(kind, row_id):
    """A stand-in for an erased PIN: 14 characters, unique per row, never all digits."""
    return f"{kind}{row_id:013d}"


def retention_ends(campaign):
    """The moment the campaign's personal data is due for anonymisation."""
    last_day = campaign.documents_until + timedelta(days=campaign.setting("retention_days"))
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=local_zone())


def campaign_end(campaign):
    """The end of the campaign's document window (its last act with the families)."""
    return datetime.combine(campaign.documents_until + timedelta(days=1), time(0), tzinfo=local_zone())


def due_campaigns(now):
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.personal_data_erased_at.is_(None)).order_by(Campaign.year)
    ).all()
    return [campaign for campaign in campaigns if retention_ends(campaign) <= now]


@dataclass
class Report:
    campaigns: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    erased_at: datetime | None = None

    def add(self, name, count):
        self.counts[name] = self.counts.get(name, 0) + (count or 0)

    def as_dict(self):
        return {"campaigns": self.campaigns, **self.counts,
                "erased_at": audit_chain.erasure_key(self.erased_at) if self.erased_at else None}


COUNTED = (
    "applications", "application_event_notes", "commission_decisions", "appeals", "documents",
    "document_files", "applicants", "applicant_contacts", "claimed_children", "sign_in_codes", "api_tokens",
    "outbox_messages",
    "audit_payloads_erased", "audit_payloads_not_erasable",
)


def run(*, now, dry_run=False):
    """Anonymise every campaign past retention; returns a Report. Flushes, never commits."""
    report = Report(counts={name: 0 for name in COUNTED}, erased_at=now)
    campaigns = due_campaigns(now)
    if not campaigns:
        return report
    report.campaigns = [campaign.year for campaign in campaigns]
    done = {campaign.id for campaign in campaigns}
    newest_end = max(campaign_end(campaign) for campaign in campaigns)
    # Entries about to be erased must be sealed first, with their payload's digest
    # (sealing detaches the session's objects: only ids are used from here on).
    audit_chain.seal(now=now)
    if db.engine.dialect.name == "postgresql":
        # The audit trigger lets this transaction, and only it, erase payloads.
        db.session.execute(text("SELECT set_config('mektep.retention', 'on', true)"))
    erased = {}
    for campaign_id in sorted(done):
        _erase_campaign(campaign_id, report, erased, dry_run=dry_run)
    _erase_applicants(done, newest_end, now, report, erased, dry_run=dry_run)
    _erase_transient(newest_end, report)
    _erase_audit_payloads(erased, now, report)
    db.session.execute(
        update(Campaign.__table__).where(Campaign.__table__.c.id.in_(done)).values(personal_data_erased_at=now)
    )
    audit.record("command", audit_chain.RETENTION_ENTITY, after=report.as_dict(),
                 note="dry run" if dry_run else None)
    db.session.flush()
    return report


def _ids(statement):
    return list(db.session.scalars(statement))


def _chunks(ids):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _erase_campaign(campaign_id, report, erased, *, dry_run):
    applications, events = Application.__table__, ApplicationEvent.__table__
    # A campaign is done in one transaction and marked, so every row of it is done once.
    rows = db.session.execute(
        select(applications.c.id, applications.c.child_birth_date)
        .where(applications.c.campaign_id == campaign_id).order_by(applications.c.id)
    ).all()
    application_ids = [row.id for row in rows]
    for chunk in _chunks(rows):
        db.session.execute(
            update(applications).where(applications.c.id == bindparam("row_id")).values(
                child_pin=bindparam("pin"), child_last_name="", child_first_name="", child_patronymic="",
                child_birth_date=bindparam("birth"),
            ),
            [{"row_id": row.id, "pin": placeholder("A", row.id),
              # The birth year stays for statistics; day and month go.
              "birth": date(row.child_birth_date.year, 1, 1)} for row in chunk],
        )
    report.add("applications", len(rows))
    erased.setdefault("applications", []).extend(application_ids)

    event_ids = []
    for chunk in _chunks(application_ids):
        event_ids += _ids(select(events.c.id).where(events.c.application_id.in_(chunk)))
        result = db.session.execute(
            update(events).where(events.c.application_id.in_(chunk), events.c.note.is_not(None))
            .values(note=None)
        )
        report.add("application_event_notes", result.rowcount)
    erased.setdefault("application_events", []).extend(event_ids)

    decisions = CommissionDecision.__table__
    decision_ids = _ids(select(decisions.c.id).where(decisions.c.campaign_id == campaign_id))
    # What was sent to the contacts a commission recorded for the applicant it named (§3).
    recorded = db.session.execute(
        select(decisions.c.applicant_pin, decisions.c.applicant_phone, decisions.c.applicant_email)
        .where(decisions.c.campaign_id == campaign_id)
    ).all()
    addresses = {address for row in recorded for address in (row.applicant_phone, row.applicant_email) if address}
    if addresses:
        _erase_messages_and_codes(pins={row.applicant_pin for row in recorded if row.applicant_pin},
                                  addresses=addresses, report=report)
    for chunk in _chunks(decision_ids):
        db.session.execute(
            update(decisions).where(decisions.c.id == bindparam("row_id"))
            .values(child_pin=bindparam("pin"), grounds="", applicant_name=None, applicant_pin=None,
                    applicant_phone=None, applicant_email=None),
            [{"row_id": row_id, "pin": placeholder("C", row_id)} for row_id in chunk],
        )
    report.add("commission_decisions", len(decision_ids))
    erased.setdefault("commission_decisions", []).extend(decision_ids)

    appeals = Appeal.__table__
    appeal_ids = _ids(select(appeals.c.id).where(appeals.c.campaign_id == campaign_id))
    db.session.execute(update(appeals).where(appeals.c.campaign_id == campaign_id).values(text="", answer=None))
    report.add("appeals", len(appeal_ids))
    erased.setdefault("appeals", []).extend(appeal_ids)

    documents = Document.__table__
    document_ids = []
    for chunk in _chunks(application_ids):
        document_ids += _ids(select(documents.c.id).where(documents.c.application_id.in_(chunk)))
    _erase_documents(document_ids, report, erased, dry_run=dry_run)


def _erase_documents(document_ids, report, erased, *, dry_run):
    documents = Document.__table__
    erased.setdefault("documents", []).extend(document_ids)
    for chunk in _chunks(document_ids):
        rows = db.session.execute(
            select(documents.c.id, documents.c.storage_key)
            .where(documents.c.id.in_(chunk), ~documents.c.storage_key.startswith(ERASED_STORAGE))
        ).all()
        for row in rows:
            path = os.path.join(current_app.config["UPLOAD_FOLDER"], row.storage_key[:2], row.storage_key)
            if os.path.exists(path):
                report.add("document_files", 1)
                if not dry_run:
                    # Deleted before the commit: should the commit fail, a rerun
                    # erases the rows again and finds the files already gone.
                    os.remove(path)
        if rows:
            db.session.execute(
                update(documents).where(documents.c.id == bindparam("row_id")).values(
                    owner_pin=bindparam("pin"), original_name="", sha256="", storage_key=bindparam("key"),
                    rejection_note=None,  # the director's words about the person (R7, R9)
                ),
                [{"row_id": row.id, "pin": placeholder("D", row.id), "key": f"{ERASED_STORAGE}{row.id}"}
                 for row in rows],
            )
        report.add("documents", len(rows))


def _erase_applicants(done, newest_end, now, report, erased, *, dry_run):
    """Applicants with nothing in a campaign still within retention."""
    applicants, applications, appeals = Applicant.__table__, Application.__table__, Appeal.__table__
    # Campaigns still within retention (those of this run are not marked yet).
    live = set(_ids(select(Campaign.id).where(Campaign.personal_data_erased_at.is_(None)))) - done
    busy = select(applications.c.applicant_id).where(applications.c.campaign_id.in_(live)).union(
        select(appeals.c.applicant_id).where(appeals.c.campaign_id.in_(live))
    )
    took_part = select(applications.c.applicant_id).where(applications.c.campaign_id.in_(done)).union(
        select(appeals.c.applicant_id).where(appeals.c.campaign_id.in_(done))
    )
    applicant_ids = _ids(
        select(applicants.c.id).where(
            applicants.c.anonymised_at.is_(None),
            applicants.c.id.not_in(busy),
            # Those who only signed in are erased with the campaign they signed in for.
            or_(applicants.c.id.in_(took_part), applicants.c.created_at < newest_end),
        ).order_by(applicants.c.id)
    )
    documents, contacts = Document.__table__, ApplicantContact.__table__
    for chunk in _chunks(applicant_ids):
        pins = select(applicants.c.pin).where(applicants.c.id.in_(chunk))
        # Uploads never attached to an application (a form left half-way).
        loose = _ids(select(documents.c.id).where(documents.c.application_id.is_(None),
                                                  documents.c.owner_pin.in_(pins)))
        _erase_documents(loose, report, erased, dry_run=dry_run)
        report.add("api_tokens", db.session.execute(
            delete(ApiToken.__table__).where(ApiToken.__table__.c.applicant_id.in_(chunk))).rowcount)
        bound = db.session.execute(
            select(contacts.c.id, contacts.c.address).where(contacts.c.applicant_id.in_(chunk))
        ).all()
        _erase_messages_and_codes(
            pins=set(db.session.scalars(pins)),
            addresses={row.address for row in bound},
            report=report,
        )
        # Children they added (claims): the child's PIN, names and certificate go with them.
        claimed = _ids(select(ClaimedChild.__table__.c.id).where(ClaimedChild.__table__.c.applicant_id.in_(chunk)))
        report.add("claimed_children", db.session.execute(
            delete(ClaimedChild.__table__).where(ClaimedChild.__table__.c.id.in_(claimed))).rowcount)
        erased.setdefault("claimed_children", []).extend(claimed)
        # The applications stay (statistics); which contact made them goes with the contacts.
        db.session.execute(update(applications).where(applications.c.applicant_id.in_(chunk)).values(contact_id=None))
        report.add("applicant_contacts", db.session.execute(
            delete(contacts).where(contacts.c.applicant_id.in_(chunk))).rowcount)
        erased.setdefault("applicant_contacts", []).extend(row.id for row in bound)
        db.session.execute(
            update(applicants).where(applicants.c.id == bindparam("row_id"))
            .values(pin=bindparam("pin"), anonymised_at=now),
            [{"row_id": row_id, "pin": placeholder("P", row_id)} for row_id in chunk],
        )
    report.add("applicants", len(applicant_ids))
    erased.setdefault("applicants", []).extend(applicant_ids)


def _erase_messages_and_codes(*, pins, addresses, report):
    """What was sent to these people, whenever it was sent."""
    codes, outbox = SignInCode.__table__, OutboxMessage.__table__
    report.add("sign_in_codes", db.session.execute(
        delete(codes).where(or_(codes.c.pin.in_(pins), codes.c.contact.in_(addresses)))).rowcount)
    report.add("outbox_messages", db.session.execute(
        update(outbox).where(outbox.c.recipient.in_(addresses))
        .values(recipient="", context={}, last_error=None)).rowcount)


def _erase_transient(newest_end, report):
    """Codes, tokens and messages are not tied to a campaign: those made before its end go."""
    codes, tokens, outbox = SignInCode.__table__, ApiToken.__table__, OutboxMessage.__table__
    report.add("sign_in_codes", db.session.execute(
        delete(codes).where(codes.c.created_at < newest_end)).rowcount)
    report.add("api_tokens", db.session.execute(
        delete(tokens).where(tokens.c.created_at < newest_end)).rowcount)
    report.add("outbox_messages", db.session.execute(
        update(outbox).where(outbox.c.created_at < newest_end,
                             or_(outbox.c.recipient != "", outbox.c.last_error.is_not(None)))
        .values(recipient="", context={}, last_error=None)).rowcount)


def _erase_audit_payloads(erased, now, report):
    entries, seals = AuditEntry.__table__, AuditSeal.__table__
    with_digest = select(seals.c.entry_id).where(seals.c.payload_digest.is_not(None))
    for entity, row_ids in erased.items():
        keys = sorted({str(row_id) for row_id in row_ids})
        for chunk in _chunks(keys):
            about = and_(entries.c.entity == entity, entries.c.entity_id.in_(chunk),
                         entries.c.erased_at.is_(None),
                         or_(entries.c.before.is_not(None), entries.c.after.is_not(None)))
            result = db.session.execute(
                update(entries).where(about, entries.c.id.in_(with_digest))
                .values(before=null(), after=null(), erased_at=now)
            )
            report.add("audit_payloads_erased", result.rowcount)
            # Sealed before 0005 (no digest) or not sealed: erasing would break the chain.
            report.add("audit_payloads_not_erasable", db.session.scalar(
                select(func.count()).select_from(entries).where(about)))
