"""R4, R5, R11, R12 as a parent sees them through the API (the staff side acts
through the domain layer, as the admin portal and the jobs do)."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from portal.admission import commission, documents_window, quota_changes
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import ClassSet, School
from tests.scenario import SCENARIO, STAGE1, register, release_without_documents, sign_in
from tests.builders import SECRET

BISHKEK = timezone(timedelta(hours=6))


def _free_seats(client, district, school):
    body = client.get(f"/api/v1/free-seats?district={district}").json
    return {lang["language"]: lang for s in body["schools"] if s["code"] == school for lang in s["languages"]}


def test_r4_free_seats_show_the_computed_quota(sample, client):
    # GB-LEN-039's 4th grades had 41, 38, 22 and 18 pupils: 41 + 38 + 25 + 25 seats.
    seats = _free_seats(client, "GB-LEN", "GB-LEN-039")
    assert sum(lang["seats"] for lang in seats.values()) == 41 + 38 + 25 + 25
    body = client.get("/api/v1/free-seats").json
    assert "GB-LEN-045" not in [s["code"] for s in body["schools"]]  # not taking part (§31)
    assert body["stage"] == 1


def test_r5_a_raised_class_set_shows_in_the_free_seats(sample, client):
    campaign = current_campaign()
    school = db.session.scalars(select(School).where(School.code == "GB-LEN-039")).one()
    class_set = db.session.scalars(select(ClassSet).where(ClassSet.school_id == school.id, ClassSet.seats == 25)).first()
    before = _free_seats(client, "GB-LEN", "GB-LEN-039")[class_set.language]["seats"]
    quota_changes.change_seats(campaign, class_set, 30, now=datetime(2026, 3, 20, 12, tzinfo=BISHKEK))
    db.session.commit()
    assert _free_seats(client, "GB-LEN", "GB-LEN-039")[class_set.language]["seats"] == before + 5


def test_r11_without_documents_the_seat_is_released_and_the_parent_sees_it(sample, client):
    person = SCENARIO["stage1_parent"]
    headers = sign_in(client, sample, person["parent_pin"])
    language = next(iter(_free_seats(client, "GB-LEN", person["school_code"])))
    created = register(client, headers, person["child_pin"], person["school_code"], language).json
    after_window = datetime(2026, 9, 6, 9, 0, tzinfo=BISHKEK)
    release_without_documents()  # a campaign with the 2024 policy
    documents_window.release_missing(current_campaign(), now=after_window)
    db.session.commit()
    seen = client.get(f"/api/v1/applications/{created['number']}", headers=headers).json
    assert seen["status"] == "documents_missing" and seen["position"] is None
    assert [h["status"] for h in seen["history"]] == ["registered", "documents_missing"]
    assert _free_seats(client, "GB-LEN", person["school_code"])[language]["taken"] == 0


def test_r12_a_commission_admission_appears_in_the_parents_applications(sample, client):
    person = SCENARIO["too_old"]
    district_id = db.session.scalars(select(School.district_id).where(School.code == "GB-LEN-039")).one()
    commission.record_decision(
        current_campaign(), district_id=district_id, number="17", decided_on=date(2026, 3, 31),
        child=commission.ChildRecord(pin=person["child_pin"]),
        applicant=commission.NamedApplicant(name="Parent", role="parent", pin=person["parent_pin"],
                                            phone="+996555123456"),
        school_code="GB-LEN-039", language="ky", grounds="§9", now=STAGE1, secret=SECRET,
    )
    db.session.commit()
    headers = sign_in(client, sample, person["parent_pin"])
    (application,) = client.get("/api/v1/applications", headers=headers).json["applications"]
    assert application["status"] == "admitted_by_commission" and application["category"] == "commission"
