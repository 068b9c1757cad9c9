"""The campaign now running (kept a few seconds: `reference`)."""
from portal.admission import reference
from portal.admission.errors import AdmissionError


def current_campaign():
    """The campaign now running: the newest one (kept a few seconds: `reference`)."""
    return reference.campaign()


def campaign_or_closed():
    """The campaign now running; refused as `registration_closed` when there is none."""
    campaign = current_campaign()
    if campaign is None:
        raise AdmissionError("registration_closed")
    return campaign
