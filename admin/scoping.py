"""One scoping mechanism for the whole staff portal.

A staff user never sees or changes a record outside their scope (DESIGN.md):
a director their school, a district or commission user their district, the
ministry everything. Two pieces do it:

- `admin.scope_rules.RULES`: for each model, the SQL condition "this row lies
  within the scope". A model without a rule is invisible to everyone.
- `ScopedModelView`: the base of every model view. Every way Flask-Admin reaches
  rows goes through `scope_clause`: the list and its count, search, filters and
  their options, export, bulk actions, the record behind an id typed into a URL
  (404 outside the scope), the choices of relationship fields, ajax look-ups,
  and a save that would move a record out of the scope (refused).
  `ScopedPageView` is the base of other pages (reports, queues).
"""
import re
from collections import OrderedDict
from datetime import date, datetime

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.helpers import get_redirect_target
from flask_admin.tools import iterencode
from flask_admin.model import typefmt
from flask_babel import format_date, format_datetime, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import inspect
from wtforms.validators import ValidationError

from admin.filters import PortalFilterConverter
from admin.forms import AdminForm
from admin.labels import LABELS, mask_pin, name_of
from admin.spreadsheets import csv_response, xlsx_response
from admin.scope_rules import (  # noqa: F401  (the rules, importable from here too)
    NOBODY,
    RULES,
    Scope,
    current_scope,
    fits_column,
    scope_of,
    scope_rule,
    scoped_rows_by_ids,
    scoped_select,
)
from portal import clock
from portal.admission.calendar import local_date
from portal.exports import safe_cell
from portal.extensions import db
from portal.models import District, School


MAX_PAGE = 100_000


def yes_no(value):
    return gettext("Yes") if value else gettext("No")


HUMAN_FORMATTERS = {
    bool: lambda view, value, name: yes_no(value),
    datetime: lambda view, value, name: format_datetime(value, "short"),
    date: lambda view, value, name: format_date(value, "short"),
}


class OutOfScope(ValidationError):
    """A save that would leave a record outside the user's scope."""


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """Ajax look-ups (select2 fields) offer only rows within the scope."""

    def get_query(self):
        return super().get_query().filter(scope_rule(self.model))

    def get_one(self, pk):
        with db.session.no_autoflush:
            return scoped_rows_by_ids(self.get_query(), self.model, [pk]).one_or_none()


class RoleAccess:
    """Who may open a view: a signed-in staff user of one of `roles`."""

    roles = ("ministry", "district", "commission", "director")

    @property
    def scope(self):
        return current_scope()

    def role_may(self, roles):
        return self.scope.role in roles

    def is_accessible(self):
        from admin.security import staff_signed_in

        return staff_signed_in() and self.role_may(self.roles)

    def inaccessible_callback(self, name, **kwargs):
        from admin.security import staff_signed_in

        if not staff_signed_in():
            return redirect(url_for("admin_auth.login", next=request.full_path))
        abort(403)


class ScopedPageView(RoleAccess, BaseView):
    """The base of an admin page that is not a model's list (a report, a queue):
    only its roles open it; whatever rows it reads, it reads through `scoped_select`."""


class ScopedModelView(RoleAccess, ModelView):
    """The base of every model view of the portal (docs/admin.md: adding a view).

    A subclass names its model (it must have a rule in RULES), the roles that
    may open it, and which roles may create, edit, delete, export and run each
    action. Actions and extra pages load rows through `get_one` or
    `rows_for_ids` only, so they cannot reach outside the scope.
    """

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
    export_types = ["xlsx", "csv"]
    named_filter_urls = True
    list_template = "admin/scoped_list.html"
    # Moments are stored in UTC; people read them in local time (Asia/Bishkek),
    # dates as dd.mm.yyyy and yes/no as words of their language, on the page and
    # in the exports alike (issue 16, items 3 and 4).
    column_type_formatters = {**typefmt.BASE_FORMATTERS, **HUMAN_FORMATTERS}
    column_type_formatters_detail = column_type_formatters
    column_type_formatters_export = {**typefmt.EXPORT_FORMATTERS, **HUMAN_FORMATTERS}

    def __init__(self, model, **kwargs):
        masked = {name: _masked_formatter for name in self.pin_columns}
        self.column_formatters = {**masked, **dict(self.column_formatters or {})}
        # Exports say what the list says (words, not codes), unless a view says otherwise.
        self.column_formatters_export = {**self.column_formatters, **dict(self.column_formatters_export or {})}
        # Details pages show the whole number: the user may see this record.
        self.column_formatters_detail = {
            **{name: formatter for name, formatter in self.column_formatters.items() if name not in masked},
            **dict(self.column_formatters_detail or {}),
        }
        super().__init__(model, db, **kwargs)

    # --- who may do what -------------------------------------------------------------
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

    def is_action_allowed(self, name):
        if name == "delete":
            return self.can_delete
        return self.role_may(self.action_roles.get(name, ())) and super().is_action_allowed(name)

    def _get_list_filter_args(self):
        # A filter value the column cannot hold (a school id of 2^31) would be a
        # 500 on PostgreSQL: it gets Flask-Admin's "invalid filter value" instead.
        found = super()._get_list_filter_args()
        if found is None:
            return None
        kept = []
        for index, name, value in found:
            flt = self._filters[index]
            if _filter_value_fits(flt, value):
                kept.append((index, name, value))
            else:
                flash(self.get_invalid_value_msg(value, flt), "error")
        return kept

    def _get_list_extra_args(self):
        # ?page=-1 was a negative OFFSET, a huge page one past PostgreSQL's
        # integers: both a 500 (issue 15, item 9). No list has 100,000 pages.
        view_args = super()._get_list_extra_args()
        view_args.page = min(max(view_args.page or 0, 0), MAX_PAGE)
        return view_args

    def get_export_value(self, model, name):
        # Every cell of every list's export: a stored text can start a formula (portal/exports.py).
        value = super().get_export_value(model, name)
        if isinstance(value, Markup):  # a list formatter's HTML: its words only
            value = value.striptags()
        return safe_cell(value)

    # --- exports (issue 16, item 4) ---------------------------------------------------
    @expose("/export/<export_type>/")
    def export(self, export_type):
        """The list as the user filtered it, as XLSX or CSV (UTF-8 with a byte order
        mark), in the user's words, named after the place and the local date."""
        if not self.can_export or export_type not in self.export_types:
            flash(gettext("Permission denied."), "error")
            return redirect(get_redirect_target() or self.get_url(".index_view"))
        _count, rows = self._export_data()
        rows = list(rows)
        self.prepare_export(rows)
        header = [str(label) for _name, label in self._export_columns]
        body = [[self.get_export_value(row, name) for name, _label in self._export_columns] for row in rows]
        filename = self.export_file_name(export_type)
        if export_type == "xlsx":
            return xlsx_response(filename, header, body)
        return csv_response(filename, header, body)

    def prepare_export(self, rows):
        """A hook: load at once what the export's cells need of these rows."""

    def export_file_name(self, export_type):
        """"<list> <school or district> <dd.mm.yyyy>.<type>", the date in the campaign's time zone."""
        today = format_date(local_date(clock.now()), "short")
        return f"{self.name} {place_name(self.scope)} {today}.{export_type}"

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

    # --- list actions: confirmed on a page of their own (issue 16) ------------------------
    # Flask-Admin asks to confirm an action with the browser's JavaScript confirm(); without
    # JavaScript the action ran at once. Every action declared with a question is confirmed
    # here instead, server-side: the first POST shows what will happen to which records, the
    # second (`confirmed=1`, with its CSRF token) does it.

    def get_actions_list(self):
        actions, _questions = super().get_actions_list()
        return actions, {}  # no browser confirm() on top of the page below

    def handle_action(self, return_view=None):
        action = request.form.get("action")
        data = self._actions_data.get(action)
        if data and data[2] and request.form.get("confirmed") != "1" and self.is_action_allowed(action):
            ids = request.form.getlist("rowid")
            return self.render("admin/action_confirm.html", action=action, title=data[1], question=data[2],
                               ids=ids, rows=self.rows_for_ids(ids), url=request.path,
                               back=get_redirect_target() or self.get_url(".index_view"))
        return super().handle_action(return_view)

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


def place_name(scope):
    """The school, district or country of a scope, as its users call it."""
    if scope.school_id is not None:
        school = db.session.get(School, scope.school_id)
        return f"{school.code} {name_of(school)}"
    if scope.district_id is not None:
        return name_of(db.session.get(District, scope.district_id))
    return gettext("Kyrgyz Republic")


def _filter_value_fits(flt, value):
    try:
        cleaned = flt.clean(value)
    except Exception:  # noqa: BLE001 - Flask-Admin's own validation had its say
        return True
    values = cleaned if isinstance(cleaned, (list, tuple)) else [cleaned]
    return all(fits_column(getattr(flt, "column", None), item) for item in values)


def _scoped_factory(model):
    return lambda: db.session.scalars(scoped_select(model)).all()


def _encode_id(key):
    return iterencode(key) if len(key) > 1 else key[0]


def _masked_formatter(view, context, model, name):
    return mask_pin(getattr(model, name))
