"""Referral to a special school (§18, §23).

§18 (2026): where a child with special educational needs is found after the
admission, the director may turn to the psychological-medical-pedagogical
commission (ПМПК) and, on its conclusion, propose to send the child to a
special school. §23: admission to auxiliary schools and correctional classes
happens only on a ПМПК conclusion, outside the electronic registration.

So the director's referral, citing the conclusion (its number and date), ends
the application here as `transferred_to_special_school` through the status
machine, which releases its seat for the next parent, and the parent is told
what happened and how to appeal. The conclusion is kept in the status history
(the event's note) and in the message.
"""
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.admission.calendar import today_local
from portal.admission.errors import MESSAGES as ADMISSION_MESSAGES
from portal.admission.errors import Refusal
from portal.admission.status import can_change, change_status
from portal.extensions import db
from portal.notifications import notify_applicant

TRANSFERRED = "transferred_to_special_school"
TEMPLATE = TRANSFERRED
MAX_NUMBER = 50

MESSAGES = {
    "conclusion_number_required": _l("Number of the PMPK conclusion: enter it as written on the conclusion "
                                     "(at most %(limit)s characters)."),
    "conclusion_date_required": _l("Date of the PMPK conclusion: enter it; it cannot be later than today."),
    "not_allowed": ADMISSION_MESSAGES["not_allowed"],
}
FIELDS = {"conclusion_number_required": "conclusion_number", "conclusion_date_required": "conclusion_date"}


class ReferralRefused(Refusal):
    MESSAGES = MESSAGES

    @property
    def field(self):
        return FIELDS.get(self.code)


def may_refer(application):
    """The application is one the status machine lets end by a referral."""
    return can_change(application, TRANSFERRED)


def conclusion_note(number, on):
    """The conclusion as the status history keeps it (not translated: a record)."""
    return f"ПМПК № {number}, {on.strftime('%d.%m.%Y')}"


def refer_to_special_school(application, *, conclusion_number, conclusion_date, now, by="school"):
    """End the application on a ПМПК conclusion: its seat is released and the
    parent is told. Flushes; the caller commits."""
    number = (conclusion_number or "").strip()
    if not number or len(number) > MAX_NUMBER:
        raise ReferralRefused("conclusion_number_required", limit=MAX_NUMBER)
    if not isinstance(conclusion_date, date) or conclusion_date > today_local(now):
        raise ReferralRefused("conclusion_date_required")
    # Read afresh and locked: a parent may have cancelled since the page was shown.
    db.session.refresh(application, with_for_update=True)
    if not may_refer(application):
        raise ReferralRefused("not_allowed")
    change_status(application, TRANSFERRED, by=by, note=conclusion_note(number, conclusion_date))
    notify_applicant(application.applicant, TEMPLATE, application,
                     extra={"conclusion_number": number, "conclusion_date": conclusion_date.strftime("%d.%m.%Y")})
    return application
