"""THE scope test: signed in as each role, request every admin URL of every
view for records of another school and another district, and fail on any
leak: a page or file that shows a foreign record's data, or any change in the
database.

The URLs come from `app.url_map` (every rule under /admin), so a view or page
added later is probed without touching this test. Flask-Admin's own endpoints
(list, details, edit, create, delete, bulk actions, export, ajax) get the
requests that would reach a foreign record through them; any other endpoint
gets every foreign record's id under every id parameter name the portal uses
(`id` and `<model>_id`), by GET and POST; such a page must not be open to
anyone (ScopedPageView, or an `is_accessible` of its own).

Which rows are "in the scope" comes from `tests/scope_oracle.py`, the rules
written down again in Python from the rows themselves, never from the
portal's `scope_rule` (issue #19, item 6): the list counts and the export rows
of every view must equal the oracle's, and the foreign records probed are the
oracle's, so a rule widened or narrowed in `admin/scope_rules.py` fails here.
"""
import csv
import io
import re

import pytest
from sqlalchemy import func, inspect, select
from flask_admin.tools import iterencode

from flask_admin import BaseView

from admin.scoping import RULES, ScopedModelView, scope_of
from portal.extensions import db
from portal.models import AuditEntry, OutboxMessage, School
from tests.staff import PINS, ROLE_LOGINS, marker, sign_in, staff  # noqa: F401  (fixtures)
from admin.labels import mask_pin
from tests import scope_oracle

# Endpoints that show or change no record of a place: signing in and out, one's own account.
NOT_RECORD_SCOPED = {"admin.static", "admin_auth.login", "admin_auth.logout", "admin_auth.second_factor",
                     "admin_auth.totp_setup", "admin_auth.activate", "admin_auth.reset",
                     "admin_auth.reset_request", "admin_auth.account", "admin_auth.totp_off"}
FLASK_ADMIN_ENDPOINTS = {"index_view", "details_view", "edit_view", "create_view", "delete_view", "action_view",
                         "export", "ajax_lookup", "ajax_update"}
# What each role must not see: the places outside its scope.
FOREIGN_PLACES = {"director": ("B", "O"), "district": ("O",), "commission": ("O",), "ministry": ()}
FOREIGN_CODES = {"B": ("GB-LEN-041", "director.gb-len-041@example.kg"),
                 "O": ("GO-OSH", "district.go-osh@example.kg", "commission.go-osh@example.kg")}


def markers(role):
    found = []
    for place in FOREIGN_PLACES[role]:
        found += [marker(place, what) for what in ("Number", "Lastname", "Proof", "Decision", "Grounds", "Appeal",
                                                   "Reason", "FileContent")]
        found += [PINS[place], mask_pin(PINS[place]), *FOREIGN_CODES[place]]
    return found


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def foreign_records(scope, per_model=3):
    """{model: [encoded primary keys]} of rows outside `scope` as the oracle says, marked rows first."""
    records = {}
    for model in RULES:
        key_columns = inspect(model).primary_key
        _, outside = scope_oracle.rows(scope, model)
        keys = sorted((tuple(getattr(row, column.key) for column in key_columns) for row in outside), reverse=True)
        if keys:
            records[model] = [iterencode(key) if len(key) > 1 else str(key[0]) for key in keys[:per_model]]
    return records


def exported_rows(response):
    """The data rows of a CSV export (a header line first)."""
    return len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) - 1


def changes():
    """Anything written shows in the audit trail (every model is audited) or the outbox."""
    return (db.session.scalar(select(func.count()).select_from(AuditEntry)),
            db.session.scalar(select(func.count()).select_from(OutboxMessage)))


class Probe:
    def __init__(self, client, role):
        self.client, self.role, self.markers, self.leaks = client, role, markers(role), []
        self.checked_counts = self.checked_exports = 0  # list counts and exports compared with the oracle

    def __call__(self, method, url, echoed=None, **kwargs):
        """Request; a term the page echoes (the search box shows what was searched) is no leak."""
        before = changes()
        response = self.client.open(url, method=method, **kwargs)
        body = response.get_data(as_text=True) if response.mimetype.startswith(("text", "application/json")) \
            else response.get_data().decode("latin-1")
        shown = [m for m in self.markers if m in body and m != echoed]
        if response.status_code == 200 and shown:
            self.leaks.append(f"{method} {url} {kwargs.get('data', '')}: shows {shown[:3]}")
        if response.status_code >= 500:
            self.leaks.append(f"{method} {url} {kwargs.get('data', '')}: server error {response.status_code}")
        db.session.expire_all()
        if changes() != before:
            self.leaks.append(f"{method} {url} {kwargs.get('data', '')}: changed the database")
        return response

    def expect_refused(self, method, url, **kwargs):
        response = self(method, url, **kwargs)
        if response.status_code == 200:
            self.leaks.append(f"{method} {url}: answered 200 for a record outside the scope")


def admin_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]


def views_by_endpoint(app):
    return {view.endpoint: view for view in app.extensions["portal_admin"]._views}


def probe_model_view(probe, view, scope, foreign, world):
    base = f"/admin/{view.endpoint}"
    own_ids = foreign.get(view.model, [])
    foreign_school_ids = [str(world[place].id) for place in FOREIGN_PLACES[probe.role]]
    response = probe("GET", f"{base}/", headers={"Accept-Language": "en"})
    shown = re.search(r"List \((\d+)\)", response.get_data(as_text=True))
    in_scope = len(scope_oracle.rows(scope, view.model)[0])
    if response.status_code == 200 and shown and int(shown.group(1)) != in_scope:
        probe.leaks.append(f"GET {base}/: counts {shown.group(1)} rows, the oracle says {in_scope} are in the scope")
    if probe.role in view.roles:
        probe.checked_counts += 1
    probe("GET", f"{base}/?page_size=500")
    for term in [PINS[place] for place in FOREIGN_PLACES[probe.role]] + probe.markers[:3]:
        probe("GET", f"{base}/", query_string={"search": term}, echoed=term)
        probe("GET", f"{base}/export/csv/", query_string={"search": term}, echoed=term)
    for arg in (view._filter_args or {}):
        for value in foreign_school_ids + ["1"]:
            probe("GET", f"{base}/", query_string={f"flt0_{arg}": value})
    response = probe("GET", f"{base}/export/csv/")
    if probe.role in view.export_roles:
        if response.status_code != 200 or exported_rows(response) != in_scope:
            probe.leaks.append(f"GET {base}/export/csv/: {response.status_code}, "
                               f"{exported_rows(response) if response.status_code == 200 else '-'} rows, "
                               f"the oracle says {in_scope}")
        probe.checked_exports += 1
    for name in view._form_ajax_refs or {}:
        probe("GET", f"{base}/ajax/lookup/", query_string={"name": name, "query": ""})
    probe("GET", f"{base}/new/")
    form_data = {column.key: value for column in inspect(view.model).columns
                 for value in foreign_school_ids[:1] or ["1"]}
    probe("POST", f"{base}/new/", data=form_data)
    for record_id in own_ids:
        probe.expect_refused("GET", f"{base}/details/", query_string={"id": record_id})
        probe.expect_refused("GET", f"{base}/edit/", query_string={"id": record_id})
        probe("POST", f"{base}/edit/?id={record_id}", data=form_data)
        probe("POST", f"{base}/delete/", data={"id": record_id})
        probe("POST", f"{base}/ajax/update/", data={"list_form_pk": record_id, "name_ky": "x"})
        for action_name, _text in view._actions:
            probe("POST", f"{base}/action/", data={"action": action_name, "rowid": own_ids, "confirmed": "1"})


def probe_other_endpoint(probe, rule, view, foreign):
    """Every foreign record's id as `<model>_id`, and as `id` where the model is the view's."""
    url = re.sub(r"<[^>]+>", "x", rule.rule)
    benign = {"seats": "42", "language": "ky", "verdict": "accept", "answer": "probe", "reason": "probe",
              "rows": "", "role": "director", "number": "probe", "grounds": "probe"}
    for model, ids in foreign.items():
        for record_id in ids:
            values = {f"{snake(model.__name__)}_id": record_id}
            if model is getattr(view, "model", None):
                values["id"] = record_id
            if "GET" in rule.methods:
                probe("GET", url, query_string=values)
            if "POST" in rule.methods:
                probe("POST", url, data={**benign, **values})  # a confirmation page must not show it either
                probe("POST", url, data={**benign, **values, "confirmed": "1"})


@pytest.mark.parametrize("role", ["director", "district", "commission", "ministry"])
def test_no_admin_url_shows_or_changes_a_record_outside_the_scope(portal, world, role):
    app = portal
    client = app.test_client()
    sign_in(client, ROLE_LOGINS[role])
    scope = scope_of(staff(ROLE_LOGINS[role]))
    foreign = foreign_records(scope)
    if role != "ministry":
        assert School in foreign and foreign[School], "the world has no foreign school to probe"
    probe, views, probed = Probe(client, role), views_by_endpoint(app), set()
    for view in views.values():
        if isinstance(view, ScopedModelView):
            probe_model_view(probe, view, scope, foreign, world)
    for rule in admin_rules(app):
        blueprint, _, name = rule.endpoint.partition(".")
        if rule.endpoint in NOT_RECORD_SCOPED:
            continue
        view = views.get(blueprint)
        if view is None:
            pytest.fail(f"{rule.rule} ({rule.endpoint}) belongs to no admin view: add it to the portal's views "
                        "or, if it shows no record, to NOT_RECORD_SCOPED")
        if isinstance(view, ScopedModelView) and name in FLASK_ADMIN_ENDPOINTS:
            probed.add(rule.endpoint)
            continue
        if type(view).is_accessible is BaseView.is_accessible:
            pytest.fail(f"{rule.endpoint}: a page open to anyone; inherit ScopedModelView or ScopedPageView")
        probe_other_endpoint(probe, rule, view, foreign)
        probed.add(rule.endpoint)
    assert not probe.leaks, f"{role} reached outside its scope:\n" + "\n".join(probe.leaks[:40])
    assert probe.checked_counts and probe.checked_exports, "no list or export was compared with the oracle"
    assert {rule.endpoint for rule in admin_rules(app)} - NOT_RECORD_SCOPED <= probed


def test_no_admin_url_answers_without_sign_in(portal, world):
    client = portal.test_client()
    opened = []
    for rule in admin_rules(portal):
        if rule.endpoint in NOT_RECORD_SCOPED:
            continue
        url = re.sub(r"<[^>]+>", "csv", rule.rule)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(url, method=method, data={"id": world["A"].id})
            if response.status_code not in (302, 403, 404, 405):
                opened.append(f"{method} {url}: {response.status_code}")
            elif response.status_code == 302:
                assert "/admin/login" in response.headers["Location"], url
    assert not opened, "answered without a signed-in staff user:\n" + "\n".join(opened)


def _as(app, email):
    """A request context with `email` signed in, as the portal's views see it."""
    from flask_login import login_user

    context = app.test_request_context("/admin/")
    context.push()
    login_user(staff(email))
    return context


def test_relationship_choices_of_a_model_form_offer_only_the_scope(portal, world):
    # No form of today's views edits a relationship; this proves the mechanism a
    # future form inherits: every query_factory follows the related model's rule.
    view = views_by_endpoint(portal)["microdistrict"]
    context = _as(portal, ROLE_LOGINS["director"])
    try:
        form = view._create_form_class(obj=None)
        view.scope_form_choices(form)
        assert [school.code for school in form.school.query_factory()] == ["GB-LEN-039"]
        districts = {address.district_id for address in form.address.query_factory()}
        assert districts == {world["A"].district_id}
    finally:
        context.pop()


def test_a_save_that_would_move_a_record_out_of_the_scope_is_refused(portal, world):
    from admin.scoping import OutOfScope

    view = views_by_endpoint(portal)["application"]
    context = _as(portal, ROLE_LOGINS["director"])
    try:
        application = view.get_query().filter_by(child_pin=PINS["A"]).one()
        view.check_in_scope(application)  # in the scope: nothing to say
        application.school_id = world["B"].id
        with pytest.raises(OutOfScope):
            view.on_model_change(None, application, False)
    finally:
        db.session.rollback()
        context.pop()
