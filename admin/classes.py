"""Class formation (R15) and the enrolment order: the director distributes the
admitted children of each language into the school's class-sets, moves a child
by hand, locks the list and then prints the order. A district reads the lists
of its schools, the ministry those of every school. Every change goes through
`portal.admission.class_lists`; records are loaded only through the scope
rules (`scoped_select`), so an id of another school answers 404."""
from datetime import date

from flask import Response, abort, flash, redirect, request
from flask_admin import expose
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.choices import school_options
from admin.labels import LANGUAGE, name_of
from admin.scoping import ScopedPageView, scoped_rows_by_ids, scope_rule
from admin.security import now
from portal import audit
from portal.admission import class_lists, enrolment_order
from portal.admission.class_lists import ClassListRefused
from portal.admission.calendar import local_date
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.unit_of_work import attempt
from portal.models import Application, ClassSet, School

DIRECTOR = ("director",)
ORDER_FORMATS = {"pdf": "application/pdf",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


class ClassesView(ScopedPageView):
    roles = ("director", "district", "ministry")

    # --- loading, always within the scope --------------------------------------------
    def _scoped(self, model, record_id):
        """The record behind an id from a URL or a form; 404 outside the scope or unknown."""
        query = db.session.query(model).filter(scope_rule(model))
        row = scoped_rows_by_ids(query, model, [record_id]).one_or_none() if record_id else None
        if row is None:
            abort(404)
        return row

    def _school_asked(self):
        """The school of the page: the director's own; for others the one asked for."""
        if request.args.get("school_id"):
            return self._scoped(School, request.args["school_id"])
        code = request.args.get("code", "").strip().upper()
        if code:
            school = db.session.query(School).filter(scope_rule(School), School.code == code).one_or_none()
            if school is None:
                flash(_("No school with this code in your scope."), "error")
            return school
        if self.scope.role == "director":
            return db.session.get(School, self.scope.school_id)
        return None

    def _campaign(self):
        campaign = current_campaign()
        if campaign is None:
            abort(404)
        return campaign

    def _director_only(self):
        if not self.role_may(DIRECTOR):
            abort(403)

    def _back(self, school_id):
        return redirect(self.get_url(".index", school_id=school_id))

    # --- the page --------------------------------------------------------------------------
    @expose("/")
    def index(self):
        campaign = current_campaign()
        school = self._school_asked()
        if campaign is None or school is None:
            return self.render("admin/classes.html", campaign=campaign, school=None, languages=[],
                               schools=school_options() if self.scope.role == "district" else [])
        class_list = class_lists.class_list(campaign, school.id)
        return self.render(
            "admin/classes.html", campaign=campaign, school=school, school_name=name_of(school),
            languages=class_lists.school_classes(campaign, school.id), class_list=class_list,
            locked=class_list is not None and class_list.locked,
            locked_at=format_datetime(class_list.locked_at, "short") if class_list and class_list.locked else "",
            may_change=self.role_may(DIRECTOR) and not (class_list is not None and class_list.locked),
            may_issue=self.role_may(DIRECTOR), language_labels=LANGUAGE,
            order_languages=[(code, LANGUAGE[code]) for code in enrolment_order.ORDER_LANGUAGES],
            schools=school_options() if self.scope.role == "district" else [], today=local_date(now()))

    # --- the director's changes (POST, CSRF-checked) ---------------------------------------
    def _change(self, school_id, change, success):
        done, refusal = attempt(change)
        if refusal is not None:
            flash(refusal.message, "error")
        else:
            flash(success, "success")
        return self._back(school_id)

    @expose("/distribute/", methods=("POST",))
    def distribute(self):
        school = self._scoped(School, request.form.get("school_id"))
        self._director_only()
        language = request.form.get("language", "")
        if language not in LANGUAGE:
            abort(400)
        campaign = self._campaign()
        return self._change(school.id, lambda: class_lists.distribute(campaign, school.id, language, now=now()),
                            _("The children were distributed into the class-sets."))

    @expose("/move/", methods=("POST",))
    def move(self):
        application = self._scoped(Application, request.form.get("application_id"))
        class_set = self._scoped(ClassSet, request.form.get("class_set_id"))
        self._director_only()
        campaign = self._campaign()
        return self._change(application.school_id,
                            lambda: class_lists.move(campaign, application, class_set, now=now()),
                            _("The child was moved."))

    @expose("/lock/", methods=("POST",))
    def lock(self):
        school = self._scoped(School, request.form.get("school_id"))
        self._director_only()
        campaign = self._campaign()
        return self._change(school.id, lambda: class_lists.lock(campaign, school.id, self.scope.user_id, now=now()),
                            _("The class list is locked. Nobody can change it any more."))

    @expose("/order/", methods=("POST",))
    def order(self):
        """The enrolment order as a file; issuing it is recorded in the audit trail."""
        school = self._scoped(School, request.form.get("school_id"))
        self._director_only()
        campaign = self._campaign()
        language = request.form.get("language", "")
        kind = request.form.get("format", "pdf")
        number = request.form.get("number", "").strip()
        try:
            order_date = date.fromisoformat(request.form.get("date", ""))
        except ValueError:
            order_date = None
        if language not in enrolment_order.ORDER_LANGUAGES or kind not in ORDER_FORMATS:
            abort(400)
        if not number or len(number) > 50 or order_date is None:
            flash(_("Give the order a number and a date."), "error")
            return self._back(school.id)
        try:
            order = enrolment_order.build_order(campaign, school, language=language, number=number,
                                                order_date=order_date)
        except ClassListRefused as refusal:
            flash(refusal.message, "error")
            return self._back(school.id)
        data = enrolment_order.order_pdf(order) if kind == "pdf" else enrolment_order.order_docx(order)
        audit.record("command", "enrolment_order", note="issued", entity_id=str(school.id), school_id=school.id,
                     district_id=school.district_id,
                     after={"number": number, "date": order_date.isoformat(), "language": language, "format": kind})
        db.session.commit()
        filename = f"enrolment-order-{school.code}-{order_date.isoformat()}.{kind}"
        return Response(data, mimetype=ORDER_FORMATS[kind],
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def register(admin):
    admin.add_view(ClassesView(name=_l("Classes"), endpoint="classes"))
