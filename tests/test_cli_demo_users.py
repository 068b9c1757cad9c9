"""The `users create` and `demo` commands, through Flask's CLI runner.

Messages are translated (Kyrgyz by default), so the tests look for the values a
message names (the e-mail, the code), not for its wording.
"""
import hashlib
import importlib
import importlib.util
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, Campaign, StaffUser
from portal.staff_accounts import verify_password
from tests import builders


def _importer_ready():
    # find_spec first: a missing package skips, but an importer that fails to
    # import must fail the test, not skip it.
    if importlib.util.find_spec("portal.importer") is None:
        return False
    return hasattr(importlib.import_module("portal.importer"), "import_folder")


needs_importer = pytest.mark.skipif(
    not _importer_ready(),
    reason="portal.importer.import_folder has not landed yet: the demo loads the sample data through it",
)


@pytest.fixture
def geography(app):
    district = builders.create_district(code="GB-LEN")
    school = builders.create_school(code="GB-LEN-039", district=district)
    db.session.commit()
    return district, school


def create_user(app, *args):
    return app.test_cli_runner().invoke(args=["users", "create", *args])


def staff_user(email):
    return db.session.scalars(select(StaffUser).where(StaffUser.email == email)).one_or_none()


def test_users_create_with_a_password_stores_only_its_argon2_hash(app, geography):
    result = create_user(app, "--email", "Director.39@Example.kg", "--role", "director",
                         "--scope", "GB-LEN-039", "--password", "correct horse battery")
    assert result.exit_code == 0, result.output
    assert "director.39@example.kg" in result.output
    user = staff_user("director.39@example.kg")
    assert user.school.code == "GB-LEN-039" and user.district is None
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse battery" not in user.password_hash
    assert verify_password(user, "correct horse battery")
    assert not verify_password(user, "correct horse battery!")
    assert user.activation_token_hash is None and user.is_active


def test_users_create_without_a_password_prints_a_link_and_stores_only_the_token_hash(app, geography):
    app.config["PUBLIC_BASE_URL"] = "https://1mektep.example.kg/"
    result = create_user(app, "--email", "district.gb-len@example.kg", "--role", "district", "--scope", "GB-LEN")
    assert result.exit_code == 0, result.output
    link = next(word for word in result.output.split() if word.startswith("https://"))
    assert link.startswith("https://1mektep.example.kg/admin/activate/")
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 40
    user = staff_user("district.gb-len@example.kg")
    assert user.district.code == "GB-LEN" and user.school is None
    assert user.activation_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in user.activation_token_hash
    assert timedelta(days=6) < user.activation_expires_at - datetime.now(timezone.utc) <= timedelta(days=7)
    # Nobody can sign in before the owner chooses a password through the link.
    assert user.password_hash is None and not user.is_active


@pytest.mark.parametrize(
    "args, named",
    [
        (["--email", "d@example.kg", "--role", "director", "--scope", "GB-LEN"], "GB-LEN"),
        (["--email", "d@example.kg", "--role", "director", "--scope", "GB-LEN-999"], "GB-LEN-999"),
        (["--email", "k@example.kg", "--role", "commission", "--scope", "GB-LEN-039"], "GB-LEN-039"),
        (["--email", "m@example.kg", "--role", "ministry", "--scope", "GB-LEN"], "Error"),
        (["--email", "not-an-address", "--role", "ministry"], "not-an-address"),
        (["--email", "m@example.kg", "--role", "ministry", "--password", "short"], "Error"),
        (["--email", "m@example.kg", "--role", "ministry", "--password", "eleven char"], "12"),  # ASVS 2.1.1
    ],
    ids=["director-with-district-scope", "unknown-school", "commission-with-school-scope",
         "ministry-with-scope", "bad-email", "short-password", "eleven-characters"],
)
def test_users_create_refuses_a_user_that_does_not_fit(app, geography, args, named):
    result = create_user(app, *args)
    assert result.exit_code != 0
    assert "Error:" in result.output and named in result.output
    assert "Traceback" not in result.output
    assert db.session.scalars(select(StaffUser)).all() == []


def test_users_create_refuses_a_duplicate_email_whatever_its_case(app, geography):
    assert create_user(app, "--email", "ministry@example.kg", "--role", "ministry").exit_code == 0
    result = create_user(app, "--email", "Ministry@Example.kg", "--role", "ministry")
    assert result.exit_code != 0 and "ministry@example.kg" in result.output
    assert len(db.session.scalars(select(StaffUser)).all()) == 1


def test_r13_users_create_is_audited_as_the_command_without_the_secret(app, geography):
    result = create_user(app, "--email", "ministry@example.kg", "--role", "ministry", "--password", "s3cret-passphrase")
    assert result.exit_code == 0, result.output
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "staff_users")).all()
    assert (entry.action, entry.actor) == ("insert", "command:users create")
    assert entry.after["email"] == "ministry@example.kg"
    assert "s3cret-passphrase" not in str(entry.after) and "argon2" not in str(entry.after)


def test_verify_password_is_false_without_a_usable_hash(app):
    assert not verify_password(StaffUser(password_hash=None), "anything")
    assert not verify_password(StaffUser(password_hash="not-a-hash"), "not-a-hash")


def test_demo_opens_stage_one_now_keeping_the_order_and_time_of_day_of_the_dates(app):
    from portal.demo import open_stage_one_now

    bishkek = timezone(timedelta(hours=6))
    campaign = builders.create_campaign(
        stage1_opens=datetime(2026, 4, 1, 10, tzinfo=bishkek),
        stage2_opens=datetime(2026, 6, 1, 10, tzinfo=bishkek),
        registration_closes=datetime(2026, 8, 31, 18, tzinfo=bishkek),
        documents_from=date(2026, 8, 4),
        documents_until=date(2026, 9, 5),
    )
    now = datetime(2027, 1, 15, 3, 30, tzinfo=timezone.utc)  # 09:30 in Bishkek
    open_stage_one_now(campaign, now)
    assert campaign.stage1_opens == datetime(2027, 1, 14, 10, tzinfo=bishkek)
    assert campaign.stage2_opens - campaign.stage1_opens == timedelta(days=61)
    assert campaign.registration_closes.astimezone(bishkek).time().hour == 18
    assert campaign.documents_until - campaign.documents_from == timedelta(days=32)
    assert campaign.birth_from == date(2019, 1, 1)
    # A second run at the same moment changes nothing.
    before = (campaign.stage1_opens, campaign.documents_from)
    open_stage_one_now(campaign, now)
    assert (campaign.stage1_opens, campaign.documents_from) == before


@needs_importer
def test_demo_twice_leaves_stage_one_open_and_demo_logins_working(app):
    from portal.demo import DEMO_PASSWORDS

    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        (campaign,) = db.session.scalars(select(Campaign)).all()
        now = datetime.now(timezone.utc)
        assert campaign.stage1_opens <= now < campaign.stage2_opens < campaign.registration_closes
        for role, email in [("ministry", "ministry@example.kg"), ("district", "district.gb-len@example.kg"),
                            ("commission", "commission.gb-len@example.kg"),
                            ("director", "director.gb-len-039@example.kg")]:
            user = staff_user(email)
            assert user.role == role and user.is_active
            assert verify_password(user, DEMO_PASSWORDS[role])
            assert DEMO_PASSWORDS[role] in result.output and email in result.output
        assert "/api/v1/openapi.json" in result.output and "12708198301953" in result.output
        # On SQLite every transaction holds the write lock: end ours before the
        # next run migrates on a connection of its own.
        db.session.rollback()
    actors = set(db.session.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "staff_users")))
    assert actors == {"command:demo"}


@needs_importer
def test_demo_starts_in_a_state_that_matches_its_dates(app):
    """Stage 1 opened today, so the quota deadline (3 working days before) has
    passed: no quota is left a draft the director can no longer confirm (§19)."""
    from portal.models import SchoolQuota

    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    states = set(db.session.scalars(select(SchoolQuota.state)))
    assert states and "draft" not in states
    assert "confirmed_automatically" in states
