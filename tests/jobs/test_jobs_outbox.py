"""The outbox on the embedded default (no Redis: delivered in-process after the
commit): written with the change, sent once, retried with backoff, failed in
view, in the recipient's language by e-mail and SMS."""
import os
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from portal.admission import cancelling, registration
from portal.extensions import db
from portal.jobs import outbox
from portal.models import Applicant, ApplicantContact, OutboxMessage, School, utcnow
from portal.notifications import enqueue, render
from tests.scenario import SCENARIO, STAGE1, STAGE2, load_sample
from tests.jobs_support import free_port
from tests.builders import SECRET, create_applicant

MAIL_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "portal", "templates",
                        "mail")


@pytest.fixture
def sample(app):
    app.extensions["sent_mail"] = []
    app.extensions["sent_sms"] = []
    load_sample()
    return app


def _applicant(pin, *, locale="ky", phone=None):
    applicant = create_applicant(pin=pin, email=f"{pin}@example.kg", locale=locale, phone=phone)
    db.session.add(applicant)
    db.session.flush()
    return applicant


def _register(key, **applicant):
    person = SCENARIO[key]
    number = registration.register(_applicant(person["parent_pin"], **applicant), person["child_pin"],
                                   person["school_code"], "ky", now=STAGE1, secret=SECRET).number
    db.session.commit()
    return number


def _message(key="k1", **values):
    values = {"template": "application_cancelled", "recipient": "parent@example.kg", "locale": "ru",
              "context": {"number": "2026-GB-7KQ4-M2XD"}, "key": key, **values}
    return enqueue(**values)


def test_a_key_is_written_once_whoever_writes_it(app):
    app.config["OUTBOX_DELIVER_INLINE"] = False
    assert _message("same") is not None
    assert _message("same") is None  # the same transaction
    db.session.commit()
    assert _message("same") is None  # a later one
    db.session.commit()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_a_rolled_back_change_sends_nothing(app):
    app.extensions["sent_mail"] = []
    _message()
    db.session.rollback()
    db.session.commit()
    assert app.extensions["sent_mail"] == [] and db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_registration_is_mailed_once_in_the_parents_language(sample):
    number = _register("stage1_parent", locale="ru")
    [mail] = sample.extensions["sent_mail"]
    with force_locale("ru"):
        expected = gettext("Application %(number)s registered", number=number)
    assert expected != f"Application {number} registered" and mail["Subject"] == expected
    assert mail["Message-ID"] and number in mail.get_content()
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert (message.state, message.attempts) == ("sent", 1)


def test_a_move_is_one_message_with_both_numbers(sample):
    person = SCENARIO["stage1_parent"]
    first = _register("stage1_parent")
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == person["parent_pin"])).one()
    school = db.session.scalars(select(School).where(School.code != person["school_code"], School.participates)
                                .order_by(School.code)).first()
    language = school_language(school)
    moved = cancelling.move(applicant, first, school.code, language, now=STAGE2, secret=SECRET).number
    db.session.commit()
    templates = [m.template for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert templates == ["application_registered", "application_moved"]
    body = sample.extensions["sent_mail"][-1].get_content()
    assert moved in body and first in body


def school_language(school):
    from portal.models import SeatPool

    return db.session.scalars(select(SeatPool.language).where(SeatPool.school_id == school.id, SeatPool.seats > 0)).first()


def test_a_message_is_sent_once_however_often_it_is_delivered(app):
    app.extensions["sent_mail"] = []
    app.config["OUTBOX_DELIVER_INLINE"] = False
    message_id = _message()
    db.session.commit()
    assert outbox.deliver(message_id) is True
    assert outbox.deliver(message_id) is False
    assert len(app.extensions["sent_mail"]) == 1


def test_failed_sends_back_off_and_end_in_a_visible_failed_state(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=3,
                      OUTBOX_RETRY_SECONDS=60)
    message_id = _message()
    db.session.commit()  # the first attempt, in-process, finds no SMTP server
    message = db.session.get(OutboxMessage, message_id)
    first_try = message.next_attempt_at - timedelta(seconds=60)
    assert (message.state, message.attempts) == ("pending", 1) and "ConnectionRefusedError" in message.last_error
    assert outbox.deliver(message_id, now=first_try + timedelta(seconds=30)) is False  # not due yet
    assert db.session.get(OutboxMessage, message_id).attempts == 1
    assert outbox.deliver(message_id, now=first_try + timedelta(seconds=61)) is False
    message = db.session.get(OutboxMessage, message_id)
    assert message.attempts == 2  # the next wait doubles: 120 s
    assert message.next_attempt_at == first_try + timedelta(seconds=61 + 120)
    assert outbox.deliver(message_id, now=message.next_attempt_at) is False
    message = db.session.get(OutboxMessage, message_id)
    assert (message.state, message.attempts) == ("failed", 3)
    assert outbox.deliver(message_id, now=message.next_attempt_at + timedelta(days=1)) is False

    # The operations view's retry starts it over; the relay delivers after the commit.
    app.config["MAIL_SERVER"] = None
    assert outbox.retry([message_id]) == [message_id]
    db.session.commit()
    assert db.session.get(OutboxMessage, message_id).state == "sent"


def test_a_sent_sign_in_code_is_not_kept(app):
    message_id = enqueue(template="sign_in_code", recipient="p@example.kg", locale="en",
                         context={"code": "123456", "minutes": 15}, key="sign_in_code:1")
    db.session.commit()
    message = db.session.get(OutboxMessage, message_id)
    assert message.state == "sent" and message.context == {"code": "***", "minutes": 15}


def test_the_message_id_comes_from_the_key(app):
    from portal.mail import message_id_for

    assert message_id_for("k1", "a@x.kg") == message_id_for("k1", "b@x.kg") != message_id_for("k2", "a@x.kg")
    assert message_id_for("k1", "a@x.kg").endswith("@x.kg>")


def test_a_parent_with_a_phone_gets_an_sms_through_the_gateway_too(sample, sms_gateway):
    sample.config.update(SMS_GATEWAY_URL=sms_gateway.url, SMS_GATEWAY_TOKEN="secret-token", SMS_SENDER="Mektep1")
    number = _register("stage1_parent", phone="+996700123456")
    [request] = sms_gateway.requests
    assert request["headers"]["Authorization"] == "Bearer secret-token"
    phone = db.session.scalars(select(ApplicantContact.id).where(ApplicantContact.channel == "sms")).one()
    assert request["headers"]["Idempotency-Key"] == f"application_registered:{number}:registered:c{phone}"
    assert request["json"]["to"] == "+996700123456" and request["json"]["sender"] == "Mektep1"
    assert number in request["json"]["text"] and "катталды" in request["json"]["text"]  # Kyrgyz, the parent's language
    assert len(sample.extensions["sent_mail"]) == 1
    channels = db.session.scalars(select(OutboxMessage.channel).order_by(OutboxMessage.id)).all()
    assert channels == ["email", "sms"]


def test_a_refusing_sms_gateway_means_a_retry(app, sms_gateway):
    app.config["SMS_GATEWAY_URL"] = sms_gateway.url
    sms_gateway.status = 503
    message_id = _message(channel="sms", recipient="+996700123456")
    db.session.commit()
    message = db.session.get(OutboxMessage, message_id)
    assert (message.state, message.attempts) == ("pending", 1) and "503" in message.last_error


# The notifications of issue 6: to parents, then to staff.
NOTIFICATIONS = ("sign_in_code", "application_registered", "application_cancelled", "application_moved",
                 "documents_reminder", "documents_missing", "commission_decision", "appeal_answered",
                 "quota_deadline_coming", "appeals_due", "quota_below_state_language_floor",
                 "documents_received")


def _templates():
    return [(name, channel) for name in NOTIFICATIONS for channel in ("email", "sms")
            if channel == "email" or os.path.exists(os.path.join(MAIL_DIR, f"{name}.sms.txt"))]


CONTEXT = {"number": "2026-GB-7KQ4-M2XD", "school_code": "GB-LEN-039", "school_name_ky": "№39 мектеп",
           "school_name_ru": "Школа №39", "language": "ky", "child_first_name": "Айжан", "until": "05.09.2026",
           "answer": "Ok", "appeal_id": 1, "code": "123456", "minutes": 15,
           "previous_number": "2026-GB-AAAA-BBBB", "previous_school_code": "GB-LEN-041", "deadline": "27.03.2026 23:59",
           "days_left": 5, "due_today": 2, "overdue": 1, "kyrgyz": 1, "minimum": 3, "confirmed_at": "28.03.2026"}


@pytest.mark.parametrize("template, channel", _templates())
def test_every_notification_speaks_each_language(app, template, channel):
    texts = {}
    for locale in ("ky", "ru", "en"):
        subject, body = render(OutboxMessage(template=template, channel=channel, locale=locale, context=CONTEXT))
        assert body.strip() and "%(" not in body and (channel == "sms" or (subject and "%(" not in subject))
        texts[locale] = (subject, body)
    assert texts["ky"] != texts["en"] and texts["ru"] != texts["en"]
    if channel == "sms":
        assert len(texts["ru"][1]) <= 160  # at most a few SMS parts in Cyrillic


def test_in_process_the_relay_delivers_every_due_message(app):
    app.config["OUTBOX_DELIVER_INLINE"] = False
    message_id = _message()
    db.session.commit()
    app.config["OUTBOX_DELIVER_INLINE"] = True
    assert outbox.deliver_pending(now=utcnow()) == 1
    assert db.session.get(OutboxMessage, message_id).state == "sent"


def test_russian_notices_agree_with_the_childs_sex(app):
    """"Алина записана", not "Алина записан": the verb follows the child's sex."""
    context = {"number": "2026-GB-AAAA-BBBB", "school_code": "GB-LEN-039", "school_name_ky": "№39",
               "school_name_ru": "№39", "language": "ru", "documents_from": "04.08.2026",
               "documents_until": "05.09.2026", "release_without_documents": False}
    girl = OutboxMessage(channel="email", locale="ru", template="application_registered",
                         context={**context, "child_first_name": "Алина", "child_sex": "F"})
    boy = OutboxMessage(channel="sms", locale="ru", template="application_registered",
                        context={**context, "child_first_name": "Эрлан", "child_sex": "M"})
    assert "Алина записана" in render(girl)[1]
    assert "Эрлан записан," in render(boy)[1]
