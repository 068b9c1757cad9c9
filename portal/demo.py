"""The demo: the sample data set, stage 1 open now, known logins, served locally.

`flask --app wsgi demo` runs `run_demo`; running it again is harmless: the
migrations are a no-op, the import upserts, and the campaign is moved again.
"""
import csv
import json
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import run_simple

from portal import clock
from portal.audit import acting_as
from portal.extensions import db
from portal.jobs import queues
from portal.jobs.deadlines import run_deadlines
from portal.jobs.worker import start_in_process
from portal.models import ROLES, Campaign, StaffUser, utcnow
from portal.staff_accounts import hash_password

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
# Published in the README: the demo's staff sign in with these.
DEMO_PASSWORDS = {role: f"demo-{role}-2026" for role in ROLES}

# The people of scenario.json worth trying first, in the order a visitor would.
DEMO_PARENTS = (
    ("stage1_parent", _l("Stage 1: lives in the school's microdistrict")),
    ("outside_parent", _l("Lives outside that microdistrict")),
    ("twins", _l("Twins")),
    ("teacher", _l("Teacher's child")),
    ("guardian", _l("Legal representative of three children")),
    ("canceller", _l("Cancels and registers again")),
    ("too_young", _l("Child too young")),
    ("too_old", _l("Child too old: commission decision")),
)


def run_demo(*, host, port, serve, echo):
    """Prepare the demo database, print how to use it and, if `serve`, serve it."""
    from portal.importer import import_folder

    with acting_as("command:demo"):
        upgrade()
        report = import_folder(str(SAMPLE_DIR), echo=echo, commit=False)
        campaign = _sample_campaign()
        open_stage_one_now(campaign)
        staff = _read_csv("staff.csv")
        _give_demo_passwords(staff)
        db.session.commit()
        # The demo's dates moved: what is due by them is done now (the quota
        # deadline, three working days before stage 1, has passed: drafts are
        # confirmed automatically, §19), as the schedule would have done.
        deadlines = run_deadlines(clock.now())
    echo(report.summary())
    if deadlines.changed:
        for line in deadlines.lines():
            echo(line)
    scenario = json.loads((SAMPLE_DIR / "scenario.json").read_text(encoding="utf-8"))
    _print_guide(echo, host=host, port=port, campaign=campaign, staff=staff, scenario=scenario)
    db.session.remove()  # the server's requests open their own sessions
    if serve:
        app = current_app._get_current_object()
        if not queues.redis_url(app):
            # The embedded default has no worker: the schedule runs in this process.
            start_in_process(app)
        # app.run() refuses to start under the `flask` command; run_simple is what it calls.
        run_simple(host, port, app, threaded=True)


def open_stage_one_now(campaign, now=None):
    """Move every date of the campaign by the same whole number of days, so that
    stage 1 opened within the last day (at least an hour ago) and the other dates
    keep their order, spacing and time of day. Birth dates stay: they select the
    children of the registry; holidays stay: they are real calendar dates."""
    now = now or utcnow()
    days = (now - timedelta(hours=1) - campaign.stage1_opens) // timedelta(days=1)
    shift = timedelta(days=days)
    campaign.stage1_opens += shift
    campaign.stage2_opens += shift
    campaign.registration_closes += shift
    campaign.documents_from += shift
    campaign.documents_until += shift
    db.session.flush()
    return campaign


def _sample_campaign():
    year = json.loads((SAMPLE_DIR / "campaign.json").read_text(encoding="utf-8"))["year"]
    return db.session.scalars(select(Campaign).where(Campaign.year == year)).one()


def _read_csv(name):
    with open(SAMPLE_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _give_demo_passwords(staff):
    # One hash per role, shared by that role's users: the passwords are public
    # anyway, and Argon2 is deliberately slow (36 users would take seconds).
    hashes = {role: hash_password(password) for role, password in DEMO_PASSWORDS.items()}
    emails = [row["email"].strip().lower() for row in staff]
    for user in db.session.scalars(select(StaffUser).where(StaffUser.email.in_(emails))):
        user.password_hash = hashes[user.role]
        user.is_enabled = True
    db.session.flush()


def _print_guide(echo, *, host, port, campaign, staff, scenario):
    base = f"http://{host}:{port}"
    echo("")
    echo(_("Mektep-1 demo, campaign %(year)s: stage 1 opened %(opened)s, stage 2 opens %(stage2)s.",
           year=campaign.year, opened=format_datetime(campaign.stage1_opens, "short"),
           stage2=format_datetime(campaign.stage2_opens, "short")))
    echo(_("Public site: %(url)s", url=f"{base}/"))
    echo(_("Staff portal: %(url)s (sign in at %(login)s)", url=f"{base}/admin/", login=f"{base}/admin/login"))
    echo(_("API description: %(url)s", url=f"{base}/api/v1/openapi.json"))
    echo("")
    echo(_("Staff logins:"))
    echo(_table([_("role"), _("e-mail"), _("scope"), _("password")],
                [[row["role"], row["email"], row["scope"] or "-", DEMO_PASSWORDS[row["role"]]]
                 for row in _featured_staff(staff, scenario)]))
    echo(_("Each of the %(count)d staff users of the sample data signs in with the password of their role.",
           count=len(staff)))
    echo("")
    echo(_("Parents sign in at %(url)s with their PIN, the number of their identity document and any"
           " e-mail address or mobile number. Without MAIL_SERVER (and SMS_GATEWAY_URL) the message with"
           " the six-digit code is printed here, below.", url=f"{base}/sign-in"))
    rows = []
    for key, label in DEMO_PARENTS:
        person = scenario.get(key)
        if person:
            children = person.get("child_pins") or [person["child_pin"]]
            rows.append([str(label), person["parent_pin"], person.get("parent_id_document") or "-",
                         ", ".join(children), person.get("school_code", "-")])
    echo(_table([_("who"), _("parent PIN"), _("document"), _("child PIN"), _("school")], rows))
    echo("")


def _featured_staff(staff, scenario):
    """The users scenario.json names, then the first user of each role it leaves out."""
    named = set(scenario["staff"].values())
    featured = [row for row in staff if row["email"] in named]
    for role in ROLES:
        if not any(row["role"] == role for row in featured):
            featured.extend([row for row in staff if row["role"] == role][:1])
    return sorted(featured, key=lambda row: ROLES.index(row["role"]))


def _table(header, rows):
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = [header, ["-" * width for width in widths], *rows]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in lines)
