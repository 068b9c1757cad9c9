"""My applications through the public form: status history, place in the order,
cancelling (R8) with its confirmation step, moving in stage 2, appeals (R16)."""
import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import Appeal, Application, SeatPool
from tests.public_form import application_number, child_refs, first_language, page, register, sign_in
from tests.scenario import SCENARIO, STAGE2, at


@pytest.fixture
def canceller(sample, client):
    person = SCENARIO["canceller"]
    client.get("/lang/en")
    sign_in(client, sample, person["parent_pin"])
    return person


def _register(client, person):
    return application_number(register(client, child_refs(client)[0], person["school_code"]))


def test_my_applications_show_the_status_history_and_the_place_in_the_order(canceller, client):
    number = _register(client, canceller)
    listing = page(client.get("/applications"))
    assert number in listing and "place in the order: 1" in listing
    detail = page(client.get(f"/applications/{number}"))
    assert "Registered: a seat is held" in detail and "3 of 3" in detail
    assert "<ol class=\"history\">" in detail and "by you" not in detail


def test_r8_cancel_asks_to_confirm_and_counts_down_then_the_fourth_is_blocked(canceller, client):
    for left in (2, 1, 0):
        number = _register(client, canceller)
        confirm = client.get(f"/applications/{number}/cancel")
        assert confirm.status_code == 200
        assert f"{left + 1} of 3 cancellations left" in page(confirm)
        still = db.session.scalars(select(Application.status).where(Application.number == number)).one()
        assert still == "registered", "a GET must not cancel"
        done = client.post(f"/applications/{number}/cancel")
        assert done.status_code == 302
        detail = page(client.get(done.location))
        assert "is cancelled" in detail and f"{left} of 3" in detail
    fourth = _register(client, canceller)
    blocked = client.get(f"/applications/{fourth}/cancel")
    assert "0 of 3 cancellations left" in page(blocked)
    assert "can no longer be cancelled" in page(blocked) and 'type="submit"' not in page(blocked).split("</nav>", 2)[-1]
    refused = client.post(f"/applications/{fourth}/cancel")  # an old page's button
    assert refused.status_code == 422
    assert "at most 3 times" in page(refused)
    status = db.session.scalars(select(Application.status).where(Application.number == fourth)).one()
    assert status == "registered"


def test_r8_a_move_in_stage2_is_confirmed_and_counts_as_a_cancellation(canceller, client, sample):
    number = _register(client, canceller)
    detail = page(client.get(f"/applications/{number}"))
    assert f"/applications/{number}/move" not in detail, "no move in stage 1"
    at(sample, STAGE2)
    sign_in(client, sample, canceller["parent_pin"])  # a form session lasts a day
    assert f"/applications/{number}/move" in page(client.get(f"/applications/{number}"))
    target = "GB-LEN-041"
    choose = client.get(f"/applications/{number}/move?district=GB-LEN")
    value = f"{target}:{first_language(target)}"
    assert value in page(choose)
    assert f'value="{canceller["school_code"]}:' not in page(choose), "the current school is not offered"
    chosen = client.post(f"/applications/{number}/move?district=GB-LEN", data={"choice": value})
    assert chosen.status_code == 302 and chosen.location.endswith(f"/applications/{number}/move/confirm")
    confirm = page(client.get(chosen.location))
    assert "3 of 3 cancellations left" in confirm and "2 cancellations are left" in confirm
    moved = client.post(f"/applications/{number}/move/confirm")
    new_number = application_number(moved)
    new = db.session.scalars(select(Application).where(Application.number == new_number)).one()
    old = db.session.scalars(select(Application).where(Application.number == number)).one()
    assert new.school.code == target and new.stage == 2 and old.status == "cancelled"
    assert "2 of 3" in page(client.get(f"/applications/{new_number}"))


def test_r8_a_refused_move_changes_nothing_and_says_why(canceller, client, sample):
    number = _register(client, canceller)
    at(sample, STAGE2)
    sign_in(client, sample, canceller["parent_pin"])
    target = "GB-LEN-041"
    client.post(f"/applications/{number}/move?district=GB-LEN",
                data={"choice": f"{target}:{first_language(target)}"})
    db.session.execute(update(SeatPool).values(taken=SeatPool.seats))  # every school fills up meanwhile
    db.session.commit()
    refused = client.post(f"/applications/{number}/move/confirm")
    assert refused.status_code == 422 and "no free seats" in page(refused)
    assert f'href="/applications/{number}/move"' in page(refused)
    old = db.session.scalars(select(Application).where(Application.number == number)).one()
    assert old.status == "registered"


def test_move_is_not_offered_outside_stage2(canceller, client):
    number = _register(client, canceller)
    assert client.get(f"/applications/{number}/move").status_code == 409


def test_r16_an_appeal_about_an_application_goes_to_its_district(canceller, client):
    number = _register(client, canceller)
    form = client.get(f"/applications/{number}/appeal")
    assert form.status_code == 200 and 'name="district"' not in page(form)
    empty = client.post(f"/applications/{number}/appeal", data={"text": "  "})
    assert empty.status_code == 422 and 'href="#text"' in page(empty)
    sent = client.post(f"/applications/{number}/appeal", data={"text": "The school refused my address."})
    assert sent.status_code == 302
    assert "Your appeal has been sent" in page(client.get(sent.location))
    appeal = db.session.scalars(select(Appeal)).one()
    assert appeal.application.number == number and appeal.district.code == "GB-LEN"


def test_r16_a_second_appeal_on_an_application_waits_for_the_first_answer(canceller, client):
    number = _register(client, canceller)
    assert client.post(f"/applications/{number}/appeal", data={"text": "First."}).status_code == 302
    client.get("/lang/ru")
    second = client.post(f"/applications/{number}/appeal", data={"text": "Second."})
    assert second.status_code == 409
    assert "уже ждёт ответа" in page(second) and "Second." in page(second), "the text typed is kept"
    assert db.session.scalar(select(func.count(Appeal.id))) == 1


def test_r16_an_appeals_flood_is_stopped_at_the_daily_limit(canceller, client):
    from portal.admission.campaigns import current_campaign

    limit = current_campaign().setting("appeal_daily_limit")
    for _ in range(limit):
        assert client.post("/appeal", data={"district": "GB-LEN", "text": "x" * 3900}).status_code == 302
    client.get("/lang/ru")
    flood = client.post("/appeal", data={"district": "GO-OSH", "text": "x" * 3900})
    assert flood.status_code == 429 and f"не более {limit} обращений" in page(flood)
    assert db.session.scalar(select(func.count(Appeal.id))) == limit


def test_r16_a_general_appeal_names_its_district(canceller, client):
    missing = client.post("/appeal", data={"text": "No school in my microdistrict."})
    assert missing.status_code == 422 and 'href="#district"' in page(missing)
    assert "No school in my microdistrict." in page(missing), "what was written is kept"
    sent = client.post("/appeal", data={"district": "GB-LEN", "text": "No school in my microdistrict."})
    assert sent.status_code == 302
    assert db.session.scalar(select(func.count(Appeal.id))) == 1


def test_another_parents_application_is_not_found(canceller, client, sample):
    number = _register(client, canceller)
    other = sample.test_client()
    sign_in(other, sample, SCENARIO["stage1_parent"]["parent_pin"])
    for url in (f"/applications/{number}", f"/applications/{number}/cancel", f"/applications/{number}/confirmation"):
        assert other.get(url).status_code == 404
    assert other.post(f"/applications/{number}/cancel").status_code == 404
