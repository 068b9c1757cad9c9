"""A child the registry does not show: the parent adds it in the cabinet (2026
text, obligations of the applicant). The rule is `claims.add_child`'s; this page
only asks and answers."""
from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from forms.children import AddChildForm
from portal import clock
from portal.admission import claims
from portal.public.edge import attempt, form_errors, render_form, signed_in

FIELDS = ("pin", "last_name", "first_name", "patronymic", "sex", "birth_date", "certificate_series",
          "certificate_number")


@signed_in
def add_child():
    form = AddChildForm()
    if request.method == "POST" and form.validate_on_submit():
        claim, error = attempt(lambda: claims.add_child(
            g.applicant, pin=form.pin.data, last_name=form.last_name.data, first_name=form.first_name.data,
            patronymic=form.patronymic.data or "", sex=form.sex.data, birth_date=form.birth_date.data,
            certificate_series=form.certificate_series.data, certificate_number=form.certificate_number.data,
            now=clock.now()))
        if error is None:
            flash(_("%(name)s is added. You can register the child now; bring the original birth certificate "
                    "with the documents, the school director checks it.", name=claim.full_name))
            return redirect(url_for("public.children"))
        return render_form("public/add_child.html", error, form=form, error_target="#pin")
    errors = form_errors(form, FIELDS) if request.method == "POST" else []
    return render_form("public/add_child.html", errors=errors, form=form)
