"""Helpers that drive the public form with the Flask test client, as a parent would."""
import html
import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import School, SeatPool
from tests.scenario import ID_DOCUMENTS

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def page(response):
    """The page's HTML with entities resolved, so that texts read as written."""
    return html.unescape(response.get_data(as_text=True))


def mailed_code(app):
    return re.search(r"\b(\d{6})\b", app.extensions["sent_mail"][-1].get_content()).group(1)


def sign_in(client, app, pin, email=None, id_document=None):
    """Sign in through the form with the code from the mail (the identity document
    number the sample registry holds, unless another is given)."""
    sent = app.extensions["sent_mail"]
    before = len(sent)
    response = client.post("/sign-in", data={"pin": pin, "contact": email or f"{pin}@example.kg",
                                             "id_document": id_document or ID_DOCUMENTS.get(pin, "ID0000000")})
    assert response.status_code == 302, page(response)
    assert len(sent) == before + 1, "no sign-in code was mailed"
    response = client.post("/sign-in/code", data={"code": mailed_code(app)})
    assert response.status_code == 302, page(response)
    return response


def child_refs(client):
    """The opaque references of the children on the children page, in its order."""
    return list(dict.fromkeys(re.findall(r"/register/child/([0-9a-f]+)", page(client.get("/children")))))


def school_values(response):
    return re.findall(r'name="choice" value="([^"]+)"', page(response))


def first_language(school_code):
    return db.session.scalars(
        select(SeatPool.language).join(School).where(School.code == school_code, SeatPool.seats > 0)
        .order_by(SeatPool.language)
    ).first()


def register(client, ref, school_code, language=None, *, teacher="no", document=None):
    """Walk the steps for one child; returns the response of the final submit."""
    language = language or first_language(school_code)
    assert client.get(f"/register/child/{ref}").status_code == 302
    response = client.post("/register/school", data={"choice": f"{school_code}:{language}"})
    assert response.status_code == 302, page(response)
    about = client.get("/register/about-you")
    if about.status_code == 200:
        data = {"teacher": teacher}
        if document is not None:
            data["document"] = document
        response = client.post("/register/about-you", data=data, content_type="multipart/form-data")
        assert response.status_code == 302, page(response)
        if response.location.endswith("/register/teacher-proof"):
            response = client.post("/register/teacher-proof", data={}, content_type="multipart/form-data")
            assert response.status_code == 302, page(response)
    return client.post("/register/check")


def application_number(response):
    match = re.search(r"/applications/([0-9A-Z-]+)/confirmation", response.location or "")
    assert match, f"not registered: {page(response)[-1500:]}"
    return match.group(1)
