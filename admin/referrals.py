"""Referral to a special school (§18, §23): the director of the school, on the
conclusion of the psychological-medical-pedagogical commission (ПМПК), ends an
application as `transferred_to_special_school`
(`portal.admission.referrals.refer_to_special_school`): the seat is released and
the parent is told. A page of its own, reached from the application's page, says
what will happen before the director confirms it (a plain form: no script needed)."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.forms import SpecialSchoolReferralForm
from admin.labels import LANGUAGE, STATUS, name_of
from admin.scoping import ScopedPageView, scope_rule, scoped_rows_by_ids
from admin.security import now
from portal.admission import referrals
from portal.extensions import db
from portal.models import Application
from portal.unit_of_work import attempt

DIRECTOR = ("director",)


class SpecialSchoolReferralView(ScopedPageView):
    roles = DIRECTOR

    def is_visible(self):
        return False  # reached from an application's page, not from the menu

    def _application(self):
        query = db.session.query(Application).filter(scope_rule(Application))
        application = scoped_rows_by_ids(query, Application, [request.values.get("application_id")]).one_or_none()
        if application is None:
            abort(404)  # outside the school, or no such application
        return application

    def _details(self, application):
        return url_for("application.details_view", id=application.id)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        application = self._application()
        if not referrals.may_refer(application):
            flash(_("Application %(number)s cannot be referred to a special school in its status (%(status)s).",
                    number=application.number, status=STATUS.get(application.status, application.status)), "error")
            return redirect(self._details(application))
        form = SpecialSchoolReferralForm()
        if form.validate_on_submit():
            done, refusal = attempt(lambda: referrals.refer_to_special_school(
                application, conclusion_number=form.conclusion_number.data,
                conclusion_date=form.conclusion_date.data, now=now()))
            if refusal is None:
                flash(_("Application %(number)s is referred to a special school: its seat is released and the "
                        "parent is told.", number=application.number), "success")
                return redirect(self._details(application))
            field = getattr(form, refusal.field or "", None)
            if field is not None:
                field.errors = list(field.errors) + [refusal.message]
            else:
                flash(refusal.message, "error")
        name = " ".join((application.child_last_name, application.child_first_name))
        school = " ".join((application.school.code, str(name_of(application.school))))
        what = [
            _("Application %(number)s of %(name)s (school %(school)s, %(language)s) ends with the status "
              "\"%(status)s\".", number=application.number, name=name, school=school,
              language=LANGUAGE.get(application.language, application.language), status=STATUS[referrals.TRANSFERRED]),
            _("Its seat is released at once and goes to the next child who registers."),
            _("The parent is told at every contact, with the number and date of the PMPK conclusion and the way to "
              "appeal to the district education department."),
            _("The admission to the special school itself happens outside the electronic registration (§23). The "
              "referral cannot be undone here."),
        ]
        return self.render("admin/special_referral.html", form=form, application=application, what=what,
                           cancel_url=self._details(application))


def register(admin):
    admin.add_view(SpecialSchoolReferralView(name=_l("Referral to a special school"), endpoint="special_referral"))
