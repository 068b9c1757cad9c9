"""The JSON shapes of data-formats.md."""
from portal.admission import claims as claimed
from portal.admission.calendar import proof_check_deadline
from portal.admission.applications import position
from portal.admission.cancelling import cancellations_left


def _name(record, locale):
    return record.name_ru if locale == "ru" else record.name_ky


def school(choice, locale):
    return {
        "code": choice.school.code,
        "name": _name(choice.school, locale),
        "district_code": choice.school.district.code,
        "languages": [
            {"language": p.language, "seats": p.seats, "taken": p.taken, "free": p.free}
            for p in choice.pools
        ],
    }


def person_name(person):
    return " ".join(part for part in (person.last_name, person.first_name, person.patronymic) if part)


def me(applicant, person, children, claims=()):
    """`children`: the registry's and the ones the applicant added (`claims`), which
    carry `"added": true` and the state of the claim."""
    states = {claim.child_pin: claim.state for claim in claims}
    return {
        "applicant": {"pin": applicant.pin, "name": person_name(person) if person else None},
        "children": [
            {
                "pin": child.pin,
                "name": person_name(child),
                "birth_date": child.birth_date.isoformat(),
                "sex": child.sex,
                "relation": link.relation,
                "added": child.pin in states,
                "claim_state": states.get(child.pin),
            }
            for link, child in children
        ],
    }


def claim(record):
    """A child the applicant added (a claim of a link the registry does not show)."""
    return {
        "id": record.id,
        "child_pin": record.child_pin,
        "last_name": record.child_last_name,
        "first_name": record.child_first_name,
        "patronymic": record.child_patronymic,
        "sex": record.child_sex,
        "birth_date": record.child_birth_date.isoformat(),
        "certificate_series": record.certificate_series,
        "certificate_number": record.certificate_number,
        "state": record.state,  # unverified, confirmed, rejected, superseded
        "created_at": record.created_at.isoformat(),
        "rejection_reason": record.rejection_reason,
        "rejection_note": record.rejection_note,
    }


def claim_check(app):
    """A child the applicant added: the director's check of the original birth
    certificate (null: the registry shows the link, nothing to check)."""
    record = claimed.claim_of_application(app)
    if record is None:
        return None
    return {
        "status": record.state,
        "until": claimed.claim_check_deadline(app.campaign).date().isoformat(),
        "reason": record.rejection_reason,
        "note": record.rejection_note,
    }


def application(app):
    return {
        "number": app.number,
        "status": app.status,
        "child_pin": app.child_pin,
        "child_name": " ".join(p for p in (app.child_last_name, app.child_first_name, app.child_patronymic) if p),
        "school_code": app.school.code,
        "language": app.language,
        "stage": app.stage,
        "over_quota": app.over_quota,
        "category": app.category,
        "position": position(app),
        "cancellations_left": cancellations_left(app),
        "created_at": app.created_at.isoformat(),
        "history": [
            {"status": event.status, "at": event.at.isoformat(), "by": event.by}
            for event in app.history
        ],
        "proof_check": proof_check(app),
        "claim_check": claim_check(app),
    }


def proof_check(app):
    """R7, R9: the director's check of the proof the admission rests on (null: none)."""
    document = app.proof_document
    if document is None:
        return None
    return {
        "status": document.verification,  # pending, accepted, rejected
        "until": proof_check_deadline(app.campaign).date().isoformat(),
        "reason": document.rejection_reason,
        "note": document.rejection_note,
    }


def contacts(applicant, current_contact_id):
    """The applicant's bound contacts, oldest first; `current` marks the one this
    sign-in came through (none after a sign-in with Түндүк)."""
    return {
        "contacts": [
            {"id": contact.id, "channel": contact.channel, "address": contact.address,
             "bound_at": contact.bound_at.isoformat(), "current": contact.id == current_contact_id}
            for contact in applicant.active_contacts
        ]
    }
