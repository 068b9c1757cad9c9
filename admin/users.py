"""Staff users: a district provisions the directors of its schools, the ministry
provisions district and commission users (the pattern of seed 004, done
safely). Accounts are created in bulk from a pasted list or a CSV file through
`portal.staff_accounts.create_staff_user`; the answer is an XLSX of one-time
activation links. No password is ever chosen, shown or sent by anyone but its owner."""
import csv
import io
import itertools

from flask import flash, request
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.choices import district_code_options, school_code_options
from admin.forms import ProvisionForm
from admin.labels import ROLE, choices, label_formatter
from admin.scoping import OutOfScope, ScopedModelView
from admin.spreadsheets import TableError, read_table, rows_with_header, xlsx_response
from portal.extensions import db
from portal.models import StaffUser
from portal.staff_accounts import StaffAccountError, create_staff_user, disable, unlock
from portal.unit_of_work import all_or_none

# Who provisions whom. Ministry users are created on the command line only.
PROVISIONS = {"ministry": ("district", "commission", "director"), "district": ("director",)}
MANAGERS = tuple(PROVISIONS)


def _yes(value):
    return _l("Yes") if value else _l("No")


def _scope_text(view, context, model, name):
    place = model.school or model.district
    return place.code if place is not None else _l("the whole country")


class StaffUserView(ScopedModelView):
    roles = MANAGERS
    export_roles = MANAGERS
    action_roles = {name: MANAGERS for name in ("disable", "enable", "unlock", "activation_links")}

    column_list = ("email", "full_name", "role", "scope", "is_enabled", "activated", "second_factor",
                   "locked_until", "last_login_at")
    column_details_list = column_list + ("created_at",)
    column_labels = {**ScopedModelView.column_labels, "activated": _l("Activated"),
                     "second_factor": _l("Second factor")}
    column_searchable_list = ("email", "full_name")
    column_filters = ("role", "is_enabled")
    column_choices = {"role": choices(ROLE)}
    column_formatters = {"role": label_formatter(ROLE), "scope": _scope_text,
                         "activated": lambda view, context, model, name: _yes(model.password_hash is not None),
                         "second_factor": lambda view, context, model, name: _yes(model.totp_secret)}
    column_sortable_list = ("email", "full_name", "role", "last_login_at")
    column_default_sort = "email"

    def list_links(self):
        return [(_("Create accounts"), self.get_url(".provision_view"))] if self.role_may(MANAGERS) else []

    def manageable(self, ids):
        """The selected users this user may manage: in scope and of a role they provision."""
        allowed = PROVISIONS.get(self.scope.role, ())
        return [user for user in self.rows_for_ids(ids) if user.role in allowed and user.id != self.staff_id]

    def _set(self, ids, change=None, **values):
        users = self.manageable(ids)
        for user in users:
            for name, value in values.items():
                setattr(user, name, value)
            if change is not None:
                change(user)
        db.session.commit()
        return len(users)

    @action("disable", _l("Disable"), _l("Disable the selected accounts? They can no longer sign in, "
                                         "and their open sessions end at once."))
    def action_disable(self, ids):
        # For good: enabling again does not revive those sessions.
        flash(_("Accounts disabled: %(num)d.", num=self._set(ids, disable)), "success")

    @action("enable", _l("Enable"))
    def action_enable(self, ids):
        flash(_("Accounts enabled: %(num)d.", num=self._set(ids, is_enabled=True)), "success")

    @action("unlock", _l("Unlock"))
    def action_unlock(self, ids):
        flash(_("Accounts unlocked: %(num)d.", num=self._set(ids, unlock)), "success")

    @action("activation_links", _l("New activation links (XLSX)"))
    def action_activation_links(self, ids):
        """New links for accounts never activated; an activated account resets its
        password by mail instead, so nobody else can choose it."""
        from admin.security import issue_password_link, now, password_link
        from portal.staff_accounts import ACTIVATION_VALID_FOR

        users = [user for user in self.manageable(ids) if user.password_hash is None]
        if not users:
            flash(_("None of the selected accounts waits for activation."), "error")
            return None
        rows = []
        for user in users:
            token = issue_password_link(user, minutes=ACTIVATION_VALID_FOR.total_seconds() // 60, now=now())
            rows.append(self._link_row(user, password_link("activate", token)))
        db.session.commit()
        return self._links_file(rows)

    # --- provisioning --------------------------------------------------------------
    def _link_row(self, user, link):
        place = user.school or user.district
        return [user.email, user.full_name, str(ROLE[user.role]), place.code if place else "", link,
                format_datetime(user.activation_expires_at, "short")]

    def _links_file(self, rows):
        header = [_("E-mail"), _("Full name"), _("Role"), _("Scope"), _("Activation link"), _("Valid until")]
        return xlsx_response("activation-links.xlsx", header, rows)

    def _scope_codes(self, role):
        options = school_code_options() if role == "director" else district_code_options()
        return {code for code, _label in options}

    @expose("/provision/", methods=("GET", "POST"))
    def provision_view(self):
        if not self.role_may(MANAGERS):
            return self.back_to()
        form = ProvisionForm()
        form.role.choices = [(role, ROLE[role]) for role in PROVISIONS[self.scope.role]]
        errors = []
        if form.validate_on_submit():
            try:
                table = self._table(form)
            except TableError as error:
                errors = [str(error)]
            else:
                errors, rows = all_or_none(lambda: self._create_all(form.role.data, table))
                if not errors and rows:
                    return self._links_file(rows)
                errors = errors or [_("Give at least one user.")]
        return self.render_form_page(form, submit=_("Create and download the links"), errors=errors, intro=_(
            "Each new user gets a one-time link to choose a password, valid for 7 days. Hand the XLSX file "
            "over safely: anyone with a link can activate that account. Either all lines are created or, "
            "if any is wrong, none."))

    def _table(self, form):
        upload = request.files.get("file")
        if upload and upload.filename:
            return [(f"{upload.filename}:{line}", row)
                    for line, row in read_table(upload, ("email", "full_name", "scope"))]
        lines = csv.reader(io.StringIO(form.rows.data or ""), skipinitialspace=True)
        return [(_("line %(num)d", num=line - 1), row) for line, row in
                rows_with_header(itertools.chain([["email", "full_name", "scope"]], lines),
                                 ("email", "full_name", "scope"))]

    def _create_all(self, role, table):
        allowed, errors, rows = self._scope_codes(role), [], []
        for where, row in table:
            if row["scope"] not in allowed:
                errors.append(_("%(where)s: %(code)s is not within your scope.", where=where, code=row["scope"]))
                continue
            try:
                user, link = create_staff_user(email=row["email"], role=role, scope=row["scope"],
                                               full_name=row["full_name"])
                self.check_in_scope(user)
            except (StaffAccountError, OutOfScope) as error:
                errors.append(f"{where}: {error}")
                continue
            rows.append(self._link_row(user, link))
        return errors, rows


def register(admin):
    admin.add_view(StaffUserView(StaffUser, name=_l("Users"), endpoint="staff_user"))

