"""Registering through the public form: the rules of the domain, seen by a parent."""
import io

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Application, Document, RegistryPerson, SeatPool
from portal.registry import RegistryUnavailable
from tests.public_form import (
    PDF,
    application_number,
    child_refs,
    first_language,
    page,
    register,
    school_values,
    sign_in,
)
from tests.scenario import BEFORE_STAGE1, SCENARIO, AFTER_CLOSE, at, id_document


def _signed_in(client, app, key):
    person = SCENARIO[key]
    client.get("/lang/en")  # the assertions read English
    sign_in(client, app, person["parent_pin"])
    return person


def test_r2_stage1_registration_walks_every_step_to_a_printable_confirmation(sample, client):
    person = _signed_in(client, sample, "stage1_parent")
    (ref,) = child_refs(client)[:1]
    client.get(f"/register/child/{ref}")
    school_page = client.get("/register/school")
    assert school_page.status_code == 200
    assert f"{person['school_code']}:{first_language(person['school_code'])}" in school_values(school_page)
    response = register(client, ref, person["school_code"])
    number = application_number(response)
    confirmation = client.get(response.location)
    html = page(confirmation)
    assert confirmation.status_code == 200 and number in html
    assert "@media print" in page(client.get("/static/site.css"))
    application = db.session.scalars(select(Application).where(Application.number == number)).one()
    assert application.child_pin == person["child_pin"] and application.stage == 1
    # The mail carries the number too.
    assert number in sample.extensions["sent_mail"][-1].get_content()
    # My applications: status and place in the order.
    mine = page(client.get("/applications"))
    assert number in mine
    detail = page(client.get(f"/applications/{number}"))
    assert "3 / 3" in detail or "3 of 3" in detail


def test_r2_outside_the_microdistrict_is_not_offered_and_is_refused_with_its_message(sample, client):
    person = _signed_in(client, sample, "outside_parent")
    ref = child_refs(client)[0]
    client.get(f"/register/child/{ref}")
    school = person["not_allowed_school"]
    value = f"{school}:{first_language(school)}"
    listing = client.get("/register/school")
    assert value not in school_values(listing)
    assert "No school's microdistrict includes your registered address" in page(listing)
    # Posted anyway (an old page, a crafted form): the form refuses the choice.
    refused = client.post("/register/school", data={"choice": value})
    assert refused.status_code == 422 and 'href="#choice-0"' in page(refused)
    # "My school is not in the list": the domain's refusal and what to do, at once.
    elsewhere = client.get("/register/school/other")
    assert value in school_values(elsewhere), "the district of the registered address is shown"
    answer = client.post("/register/school/other", data={"choice": value})
    assert answer.status_code == 422
    html = page(answer)
    assert "Your registered address is not in this school's microdistrict" in html
    assert "/appeal" in html and 'href="#choice-0"' in html
    # And the domain refuses it at submission too (a draft from elsewhere).
    with client.session_transaction() as session:
        session["draft"] = {**session["draft"], "school": school, "language": first_language(school)}
    response = client.post("/register/check")
    assert response.status_code == 422
    assert "microdistrict" in page(response) and 'href="/register/school"' in page(response)
    assert db.session.scalar(select(func.count(Application.id))) == 0


def test_another_school_that_is_in_the_catchment_is_accepted_from_the_other_list(sample, client):
    person = _signed_in(client, sample, "stage1_parent")
    client.get(f"/register/child/{child_refs(client)[0]}")
    value = f"{person['school_code']}:{first_language(person['school_code'])}"
    chosen = client.post("/register/school/other?district=GB-LEN", data={"choice": value})
    assert chosen.status_code == 302 and chosen.location.endswith("/register/about-you")


def test_registration_is_closed_before_stage1_and_after_closing(sample, client):
    person = _signed_in(client, sample, "stage1_parent")
    ref = child_refs(client)[0]
    at(sample, BEFORE_STAGE1)
    client.get(f"/register/child/{ref}")
    preview = client.get("/register/school")
    assert preview.status_code == 200 and school_values(preview) == []
    assert person["school_code"] in page(preview) or "39" in page(preview)
    at(sample, AFTER_CLOSE)
    assert school_values(client.get("/register/school")) == []


def test_r6_twins_are_registered_together_in_one_submission(sample, client):
    person = _signed_in(client, sample, "twins")
    children = page(client.get("/children"))
    assert "/register/together" in children
    refs = child_refs(client)
    form = client.get("/register/together")
    assert form.status_code == 200
    too_few = client.post("/register/together", data={"children": refs[:1]})
    assert too_few.status_code == 422 and 'href="#children-0"' in page(too_few)
    chosen = client.post("/register/together", data={"children": refs})
    assert chosen.status_code == 302
    school, language = person["school_code"], first_language(person["school_code"])
    assert client.post("/register/school", data={"choice": f"{school}:{language}"}).status_code == 302
    # Twins are not asked about teaching: they come in as twins (R6).
    assert client.get("/register/about-you").status_code == 302
    response = client.post("/register/check")
    application_number(response)
    rows = db.session.scalars(select(Application).order_by(Application.id)).all()
    assert sorted(a.child_pin for a in rows) == sorted(person["child_pins"])
    assert [a.category for a in rows] == [None, "twin"] and rows[1].over_quota
    html = page(client.get(response.location))
    assert all(a.number in html for a in rows)


def test_r9_a_legal_representative_must_upload_the_act(sample, client):
    person = _signed_in(client, sample, "guardian")
    ref = child_refs(client)[0]
    client.get(f"/register/child/{ref}")
    school = person["school_code"]
    client.post("/register/school", data={"choice": f"{school}:{first_language(school)}"})
    about = client.get("/register/about-you")
    assert about.status_code == 200 and 'enctype="multipart/form-data"' in page(about)
    missing = client.post("/register/about-you", data={"teacher": "no"}, content_type="multipart/form-data")
    assert missing.status_code == 422 and 'href="#document"' in page(missing)
    not_a_pdf = client.post("/register/about-you", content_type="multipart/form-data",
                            data={"teacher": "no", "document": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "act.pdf")})
    assert not_a_pdf.status_code == 422 and 'id="document-error"' in page(not_a_pdf)
    uploaded = client.post("/register/about-you", content_type="multipart/form-data",
                           data={"teacher": "no", "document": (io.BytesIO(PDF), "court-act.pdf")})
    assert uploaded.status_code == 302
    assert "court-act.pdf" in page(client.get("/register/check"))
    number = application_number(client.post("/register/check"))
    application = db.session.scalars(select(Application).where(Application.number == number)).one()
    assert application.as_representative
    document = db.session.scalars(select(Document).where(Document.application_id == application.id)).one()
    assert document.kind == "representative_act" and document.content_type == "application/pdf"


def test_r9_the_representative_limit_is_shown_on_the_third_child(sample, client):
    person = _signed_in(client, sample, "guardian")
    refs = child_refs(client)
    school = person["school_code"]
    for ref in refs[:2]:
        response = register(client, ref, school, document=(io.BytesIO(PDF), "act.pdf"))
        application_number(response)
    third = register(client, refs[2], school, document=(io.BytesIO(PDF), "act.pdf"))
    assert third.status_code == 422
    assert 'href="/register/about-you"' in page(third)


def test_r7_a_teachers_child_is_admitted_over_a_full_quota(sample, client):
    person = _signed_in(client, sample, "teacher")
    school = person["school_code"]
    language = first_language(school)
    # The teacher's school may not be in the catchment; the domain decides (R7).
    ref = child_refs(client)[0]
    client.get(f"/register/child/{ref}")
    with client.session_transaction() as session:
        session["draft"] = {**session["draft"], "school": school, "language": language}
    about = client.get("/register/about-you")
    assert 'name="teacher"' in page(about) and 'name="document"' not in page(about), "no upload for everyone"
    answered = client.post("/register/about-you", data={"teacher": "yes"}, content_type="multipart/form-data")
    # On the school's list of teachers: no certificate is asked, the next page is the check.
    assert answered.location.endswith("/register/check")
    number = application_number(client.post("/register/check"))
    application = db.session.scalars(select(Application).where(Application.number == number)).one()
    assert application.category == "teacher" and application.over_quota


def test_r7_a_teacher_not_on_the_list_adds_a_certificate(sample, client):
    from sqlalchemy import delete

    from portal.models import Teacher

    person = _signed_in(client, sample, "teacher")
    db.session.execute(delete(Teacher))
    db.session.commit()
    school = person["school_code"]
    client.get(f"/register/child/{child_refs(client)[0]}")
    with client.session_transaction() as session:
        session["draft"] = {**session["draft"], "school": school, "language": first_language(school)}
    answered = client.post("/register/about-you", data={"teacher": "yes"}, content_type="multipart/form-data")
    assert answered.location.endswith("/register/teacher-proof")
    proof = client.get("/register/teacher-proof")
    assert 'name="document"' in page(proof) and 'name="teacher"' not in page(proof)
    # Nothing uploaded: refused on this page, at once, not at the last step.
    refused = client.post("/register/teacher-proof", data={}, content_type="multipart/form-data")
    assert refused.status_code == 422 and 'href="#document"' in page(refused)
    assert db.session.scalars(select(Application)).all() == []
    client.post("/register/teacher-proof", content_type="multipart/form-data",
                data={"document": (io.BytesIO(PDF), "certificate.pdf")})
    assert "certificate.pdf" in page(client.get("/register/check"))
    number = application_number(client.post("/register/check"))
    document = db.session.scalars(select(Document)).one()
    assert document.kind == "teacher_proof" and document.application.number == number


def test_r1_a_too_young_child_gets_the_reason_on_the_children_page_not_a_register_button(sample, client):
    client.get("/lang/en")
    _signed_in(client, sample, "too_young")
    html = page(client.get("/children"))
    assert "too young for first grade" in html and "2019" in html
    assert child_refs(client) == [] and "Register this child" not in html


def test_r12_a_too_old_child_is_sent_to_the_commission_on_the_children_page(sample, client):
    client.get("/lang/en")
    _signed_in(client, sample, "too_old")
    html = page(client.get("/children"))
    assert "Commission on Children's Affairs" in html and "Register this child" not in html


def test_a_child_of_someone_else_cannot_be_reached(sample, client):
    _signed_in(client, sample, "stage1_parent")
    assert client.get("/register/child/0123456789abcdef0123").status_code == 404


class _DownRegistry:
    def __init__(self, real):
        self.real, self.down = real, False

    def __getattr__(self, name):
        if self.down:
            raise RegistryUnavailable("test: registry down")
        return getattr(self.real, name)


def test_a_registry_outage_says_try_again_later_and_keeps_the_answers(sample, client):
    from portal.registry import get_registry

    person = _signed_in(client, sample, "stage1_parent")
    ref = child_refs(client)[0]
    client.get(f"/register/child/{ref}")
    school = person["school_code"]
    client.post("/register/school", data={"choice": f"{school}:{first_language(school)}"})
    client.post("/register/about-you", data={"teacher": "no"}, content_type="multipart/form-data")
    registry = _DownRegistry(get_registry())
    sample.extensions["registry"] = registry
    registry.down = True
    response = client.post("/register/check")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "try again" in page(response).lower()
    assert db.session.scalar(select(func.count(Application.id))) == 0
    assert db.session.scalar(select(func.sum(SeatPool.taken))) == 0
    children = client.get("/children")
    assert children.status_code == 503 and "/children" in page(children)
    registry.down = False
    application_number(client.post("/register/check"))  # the same answers, sent again


def test_sign_in_during_an_outage_keeps_what_was_typed(sample, client):
    from portal.registry import get_registry

    registry = _DownRegistry(get_registry())
    registry.down = True
    sample.extensions["registry"] = registry
    pin = SCENARIO["canceller"]["parent_pin"]
    client.get("/lang/en")
    response = client.post("/sign-in", data={"pin": pin, "id_document": id_document(pin), "contact": "parent@example.kg"})
    assert response.status_code == 503
    assert f'value="{pin}"' in page(response) and 'value="parent@example.kg"' in page(response)


def test_r7_a_teacher_picks_their_school_from_the_other_list_even_outside_the_catchment(sample, client):
    person = _signed_in(client, sample, "teacher")
    school = person["school_code"]
    value = f"{school}:{first_language(school)}"
    db.session.execute(RegistryPerson.__table__.update().where(RegistryPerson.pin == person["parent_pin"]).values(address_id=None))
    db.session.commit()  # the family's address is in no catchment now
    client.get(f"/register/child/{child_refs(client)[0]}")
    district = school.rsplit("-", 1)[0]
    chosen = client.post(f"/register/school/other?district={district}", data={"choice": value})
    assert chosen.status_code == 302 and chosen.location.endswith("/register/about-you")
