"""The rules R1-R12 through the JSON API, with the people of scenario.json."""
import io

from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import Application, RegistryPerson, School, SeatPool
from tests.scenario import (
    AFTER_CLOSE,
    BEFORE_STAGE1,
    SCENARIO,
    STAGE2,
    at,
    error_code,
    register,
    sign_in,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _parent(client, app, key):
    person = SCENARIO[key]
    return person, sign_in(client, app, person["parent_pin"])


def _first_language(school_code):
    return db.session.scalars(
        select(SeatPool.language).join(School).where(School.code == school_code, SeatPool.seats > 0)
    ).first()


def test_r2_stage1_parent_registers_at_the_catchment_school(sample, client):
    person, headers = _parent(client, sample, "stage1_parent")
    schools = client.get(f"/api/v1/schools?child_pin={person['child_pin']}", headers=headers)
    assert schools.status_code == 200 and schools.json["stage"] == 1
    assert person["school_code"] in [s["code"] for s in schools.json["schools"]]
    language = _first_language(person["school_code"])
    response = register(client, headers, person["child_pin"], person["school_code"], language)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "registered" and body["stage"] == 1 and body["over_quota"] is False
    assert body["position"] == 1 and body["cancellations_left"] == 3
    assert [h["status"] for h in body["history"]] == ["registered"]
    assert len(body["number"]) >= 15 and body["number"].startswith("2026-GB-")
    mail = sample.extensions["sent_mail"][-1]
    assert body["number"] in mail.get_content()


def test_r2_outside_the_microdistrict_is_refused_in_stage1(sample, client):
    person, headers = _parent(client, sample, "outside_parent")
    school = person["not_allowed_school"]
    response = register(client, headers, person["child_pin"], school, _first_language(school))
    assert response.status_code == 422 and error_code(response) == "outside_microdistrict"
    schools = client.get(f"/api/v1/schools?child_pin={person['child_pin']}", headers=headers).json
    assert school not in [s["code"] for s in schools["schools"]]


def test_r2_stage2_accepts_any_school_with_free_seats(sample, client):
    at(sample, STAGE2)
    person, headers = _parent(client, sample, "outside_parent")
    school = person["not_allowed_school"]
    response = register(client, headers, person["child_pin"], school, _first_language(school))
    assert response.status_code == 201, response.json
    assert response.json["stage"] == 2


def test_r2_the_other_parents_address_counts_in_stage1(sample, client):
    person, headers = _parent(client, sample, "stage1_parent")
    # Move the applicant away: the child's other parent still lives in the catchment.
    db.session.execute(update(RegistryPerson).where(RegistryPerson.pin == person["parent_pin"]).values(address_id=None))
    db.session.commit()
    others = [p for p in client.get("/api/v1/me", headers=headers).json["children"] if p["pin"] == person["child_pin"]]
    assert others, "the child is linked to the applicant"
    response = register(client, headers, person["child_pin"], person["school_code"], _first_language(person["school_code"]))
    from portal.models import RegistryLink

    parents = db.session.scalars(select(RegistryLink.parent_pin).where(RegistryLink.child_pin == person["child_pin"])).all()
    if len(parents) > 1:
        assert response.status_code == 201, response.json
    else:  # a single parent without an address has no catchment school
        assert error_code(response) == "outside_microdistrict"


def test_r2_registration_is_closed_before_stage1_and_after_closing(sample, client):
    person, headers = _parent(client, sample, "stage1_parent")
    language = _first_language(person["school_code"])
    for moment in (BEFORE_STAGE1, AFTER_CLOSE):
        at(sample, moment)
        headers = sign_in(client, sample, person["parent_pin"])
        response = register(client, headers, person["child_pin"], person["school_code"], language)
        assert response.status_code == 409 and error_code(response) == "registration_closed"
    at(sample, BEFORE_STAGE1)
    headers = sign_in(client, sample, person["parent_pin"])
    preview = client.get(f"/api/v1/schools?child_pin={person['child_pin']}", headers=headers).json
    assert preview["stage"] == 0 and person["school_code"] in [s["code"] for s in preview["schools"]]
    at(sample, AFTER_CLOSE)
    headers = sign_in(client, sample, person["parent_pin"])
    assert client.get(f"/api/v1/schools?child_pin={person['child_pin']}", headers=headers).json["stage"] is None


def test_r1_too_young_is_refused_and_too_old_needs_the_commission(sample, client):
    person, headers = _parent(client, sample, "too_young")
    response = register(client, headers, person["child_pin"], "GB-LEN-039")
    assert response.status_code == 422 and error_code(response) == "not_eligible_age"
    person, headers = _parent(client, sample, "too_old")
    response = register(client, headers, person["child_pin"], "GB-LEN-039")
    assert response.status_code == 422 and error_code(response) == "commission_required"


def test_r12_a_child_without_documents_needs_the_commission(sample, client):
    person, headers = _parent(client, sample, "no_documents")
    response = register(client, headers, person["child_pin"], "GB-LEN-039")
    assert response.status_code == 422 and error_code(response) == "commission_required"


def test_not_my_child_is_refused(sample, client):
    person, headers = _parent(client, sample, "not_my_child")
    response = register(client, headers, person["child_pin"], "GB-LEN-039")
    assert response.status_code == 403 and error_code(response) == "not_parent_of_child"


def test_a_parent_without_registration_has_no_stage1_school(sample, client):
    person, headers = _parent(client, sample, "no_registration")
    schools = client.get(f"/api/v1/schools?child_pin={person['child_pin']}", headers=headers).json
    assert schools["schools"] == []
    response = register(client, headers, person["child_pin"], "GB-LEN-039", _first_language("GB-LEN-039"))
    assert error_code(response) == "outside_microdistrict"


def test_r10_one_active_application_per_child(sample, client):
    person, headers = _parent(client, sample, "stage1_parent")
    language = _first_language(person["school_code"])
    assert register(client, headers, person["child_pin"], person["school_code"], language).status_code == 201
    again = register(client, headers, person["child_pin"], person["school_code"], language)
    assert again.status_code == 409 and error_code(again) == "already_registered"
    assert again.json["application"]["child_pin"] == person["child_pin"]  # the retry learns its place


def test_r10_the_other_parent_is_refused_without_seeing_the_application(sample, client):
    from portal.registry.local import LocalRegistry

    person, headers = _parent(client, sample, "stage1_parent")
    language = _first_language(person["school_code"])
    assert register(client, headers, person["child_pin"], person["school_code"], language).status_code == 201
    other = next(link.parent_pin for link, _ in LocalRegistry().parents_of(person["child_pin"])
                 if link.parent_pin != person["parent_pin"])
    db.session.remove()
    again = register(client, sign_in(client, sample, other), person["child_pin"], person["school_code"], language)
    assert again.status_code == 409 and error_code(again) == "already_registered"
    assert "application" not in again.json


def test_r8_three_cancellations_then_the_fourth_is_refused(sample, client):
    person, headers = _parent(client, sample, "canceller")
    language = _first_language(person["school_code"])
    for left in (2, 1, 0):
        created = register(client, headers, person["child_pin"], person["school_code"], language)
        assert created.status_code == 201, created.json
        cancelled = client.post(f"/api/v1/applications/{created.json['number']}/cancel", headers=headers)
        assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
        assert cancelled.json["cancellations_left"] == left
    fourth = register(client, headers, person["child_pin"], person["school_code"], language)
    assert fourth.status_code == 201
    refused = client.post(f"/api/v1/applications/{fourth.json['number']}/cancel", headers=headers)
    assert refused.status_code == 409 and error_code(refused) == "cancel_limit_reached"
    still = client.get(f"/api/v1/applications/{fourth.json['number']}", headers=headers).json
    assert still["status"] == "registered"


def test_r8_a_move_in_stage2_counts_as_a_cancellation(sample, client):
    person, headers = _parent(client, sample, "canceller")
    language = _first_language(person["school_code"])
    created = register(client, headers, person["child_pin"], person["school_code"], language)
    at(sample, STAGE2)
    headers = sign_in(client, sample, person["parent_pin"])  # a token lasts a day
    target = "GB-LEN-041"
    moved = client.post(
        f"/api/v1/applications/{created.json['number']}/move",
        json={"school_code": target, "language": _first_language(target)},
        headers=headers,
    )
    assert moved.status_code == 201, moved.json
    assert moved.json["school_code"] == target and moved.json["cancellations_left"] == 2
    old = client.get(f"/api/v1/applications/{created.json['number']}", headers=headers).json
    assert old["status"] == "cancelled"


def test_r8_a_refused_move_changes_nothing(sample, client):
    person, headers = _parent(client, sample, "canceller")
    language = _first_language(person["school_code"])
    created = register(client, headers, person["child_pin"], person["school_code"], language)
    at(sample, STAGE2)
    headers = sign_in(client, sample, person["parent_pin"])
    db.session.execute(update(SeatPool).values(taken=SeatPool.seats))  # every school full
    db.session.commit()
    moved = client.post(
        f"/api/v1/applications/{created.json['number']}/move",
        json={"school_code": "GB-LEN-041", "language": _first_language("GB-LEN-041")},
        headers=headers,
    )
    assert moved.status_code == 409 and error_code(moved) == "no_free_seats"
    kept = client.get(f"/api/v1/applications/{created.json['number']}", headers=headers).json
    assert kept["status"] == "registered" and kept["cancellations_left"] == 3


def _fill(school_code, language):
    pool = db.session.scalars(select(SeatPool).join(School).where(School.code == school_code, SeatPool.language == language)).one()
    pool.taken = pool.seats
    db.session.commit()
    return pool


def test_r3_no_free_seats_when_the_school_is_full(sample, client):
    person, headers = _parent(client, sample, "stage1_parent")
    language = _first_language(person["school_code"])
    _fill(person["school_code"], language)
    response = register(client, headers, person["child_pin"], person["school_code"], language)
    assert response.status_code == 409 and error_code(response) == "no_free_seats"


def test_r6_twins_both_admitted_while_the_school_is_full(sample, client):
    person, headers = _parent(client, sample, "twins")
    school, (first, second) = person["school_code"], person["child_pins"]
    language = _first_language(school)
    pool = _fill(school, language)
    pool.taken -= 1  # one seat left
    db.session.commit()
    one = register(client, headers, first, school, language)
    assert one.status_code == 201 and one.json["over_quota"] is False
    two = register(client, headers, second, school, language)
    assert two.status_code == 201, two.json
    assert two.json["over_quota"] is True and two.json["category"] == "twin"
    db.session.refresh(pool)
    assert pool.taken == pool.seats and pool.over_quota == 1


def test_r6_a_twin_of_a_child_refused_for_lack_of_seats_is_not_admitted(sample, client):
    person, headers = _parent(client, sample, "twins")
    school, (first, second) = person["school_code"], person["child_pins"]
    language = _first_language(school)
    _fill(school, language)
    assert error_code(register(client, headers, first, school, language)) == "no_free_seats"
    assert error_code(register(client, headers, second, school, language)) == "no_free_seats"


def test_r7_a_teachers_child_is_admitted_over_quota(sample, client):
    person, headers = _parent(client, sample, "teacher")
    school = person["school_code"]
    language = _first_language(school)
    _fill(school, language)
    response = register(client, headers, person["child_pin"], school, language, category="teacher")
    assert response.status_code == 201, response.json
    assert response.json["over_quota"] is True and response.json["category"] == "teacher"


def test_r7_teacher_category_without_registry_entry_needs_a_document(sample, client):
    person, headers = _parent(client, sample, "stage1_parent")
    school = person["school_code"]
    response = register(client, headers, person["child_pin"], school, _first_language(school), category="teacher")
    assert response.status_code == 422 and error_code(response) == "document_required"
    with_proof = client.post(
        "/api/v1/applications",
        data={"child_pin": person["child_pin"], "school_code": school, "language": _first_language(school),
              "category": "teacher", "document": (io.BytesIO(PDF), "proof.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert with_proof.status_code == 201, with_proof.json
    assert with_proof.json["over_quota"] is True


def _register_with_act(client, headers, child_pin, school, language, content=PDF):
    return client.post(
        "/api/v1/applications",
        data={"child_pin": child_pin, "school_code": school, "language": language,
              "document": (io.BytesIO(content), "act.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_r9_a_legal_representative_must_upload_the_act_and_registers_at_most_two(sample, client):
    person, headers = _parent(client, sample, "guardian")
    school = person["school_code"]
    language = _first_language(school)
    first, second, third = person["child_pins"]
    refused = register(client, headers, first, school, language)
    assert refused.status_code == 422 and error_code(refused) == "document_required"
    forged = _register_with_act(client, headers, first, school, language, content=b"MZ\x90\x00 not a pdf")
    assert forged.status_code == 422 and error_code(forged) == "document_required"
    at(sample, STAGE2)  # the wards need not live in the catchment for this rule
    headers = sign_in(client, sample, person["parent_pin"])
    assert _register_with_act(client, headers, first, school, language).status_code == 201
    assert _register_with_act(client, headers, second, school, language).status_code == 201
    limit = _register_with_act(client, headers, third, school, language)
    assert limit.status_code == 409 and error_code(limit) == "representative_limit_reached"


def test_r9_the_two_children_limit_counts_cancelled_representative_applications(sample, client):
    """§21: "may register no more than two children": a cancelled registration
    still counts, or cancelling and registering again would let in a third."""
    person, headers = _parent(client, sample, "guardian")
    at(sample, STAGE2)
    headers = sign_in(client, sample, person["parent_pin"])
    school = person["school_code"]
    language = _first_language(school)
    first, second, third = person["child_pins"]
    one = _register_with_act(client, headers, first, school, language)
    assert _register_with_act(client, headers, second, school, language).status_code == 201
    cancelled = client.post(f"/api/v1/applications/{one.json['number']}/cancel", headers=headers)
    assert cancelled.status_code == 200
    limit = _register_with_act(client, headers, third, school, language)
    assert limit.status_code == 409 and error_code(limit) == "representative_limit_reached"
    # The same child again is not a third child.
    assert _register_with_act(client, headers, first, school, language).status_code == 201


def test_sample_race_school_does_not_take_part_as_imported(sample, client):
    """GB-LEN-045 is private with participates=0 in the sample (§31: opt-in)."""
    family = SCENARIO["race"]["families"][0]
    headers = sign_in(client, sample, family["parent_pin"])
    response = register(client, headers, family["child_pin"], "GB-LEN-045")
    assert response.status_code == 422 and error_code(response) == "school_not_available"


def test_osh_family_registers_in_osh(sample, client):
    person, headers = _parent(client, sample, "osh_family")
    school = person["school_code"]
    response = register(client, headers, person["child_pin"], school, _first_language(school))
    assert response.status_code == 201 and response.json["number"].startswith("2026-GO-")


def test_messages_follow_accept_language(sample, client):
    person, headers = _parent(client, sample, "too_young")
    texts = {}
    for language in ("ky", "ru", "en"):
        response = client.post(
            "/api/v1/applications",
            json={"child_pin": person["child_pin"], "school_code": "GB-LEN-039", "language": "ky"},
            headers={**headers, "Accept-Language": language},
        )
        texts[language] = response.json["error"]["message"]
    assert len(set(texts.values())) == 3
    assert "2019" in texts["en"]


def test_every_application_row_matches_the_pool_counters(sample, client):
    person, headers = _parent(client, sample, "twins")
    school = person["school_code"]
    language = _first_language(school)
    for pin in person["child_pins"]:
        register(client, headers, pin, school, language)
    pool = db.session.scalars(select(SeatPool).join(School).where(School.code == school, SeatPool.language == language)).one()
    normal = db.session.scalar(select(func.count(Application.id)).where(Application.is_active, Application.over_quota.is_(False)))
    extra = db.session.scalar(select(func.count(Application.id)).where(Application.is_active, Application.over_quota.is_(True)))
    assert (pool.taken, pool.over_quota) == (normal, extra)


def test_r6_policy_can_let_a_twin_take_a_free_seat_first(sample, client):
    from portal.admission.campaigns import current_campaign

    campaign = current_campaign()
    campaign.policy = {"twins_always_over_quota": False}
    db.session.commit()
    person, headers = _parent(client, sample, "twins")
    school, (first, second) = person["school_code"], person["child_pins"]
    language = _first_language(school)
    assert register(client, headers, first, school, language).json["over_quota"] is False
    two = register(client, headers, second, school, language).json
    assert two["category"] == "twin" and two["over_quota"] is False
