"""Microdistricts: the addresses assigned to each school. A director adds a
missing address when the applicant proves registration there (R17), one at a
time or from a CSV/XLSX file; the district corrects its schools' lists."""
from flask import flash, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from admin.forms import AddAddressForm, ImportAddressesForm
from admin.choices import school_filter, school_options
from admin.scoping import ScopedModelView, scoped_select
from admin.spreadsheets import TableError, read_table
from portal.admission.appeals import add_microdistrict_address
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.unit_of_work import all_or_none, attempt
from portal.models import MicrodistrictAddress, School

ADDERS = ("director", "district")


class MicrodistrictView(ScopedModelView):
    roles = ("director", "district", "ministry")
    delete_roles = ("district",)
    export_roles = ADDERS + ("ministry",)

    column_list = ("school", "address_id", "address", "added_reason")
    column_details_list = ("school", "address_id", "address", "added_reason", "added_by_id")
    column_searchable_list = ("address_id",)
    column_formatters = {"school": lambda view, context, model, name: model.school.code}
    column_default_sort = ("address_id", False)

    def get_filters(self):
        # The school filter's options are computed per request, in the scope.
        return [school_filter(MicrodistrictAddress.school_id)] + list(super().get_filters() or [])

    def list_links(self):
        if not self.role_may(ADDERS):
            return []
        return [(_("Add a missing address"), self.get_url(".add_view")),
                (_("Import addresses from a file"), self.get_url(".import_view"))]

    def _add(self, school_id, address_id, reason):
        school = self.scoped_get(School, school_id)
        add_microdistrict_address(school, address_id.strip(), reason=reason, user_id=self.staff_id)
        return school

    @expose("/add/", methods=("GET", "POST"))
    def add_view(self):
        """R17: add one missing address, with the reason."""
        if not self.role_may(ADDERS):
            return self.back_to()
        form = AddAddressForm()
        form.school_id.choices = school_options()
        if form.validate_on_submit():
            school, refusal = attempt(lambda: self._add(form.school_id.data, form.address_id.data, form.reason.data))
            if refusal is not None:
                form.address_id.errors.append(_("This address code is not a registered dwelling of the "
                                                "school's district."))
            else:
                flash(_("Address %(address)s added to the microdistrict of %(school)s.",
                        address=form.address_id.data.strip(), school=school.code), "success")
                return self.back_to()
        return self.render_form_page(form, submit=_("Add the address"), intro=_(
            "Add an address that is missing from a school's microdistrict when the applicant has "
            "proved registration there (R17). Write how it was proved."))

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        """Many addresses from a file (school_code, address_id), all or none."""
        if not self.role_may(ADDERS):
            return self.back_to()
        form = ImportAddressesForm()
        errors = []
        if form.validate_on_submit() and request.files.get("file"):
            upload = request.files["file"]
            try:
                errors, added = all_or_none(lambda: self._import(upload, form.reason.data))
            except TableError as error:
                errors = [f"{upload.filename}: {error}"]
            if not errors:
                flash(ngettext("%(num)d address added.", "%(num)d addresses added.", added), "success")
                return self.back_to()
        return self.render_form_page(form, submit=_("Import"), errors=errors, intro=_(
            "A CSV (UTF-8) or XLSX file whose first row names the columns school_code and address_id. "
            "Either every row is added or, if any row is wrong, none."))

    def _import(self, upload, reason):
        schools = {code: school_id for school_id, code in db.session.execute(
            select(School.id, School.code).where(School.id.in_(scoped_select(School).with_only_columns(School.id))))}
        errors, added = [], 0
        for line, row in read_table(upload, ("school_code", "address_id")):
            where = f"{upload.filename}:{line}"
            school_id = schools.get(row["school_code"])
            if school_id is None:
                errors.append(_("%(where)s: %(code)s is not a school of your scope.", where=where,
                                code=row["school_code"]))
                continue
            try:
                self._add(school_id, row["address_id"], reason)
                added += 1
            except AdmissionError:
                errors.append(_("%(where)s: %(address)s is not a registered dwelling of the school's district.",
                                where=where, address=row["address_id"]))
        return errors, added


def register(admin):
    admin.add_view(MicrodistrictView(MicrodistrictAddress, name=_l("Microdistricts"), endpoint="microdistrict"))
