"""Why an admission action was refused, with a message for the person who asked.

The codes are the outside contract of data-formats.md (the JSON API returns
them); the HTTP status belongs to the API edge, the message to the user's
language.
"""
from flask_babel import lazy_gettext as _l

MESSAGES = {
    "validation_error": _l("Some of the information is missing or not valid."),
    "not_in_registry": _l("This personal number was not found in the population registry."),
    "not_parent_of_child": _l(
        "The registry does not show you as a parent or legal representative of this child."
    ),
    "not_eligible_age": _l(
        "This child is too young for first grade this year: only children born "
        "%(birth_from)s to %(birth_to)s can be registered."
    ),
    "commission_required": _l(
        "This child can be admitted only by a decision of the district Commission on "
        "Children's Affairs. Please apply to your district education department."
    ),
    "registration_closed": _l("Registration is not open now."),
    "outside_microdistrict": _l(
        "In the first stage a school accepts only children registered in its "
        "microdistrict. Your registered address is not in this school's microdistrict. "
        "If you think it should be, ask the school to check its list of addresses."
    ),
    "no_free_seats": _l("There are no free seats left in this school in this language."),
    "already_registered": _l("This child already has an active application."),
    "cancel_limit_reached": _l(
        "An application can be cancelled at most %(limit)s times; the limit has been reached."
    ),
    "representative_limit_reached": _l(
        "A legal representative can register at most %(limit)s children."
    ),
    "document_required": _l("Please upload the document that proves this (PDF, JPEG or PNG, up to 5 MB)."),
    "proof_rejected": _l(
        "The school did not accept the proof that you teach there for this child. Another document does not "
        "reopen it: to contest the decision, appeal to your district education department."
    ),
    "document_limit_reached": _l(
        "You have uploaded %(limit)s documents that are not attached to an application yet. Submit an "
        "application with one of them, or try again later: documents not used within %(hours)s hours are deleted."
    ),
    "appeal_limit_reached": _l(
        "You can send at most %(limit)s appeals in a day. The district education department answers "
        "each one; please try again tomorrow."
    ),
    "appeal_already_open": _l(
        "An appeal about this application is already waiting for the district education department's "
        "answer. You can send another one once it is answered."
    ),
    # A child the registry does not show, added by the parent (2026 text, obligations of the applicant).
    "child_already_shown": _l(
        "The population registry already shows this child as yours: choose the child in the list of your "
        "children, there is no need to add them."
    ),
    "child_linked_to_another_parent": _l(
        "The population registry links this child to another parent, so you cannot add the child here. "
        "Please contact the civil registry office or the ministry's call centre."
    ),
    "child_claimed_by_another": _l(
        "Another applicant has already added a child with this personal number. Please contact the ministry's "
        "call centre."
    ),
    "child_already_added": _l("You have already added this child."),
    "claim_data_mismatch": _l(
        "The date of birth does not match what the population registry holds for this personal number. "
        "Please check the birth certificate."
    ),
    "unauthorized": _l("Please sign in again."),
    "rate_limited": _l("Too many attempts. Please wait a little and try again."),
    "registry_unavailable": _l(
        "The population registry is not answering right now. Nothing was lost: "
        "please try again in a few minutes."
    ),
    "school_not_available": _l("This school does not take part in electronic registration."),
    "not_found": _l("Not found."),
    "not_allowed": _l("This action is not allowed now."),
    "not_configured": _l("Sign-in with Түндүк is not available on this service."),
    "confirmation_required": _l(
        "This application was made from another e-mail address or phone number. To protect it, we have "
        "sent a code to %(contact)s: enter it to confirm."
    ),
    # Not refusals by the rules, but the API's answers when the service fails (portal/errors.py).
    "service_unavailable": _l(
        "The service is not answering right now and nothing was saved. "
        "Please try again in a few minutes."
    ),
    "server_error": _l("Something went wrong on our side. Please try again later."),
}


class Refusal(Exception):
    """A refusal by the rules, the one base of every refusal (the parents' side
    and the staff side): a stable `code`, its parameters, a `message` in the
    current locale from the class's MESSAGES, and `keep_changes`: True when what
    was flushed before the refusal must still be committed (a failed code attempt
    counts even though the sign-in is refused). The edges commit or roll back
    through `portal.unit_of_work`."""

    MESSAGES = {}

    def __init__(self, code, *, keep_changes=False, **params):
        super().__init__(code)
        self.code = code
        self.params = params
        self.keep_changes = keep_changes

    @property
    def message(self):
        text = str(self.MESSAGES[self.code])
        try:
            return text % self.params if self.params else text
        except (KeyError, TypeError):
            return text


class AdmissionError(Refusal):
    """A refusal of the admission rules; its codes are the JSON API's (data-formats.md)."""

    MESSAGES = MESSAGES
