"""After submitting: the confirmation, "my applications" with the status
history and the place in the order, cancelling (R8, with a confirmation step),
moving to another school in stage 2, and appeals to the district (R16)."""
from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from forms.choices import grouped_options, options
from forms.applications import AppealForm, CancelForm, MoveForm
from forms.registration import SchoolForm
from portal import clock
from portal.admission import applications as parent_applications
from portal.admission import cancelling, claims
from portal.admission import schools as school_choice
from portal.admission.appeals import file_appeal
from portal.admission.calendar import proof_check_deadline
from portal.admission.campaigns import current_campaign
from portal.admission.errors import AdmissionError
from portal.public import edge
from portal.public.edge import attempt, form_errors, render_form, signed_in
from portal.public.labels import moment
from portal.public.views import all_districts, district_choices


def _own(number):
    try:
        return parent_applications.own_application(g.applicant, number)
    except AdmissionError:
        abort(404)


def _facts(application):
    """What a page tells about an application besides its own columns."""
    return {
        "position": parent_applications.position(application),
        "cancellations_left": cancelling.cancellations_left(application),
        "cancel_limit": application.campaign.setting("cancel_limit"),
        "can_cancel": cancelling.may_cancel(application),
        "can_move": cancelling.may_move(application, clock.now()),
        # R7, R9: until when the director may still check the uploaded proof.
        "proof_check_until": proof_check_deadline(application.campaign),
        # A child the parent added: the check of the original birth certificate.
        "claim": claims.claim_of_application(application),
        "claim_check_until": claims.claim_check_deadline(application.campaign),
    }


@signed_in
def confirmation(number):
    application = _own(number)
    return render_template("public/confirmation.html", application=application,
                           together=parent_applications.registered_together(application),
                           campaign=application.campaign, position=parent_applications.position)


@signed_in
def applications():
    rows = parent_applications.applications_of(g.applicant, newest_first=True)
    return render_template("public/applications.html", rows=rows, position=parent_applications.position)


@signed_in
def application(number):
    row = _own(number)
    return render_template("public/application.html", application=row, **_facts(row))


@signed_in
def cancel(number):
    row = _own(number)
    form = CancelForm()
    if form.validate_on_submit():
        done, error = attempt(lambda: cancelling.cancel(
            g.applicant, number, now=clock.now(), contact_id=g.contact_id, confirmation_code=form.code(),
            locale=edge.locale()))
        if error is None:
            flash(_("The application %(number)s is cancelled and its seat released.", number=number))
            return redirect(url_for("public.application", number=number))
        return render_form("public/cancel.html", error, form=form, application=_own(number),
                           needs_code=_needs_code(form, error), error_target="#confirmation_code",
                           **_facts(_own(number)))
    return render_form("public/cancel.html", form=form, application=row, needs_code=False,
                       errors=form_errors(form, ("confirmation_code",)), **_facts(row))


def _needs_code(form, error):
    """Whether the page asks for the confirmation code: a code was sent, or one was typed."""
    return error.code in ("confirmation_required", "unauthorized") or bool(form.code())


@signed_in
def move(number):
    """Stage 2: choose the new school (the next page asks to confirm)."""
    row = _own(number)
    facts = _facts(row)
    if not facts["can_move"]:
        return edge.unavailable(AdmissionError("not_allowed"))
    try:
        offered_now = school_choice.offer_for_child(g.applicant.pin, row.child_pin, now=clock.now(),
                                                    district_code=request.args.get("district") or None)
    except AdmissionError as error:
        return edge.unavailable(error)
    stage, choices, district = offered_now.stage, offered_now.choices, offered_now.district_code
    form = SchoolForm()
    current = f"{row.school.code}:{row.language}"
    offered = offered_now.options(leave_out=current)
    form.choice.choices = options((value, value) for value in offered)
    if form.validate_on_submit():
        code, language = form.chosen()
        session["move"] = {"number": number, "school": code, "language": language}
        return redirect(url_for("public.move_confirm", number=number))
    errors = form_errors(form, ("choice",)) if request.method == "POST" else []
    return render_form("public/move.html", form=form, application=row, stage=stage, choices=choices, offered=offered,
                       current=current, district=district, districts=district_choices(all_districts()),
                       errors=errors, **facts)


@signed_in
def move_confirm(number):
    row = _own(number)
    chosen = session.get("move") or {}
    if chosen.get("number") != number:
        return redirect(url_for("public.move", number=number))
    target = school_choice.school_by_code(chosen["school"])
    form = MoveForm()
    context = dict(form=form, application=row, target=target, language=chosen["language"], **_facts(row))
    if not form.validate_on_submit():
        return render_form("public/move_confirm.html", needs_code=False,
                           errors=form_errors(form, ("confirmation_code",)), **context)
    moved, error = attempt(lambda: cancelling.move(
        g.applicant, number, chosen["school"], chosen["language"], now=clock.now(),
        secret=current_app.config["SECRET_KEY"], contact_id=g.contact_id,
        confirmation_code=form.code(), locale=edge.locale()))
    if error is not None:
        needs_code = _needs_code(form, error)
        target = "#confirmation_code" if needs_code else url_for("public.move", number=number)
        return render_form("public/move_confirm.html", error, error_target=target, needs_code=needs_code,
                           **context)
    session.pop("move", None)
    return redirect(url_for("public.confirmation", number=moved.number))


@signed_in
def appeal(number=None):
    row = _own(number) if number else None
    campaign = current_campaign()
    if campaign is None:
        return edge.unavailable(AdmissionError("registration_closed"))
    form = AppealForm()
    groups = district_choices(all_districts())
    form.district.choices = grouped_options(groups)
    if row is not None:
        del form.district  # the application's own district answers it
    form.text.description = _("%(what)s The department answers within %(days)s working days.",
                              what=form.text.description, days=campaign.setting("appeal_working_days"))
    if form.validate_on_submit():
        district_id = None
        if row is None:
            district_id = next(d.id for d in all_districts() if d.code == form.district.data)
        sent, error = attempt(lambda: file_appeal(
            campaign, g.applicant, district_id=district_id, text=form.text.data, now=clock.now(),
            application_number=number))
        if error is None:
            flash(_("Your appeal has been sent. The district education department answers by %(date)s.",
                    date=moment(sent.due_at)))
            return redirect(url_for("public.application", number=number) if number else url_for("public.applications"))
        return render_form("public/appeal.html", error, form=form, application=row, groups=groups)
    order = ("text",) if row is not None else ("district", "text")
    errors = form_errors(form, order) if request.method == "POST" else []
    return render_form("public/appeal.html", form=form, application=row, groups=groups, errors=errors)
