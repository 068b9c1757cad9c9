"""The JSON shapes of data-formats.md."""
from portal.admission.calendar import proof_check_deadline
from portal.admission.registration import cancellations_left, position


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


def me(applicant, person, children):
    return {
        "applicant": {"pin": applicant.pin, "name": person_name(person) if person else None},
        "children": [
            {
                "pin": child.pin,
                "name": person_name(child),
                "birth_date": child.birth_date.isoformat(),
                "sex": child.sex,
                "relation": link.relation,
            }
            for link, child in children
        ],
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
