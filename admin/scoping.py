"""One scoping mechanism for the whole staff portal.

A staff user never sees or changes a record outside their scope (DESIGN.md):
a director their school, a district or commission user their district, the
ministry everything. Two pieces do it:

- `RULES`: for each model, the SQL condition "this row lies within the scope".
  A model without a rule is invisible to everyone (fails closed).
- `ScopedModelView`: the base of every model view. Every way Flask-Admin reaches
  rows goes through `scope_clause`: the list and its count, search, filters and
  their options, export, bulk actions, the record behind an id typed into a URL
  (404 outside the scope), the choices of relationship fields, ajax look-ups,
  and a save that would move a record out of the scope (refused).
"""
import re
from collections import OrderedDict
from dataclasses import dataclass

from flask import abort, g, has_request_context, redirect, request, url_for
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.helpers import get_redirect_target
from flask_admin.tools import iterdecode, iterencode
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, inspect, or_, select, true, tuple_
from wtforms.validators import ValidationError

from admin.filters import PortalFilterConverter
from admin.forms import AdminForm
from admin.labels import LABELS, mask_pin
from portal.extensions import db
from portal.models import (
    Address,
    Appeal,
    Applicant,
    Application,
    ApplicationEvent,
    AuditEntry,
    Campaign,
    ClassSet,
    CommissionDecision,
    District,
    Document,
    GradeStat,
    MicrodistrictAddress,
    Region,
    School,
    SchoolQuota,
    SeatPool,
    StaffUser,
)

DISTRICT_ROLES = ("district", "commission")


@dataclass(frozen=True)
class Scope:
    """Who is asking: a role and the school or district it covers.

    For a director, `district_id` is the district of their school (they add
    addresses of that district to their microdistrict, R17); they see no other
    school's rows.
    """

    role: str | None
    user_id: int | None = None
    district_id: int | None = None
    school_id: int | None = None

    @property
    def national(self):
        return self.role == "ministry"


NOBODY = Scope(role=None)


def scope_of(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    if user.role == "director":
        return Scope("director", user.id, user.school.district_id, user.school_id)
    return Scope(user.role, user.id, user.district_id, None)


def current_scope():
    """The scope of the signed-in staff user of this request (NOBODY otherwise)."""
    if not has_request_context():
        return NOBODY
    if "staff_scope" not in g:
        g.staff_scope = scope_of(current_user)
    return g.staff_scope


def schools_of_district(district_id):
    return select(School.id).where(School.district_id == district_id)


def by_school(column):
    """Rows that belong to a school: the director's school, a district's schools."""
    def rule(scope):
        if scope.national:
            return true()
        if scope.role == "director":
            return column == scope.school_id
        if scope.role in DISTRICT_ROLES:
            return column.in_(schools_of_district(scope.district_id))
        return false()
    return rule


def by_district(column, *, directors=False):
    """Rows that belong to a district; a director sees its school's district only if `directors`."""
    def rule(scope):
        if scope.national:
            return true()
        if scope.role in DISTRICT_ROLES or (directors and scope.role == "director"):
            return column == scope.district_id
        return false()
    return rule


def everyone(scope):
    # Public reference data (names of regions, campaign dates), read-only in the portal.
    return true() if scope.role else false()


def _applications_in(scope):
    return select(Application.id).where(by_school(Application.school_id)(scope))


def _commission_decisions(scope):
    if scope.role == "director":
        return CommissionDecision.school_id == scope.school_id
    return by_district(CommissionDecision.district_id)(scope)


def _audit_entries(scope):
    # District staff see the trail of their district and of its schools; the
    # commission and directors have no audit view (false, to fail closed).
    if scope.national:
        return true()
    if scope.role == "district":
        return or_(AuditEntry.district_id == scope.district_id,
                   AuditEntry.school_id.in_(schools_of_district(scope.district_id)))
    return false()


def _staff_users(scope):
    if scope.national:
        return true()
    if scope.role == "district":
        return or_(StaffUser.district_id == scope.district_id,
                   StaffUser.school_id.in_(schools_of_district(scope.district_id)))
    return StaffUser.id == scope.user_id if scope.role else false()


def _applicants(scope):
    # An applicant is seen through their applications and appeals in the scope.
    return or_(
        Applicant.id.in_(select(Application.applicant_id).where(by_school(Application.school_id)(scope))),
        Applicant.id.in_(select(Appeal.applicant_id).where(by_district(Appeal.district_id)(scope))),
    )


RULES = {
    Region: everyone,
    Campaign: everyone,
    District: by_district(District.id, directors=True),
    School: by_school(School.id),
    Address: by_district(Address.district_id, directors=True),
    MicrodistrictAddress: by_school(MicrodistrictAddress.school_id),
    GradeStat: by_school(GradeStat.school_id),
    SchoolQuota: by_school(SchoolQuota.school_id),
    ClassSet: by_school(ClassSet.school_id),
    SeatPool: by_school(SeatPool.school_id),
    Application: by_school(Application.school_id),
    ApplicationEvent: lambda scope: ApplicationEvent.application_id.in_(_applications_in(scope)),
    Document: lambda scope: Document.application_id.in_(_applications_in(scope)),
    CommissionDecision: _commission_decisions,
    Appeal: by_district(Appeal.district_id),
    AuditEntry: _audit_entries,
    StaffUser: _staff_users,
    Applicant: _applicants,
}


def scope_rule(model, scope=None):
    """The SQL condition: rows of `model` within `scope` (the current one by default)."""
    scope = current_scope() if scope is None else scope
    if scope.role is None:
        return false()
    rule = RULES.get(model)
    return rule(scope) if rule else false()


def scoped_select(model, scope=None):
    return select(model).where(scope_rule(model, scope))


def scoped_rows_by_ids(query, model, ids):
    """`query` narrowed to the given primary keys, as typed in a URL or a form.

    Ids that do not parse as the key's type match nothing, on every database.
    """
    columns = inspect(model).primary_key
    keys = []
    for raw in ids:
        parts = _decode_id(raw, len(columns))
        try:
            keys.append(tuple(column.type.python_type(part) for column, part in zip(columns, parts)))
        except (TypeError, ValueError):
            continue
    if not keys:
        return query.filter(false())
    if len(columns) == 1:
        return query.filter(columns[0].in_([key[0] for key in keys]))
    return query.filter(tuple_(*columns).in_(keys))


def _decode_id(raw, count):
    parts = iterdecode(str(raw)) if count > 1 else (str(raw),)
    return parts if len(parts) == count else (None,) * count


class OutOfScope(ValidationError):
    """A save that would leave a record outside the user's scope."""


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Ajax look-ups (select2 fields) offer only rows within the scope."""

    def get_query(self):
        return super().get_query().filter(scope_rule(self.model))

    def get_one(self, pk):
        with db.session.no_autoflush:
            return scoped_rows_by_ids(self.get_query(), self.model, [pk]).one_or_none()


class ScopedModelView(ModelView):
    """The base of every model view of the portal (docs/admin.md: adding a view).

    A subclass names its model (it must have a rule in RULES), the roles that
    may open it, and which roles may create, edit, delete, export and run each
    action. Actions and extra pages load rows through `get_one` or
    `rows_for_ids` only, so they cannot reach outside the scope.
    """

    roles = ("ministry", "district", "commission", "director")
    create_roles = ()
    edit_roles = ()
    delete_roles = ()
    export_roles = ()
    action_roles = {}  # action name -> roles allowed to run it
    pin_columns = ()  # personal numbers: shown masked in lists and exports

    form_base_class = AdminForm
    filter_converter = PortalFilterConverter()
    can_view_details = True
    column_labels = LABELS
    page_size = 50
    export_types = ["csv"]
    named_filter_urls = True
    list_template = "admin/scoped_list.html"

    def __init__(self, model, **kwargs):
        masked = {name: _masked_formatter for name in self.pin_columns}
        self.column_formatters = {**masked, **dict(self.column_formatters or {})}
        self.column_formatters_export = {**masked, **dict(self.column_formatters_export or {})}
        # Details pages show the whole number: the user may see this record.
        self.column_formatters_detail = {
            **{name: formatter for name, formatter in self.column_formatters.items() if name not in masked},
            **dict(self.column_formatters_detail or {}),
        }
        super().__init__(model, db, **kwargs)

    # --- who may open the view and do what ------------------------------------------
    @property
    def scope(self):
        return current_scope()

    def role_may(self, roles):
        return self.scope.role in roles

    @property
    def can_create(self):
        return self.role_may(self.create_roles)

    @property
    def can_edit(self):
        return self.role_may(self.edit_roles)

    @property
    def can_delete(self):
        return self.role_may(self.delete_roles)

    @property
    def can_export(self):
        return self.role_may(self.export_roles)

    def is_accessible(self):
        from admin.security import staff_signed_in

        return staff_signed_in() and self.role_may(self.roles)

    def inaccessible_callback(self, name, **kwargs):
        from admin.security import staff_signed_in

        if not staff_signed_in():
            return redirect(url_for("admin_auth.login", next=request.full_path))
        abort(403)

    def is_action_allowed(self, name):
        if name == "delete":
            return self.can_delete
        return self.role_may(self.action_roles.get(name, ())) and super().is_action_allowed(name)

    # --- which rows -------------------------------------------------------------------
    def scope_clause(self):
        return scope_rule(self.model)

    def get_query(self):
        return super().get_query().filter(self.scope_clause())

    def get_count_query(self):
        return super().get_count_query().filter(self.scope_clause())

    def get_one(self, id):
        """The record behind an id from a URL or a form; 404 outside the scope."""
        row = scoped_rows_by_ids(self.get_query(), self.model, [id]).one_or_none()
        if row is None:
            abort(404)
        return row

    def rows_for_ids(self, ids):
        """The records of a bulk action, silently limited to the scope."""
        return scoped_rows_by_ids(self.get_query(), self.model, ids).all()

    def scoped_get(self, model, id):
        """A related record (a class-set, a document) by id; 404 outside the scope."""
        query = db.session.query(model).filter(scope_rule(model))
        row = scoped_rows_by_ids(query, model, [id]).one_or_none()
        if row is None:
            abort(404)
        return row

    @property
    def staff_id(self):
        return self.scope.user_id

    def _create_ajax_loader(self, name, options):
        remote_model = getattr(self.model, name).property.mapper.class_
        return ScopedAjaxLoader(name, self.session, remote_model, **options)

    def get_filter_arg(self, index, flt):
        # Named by column and operation in English, so that a link to a filtered
        # list (the start page has some) reads the same in every language.
        column = getattr(flt, "column", None)
        name = flt.key_name or getattr(column, "key", None) or str(index)
        operation = flt.operation()
        operation = getattr(operation, "_args", (operation,))[0]
        return re.sub(r"\W+", "_", f"{name} {operation}".lower()).strip("_")

    def _get_filter_groups(self):
        # Flask-Admin computes filter options once, at start-up, for everybody;
        # compute them per request instead, so that options can follow the scope.
        if not self._filters:
            return None
        groups = OrderedDict()
        for index, flt in enumerate(self._filters):
            groups.setdefault(str(flt.name), []).append({
                "index": index,
                "arg": self.get_filter_arg(index, flt),
                "operation": str(flt.operation()),
                "options": [(key, str(label)) for key, label in (flt.get_options(self) or [])] or None,
                "type": flt.data_type,
            })
        return groups

    # --- forms: choices and saves ---------------------------------------------------
    def create_form(self, obj=None):
        return self.scope_form_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return self.scope_form_choices(super().edit_form(obj))

    def scope_form_choices(self, form):
        """Relationship fields offer (and accept) only rows within the scope."""
        relationships = inspect(self.model).relationships
        for field in form:
            if not hasattr(field, "query_factory"):
                continue
            if field.name not in relationships:
                raise RuntimeError(f"{type(self).__name__}.{field.name}: choices without a scope rule")
            remote_model = relationships[field.name].mapper.class_
            field.query_factory = _scoped_factory(remote_model)
        return form

    def on_model_change(self, form, model, is_created):
        self.check_in_scope(model)

    def on_model_delete(self, model):
        self.check_in_scope(model)

    def check_in_scope(self, model):
        """Refuse a record that the save would put outside the scope."""
        db.session.flush()
        key = inspect(model).identity
        if key is None or scoped_rows_by_ids(self.get_query(), self.model, [_encode_id(key)]).first() is None:
            raise OutOfScope(_l("This record is outside your scope: it was not saved."))

    def list_links(self):
        """[(label, url)] of this view's extra pages the user's role may open."""
        return []

    def render_form_page(self, form, *, submit, intro=None, errors=()):
        return self.render("admin/form_page.html", form=form, submit=submit, intro=intro, errors=errors,
                           cancel_url=get_redirect_target() or self.get_url(".index_view"))

    def back_to(self, endpoint=".index_view", **kwargs):
        return redirect(get_redirect_target() or self.get_url(endpoint, **kwargs))


def _scoped_factory(model):
    return lambda: db.session.scalars(scoped_select(model)).all()


def _encode_id(key):
    return iterencode(key) if len(key) > 1 else key[0]


def _masked_formatter(view, context, model, name):
    return mask_pin(getattr(model, name))
