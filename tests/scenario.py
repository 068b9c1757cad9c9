"""The sample data set and its people (portal/sample_data/scenario.json), and
helpers that drive the API as a parent would."""
import csv
import json
import os
import re
from datetime import datetime, timedelta, timezone

from portal.extensions import db

SAMPLE_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "portal", "sample_data")
with open(os.path.join(SAMPLE_DIR, "scenario.json"), encoding="utf-8") as f:
    SCENARIO = json.load(f)
# What the sample registry holds as each person's identity document number.
with open(os.path.join(SAMPLE_DIR, "registry_persons.csv"), encoding="utf-8", newline="") as f:
    ID_DOCUMENTS = {row["pin"]: row["id_document"] for row in csv.DictReader(f) if row.get("id_document")}



def id_document(pin):
    """The identity document number the sample registry holds for a PIN (a made-up
    one for a PIN it does not know, so that a form is complete)."""
    return ID_DOCUMENTS.get(pin.replace(" ", ""), "ID0000000")


BISHKEK = timezone(timedelta(hours=6))
# The phases of the 2026 campaign of the sample data (CTFd-style names).
BEFORE_STAGE1 = datetime(2026, 3, 20, 12, 0, tzinfo=BISHKEK)
STAGE1 = datetime(2026, 4, 1, 10, 5, tzinfo=BISHKEK)
STAGE2 = datetime(2026, 6, 1, 10, 5, tzinfo=BISHKEK)
AFTER_CLOSE = datetime(2026, 9, 1, 9, 0, tzinfo=BISHKEK)


def load_sample():
    from portal.importer import import_folder

    import_folder(SAMPLE_DIR, echo=lambda *a, **k: None)
    db.session.commit()


def at(app, moment):
    app.config["FROZEN_NOW"] = moment


def sign_in(client, app, pin, email=None):
    """Sign in through the API with the code from the mail; returns auth headers."""
    email = email or f"{pin}@example.kg"
    sent = app.extensions["sent_mail"]
    before = len(sent)
    body = {"pin": pin, "email": email}
    if pin in ID_DOCUMENTS:
        body["id_document"] = ID_DOCUMENTS[pin]
    response = client.post("/api/v1/auth/start", json=body)
    assert response.status_code == 202, response.json
    assert len(sent) == before + 1, "no sign-in code was mailed"
    code = re.search(r"\b(\d{6})\b", sent[-1].get_content()).group(1)
    response = client.post("/api/v1/auth/verify", json={"pin": pin, "code": code})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def register(client, headers, child_pin, school_code, language="ky", **extra):
    return client.post(
        "/api/v1/applications",
        json={"child_pin": child_pin, "school_code": school_code, "language": language, **extra},
        headers=headers,
    )


def error_code(response):
    return response.json["error"]["code"]


def release_without_documents():
    """Turn on the campaign policy of the 2024 texts (R11): seats without documents
    are released automatically after the window (off for 2026)."""
    from sqlalchemy import select

    from portal.models import Campaign

    for campaign in db.session.scalars(select(Campaign)):
        campaign.policy = {**(campaign.policy or {}), "release_without_documents": True}
    db.session.commit()
