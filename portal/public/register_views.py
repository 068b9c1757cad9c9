"""Registering a child, one question per page: the children linked to the
parent → (twins together) → school and language → about you (teacher, legal
representative's act) → check your answers → confirmation."""
from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms.choices import options
from forms.registration import AboutYouForm, ChildrenTogetherForm, SchoolForm, SubmitForm
from portal import clock
from portal.admission import applications, claims, documents, family, registration
from portal.admission import schools as school_choice
from portal.admission.calendar import stage_at
from portal.admission.campaigns import current_campaign
from portal.admission.errors import AdmissionError
from portal.models import LIVE_CLAIM_STATES
from portal.public import edge
from portal.public.edge import attempt, draft, form_errors, render_form, save_draft, signed_in
from portal.public.views import all_districts, district_choices

# Where a refusal at submission sends the parent to change the answer.
FIX_AT = {
    "outside_microdistrict": "public.school",
    "no_free_seats": "public.school",
    "school_not_available": "public.school",
    "validation_error": "public.school",
    "document_required": "public.about",
    "representative_limit_reached": "public.about",
    "proof_rejected": "public.about",
    "already_registered": "public.children",
}


@signed_in
def children():
    try:
        kids = edge.children()
    except AdmissionError as error:
        return edge.unavailable(error)
    active = applications.active_applications_of(g.applicant)
    together = [group for group in family.born_together(kids) if not any(kid[2].pin in active for kid in group)]
    campaign = current_campaign()
    stage = stage_at(campaign, clock.now()) if campaign else None
    refusals = {person.pin: family.child_refusal(campaign, person) for _, _, person in kids} if campaign else {}
    claimed = claims.claims_of(g.applicant.id)
    added = {claim.child_pin: claim.state for claim in claimed if claim.state in LIVE_CLAIM_STATES}
    rejected = [claim for claim in claimed if claim.state == "rejected"]
    return render_template("public/children.html", kids=kids, active=active, together=together, stage=stage,
                           refusals=refusals, added=added, rejected_claims=rejected)


@signed_in
def begin(ref):
    try:
        edge.child(ref)  # 404 unless it is one of the parent's children
    except AdmissionError as error:
        return edge.unavailable(error)
    edge.clear_draft()
    save_draft(children=[ref])
    return redirect(url_for("public.school"))


@signed_in
def together():
    try:
        groups = family.born_together(edge.children())
    except AdmissionError as error:
        return edge.unavailable(error)
    form = ChildrenTogetherForm()
    form.children.choices = options((ref, person.full_name) for group in groups for ref, _, person in group)
    if form.validate_on_submit():
        births = {person.birth_date for group in groups for ref, _, person in group if ref in form.children.data}
        if len(births) == 1:
            edge.clear_draft()
            save_draft(children=list(form.children.data))
            return redirect(url_for("public.school"))
        form.children.errors.append(_("Choose children born on the same day."))
    errors = form_errors(form, ("children",)) if request.method == "POST" else []
    return render_form("public/together.html", form=form, groups=groups, errors=errors)


def _drafted_children():
    """[(ref, Link, Person)] of the draft, or None when there is no draft."""
    refs = draft().get("children") or []
    if not refs:
        return None
    return [(ref, *edge.child(ref)) for ref in refs]


def _offer(child_pin, district_code):
    return school_choice.offer_for_child(g.applicant.pin, child_pin, now=clock.now(), district_code=district_code)


@signed_in
def school():
    try:
        kids = _drafted_children()
        if kids is None:
            return redirect(url_for("public.children"))
        offered_now = _offer(kids[0][2].pin, request.args.get("district") or None)
    except AdmissionError as error:
        return edge.unavailable(error)
    stage, choices, district_code = offered_now.stage, offered_now.choices, offered_now.district_code
    form = SchoolForm()
    offered = offered_now.options()
    form.choice.choices = options((value, value) for value in offered)
    if request.method == "GET" and draft().get("school"):
        form.choice.data = f"{draft()['school']}:{draft()['language']}"
    if form.validate_on_submit():
        code, language = form.chosen()
        save_draft(school=code, language=language)
        return redirect(url_for("public.about"))
    errors = form_errors(form, ("choice",)) if request.method == "POST" else []
    return render_form("public/school.html", form=form, kids=kids, stage=stage, choices=choices, offered=offered,
                       district=district_code, districts=district_choices(all_districts()), errors=errors)


@signed_in
def school_elsewhere():
    """Stage 1: "my school is not in the list". The parent may name another school
    of a district; the domain's answer (outside the microdistrict, and what to do
    about it, R17) comes at once instead of at the end."""
    try:
        kids = _drafted_children()
        if kids is None:
            return redirect(url_for("public.children"))
        catchment = _offer(kids[0][2].pin, None)
    except AdmissionError as error:
        return edge.unavailable(error)
    stage = catchment.stage
    if stage != 1:
        return redirect(url_for("public.school"))
    district = request.args.get("district") or catchment.district_code
    choices = school_choice.free_seats(district_code=district)[1] if district else []
    offered = [f"{c.school.code}:{pool.language}" for c in choices for pool in c.pools]
    form = SchoolForm()
    form.choice.choices = options((value, value) for value in offered)
    error = None
    if form.validate_on_submit():
        code, language = form.chosen()
        if school_choice.elsewhere_accepted(g.applicant.pin, catchment, form.choice.data, code,
                                            child_count=len(kids)):
            save_draft(school=code, language=language)
            return redirect(url_for("public.about"))
        error = AdmissionError("outside_microdistrict")
    errors = form_errors(form, ("choice",)) if request.method == "POST" else []
    return render_form("public/school_elsewhere.html", error, form=form, kids=kids, stage=stage,
                       choices=choices, offered=offered, district=district, errors=errors,
                       error_target="#choice-0", districts=district_choices(all_districts()),
                       stage2_opens=current_campaign().stage2_opens)


def _drafted_school():
    return school_choice.school_by_code(draft().get("school"))


@signed_in
def about(step="about"):
    """"About you": the teacher question and, for a legal representative, the act
    (R9). A teacher not on the school's list may then add a certificate on a page of
    its own (step "proof"), so that other parents never see that field."""
    try:
        kids = _drafted_children()
        campaign = current_campaign()
        if kids is None or campaign is None or _drafted_school() is None:
            return redirect(url_for("public.school"))
        teacher, representative = family.questions(campaign, g.applicant.pin, [person.pin for _, _, person in kids])
    except AdmissionError as error:
        return edge.unavailable(error)
    proof_step = step == "proof"
    if (not teacher and not representative) or (proof_step and (representative or not draft().get("teacher"))):
        return redirect(url_for("public.check"))
    form = AboutYouForm()
    if not teacher or proof_step:
        del form.teacher
    elif request.method == "GET" and "teacher" in draft():
        form.teacher.data = "yes" if draft()["teacher"] else "no"
    if representative:
        if teacher:  # the upload below is the act, not a teacher's certificate
            form.teacher.description = _("Children of the school's teachers are admitted over the quota.")
        form.document.label.text = _("The act that makes you the child's legal representative")
        form.document.description = _("A court act or an act of the social-development body. %(hint)s",
                                      hint=form.document.description)
    elif proof_step:
        form.document.label.text = _("Certificate from the school that you work there (only if you are "
                                     "not on the school's list of teachers)")
    else:
        del form.document
    if form.validate_on_submit():
        return _save_about(form, representative, proof_step) or _render_about(form, kids, representative)
    return _render_about(form, kids, representative)


def _save_about(form, representative, proof_step):
    """Keep the answers in the draft and go on; None when the upload was refused."""
    upload = form.document.data if form.document else None
    if upload and upload.filename:
        # The upload field is shown to a legal representative (the act) and on the
        # teacher's proof page (the certificate): the same decision as the API's.
        kind = documents.kind_for(as_representative=representative, category="teacher" if proof_step else None)
        document, error = attempt(lambda: documents.store_draft_document(
            upload.stream, filename=upload.filename, owner_pin=g.applicant.pin, kind=kind,
            replaces=draft().get("document_id")))
        if error is not None:
            form.document.errors = [error.message]
            return None
        save_draft(document_id=document.id, document_name=document.original_name)
    elif representative and not draft().get("document_id"):
        form.document.errors = [_("Upload the court act or the act of the social-development body.")]
        return None
    elif proof_step and not draft().get("document_id"):
        # Not on the school's list of teachers (else this page is skipped): the
        # certificate is what the admission rests on (R7), asked here, not at the end.
        form.document.errors = [_("Upload the certificate from the school that you work there.")]
        return None
    if proof_step:
        return redirect(url_for("public.check"))
    is_teacher = bool(form.teacher) and form.teacher.data == "yes"
    save_draft(teacher=is_teacher)
    if not representative and not is_teacher:
        save_draft(document_id=None, document_name=None)  # a certificate from an earlier "yes"
    if is_teacher and not representative and family.teacher_needs_proof(g.applicant.pin, draft().get("school")):
        return redirect(url_for("public.teacher_proof"))
    return redirect(url_for("public.check"))


def _render_about(form, kids, representative):
    errors = form_errors(form, ("teacher", "document")) if request.method == "POST" else []
    return render_form("public/about.html", form=form, kids=kids, school=_drafted_school(),
                       representative=representative, document_name=draft().get("document_name"),
                       errors=errors)


def _submit(kids, school_code, language, teacher):
    now, document = clock.now(), documents.draft_document(g.applicant.pin, draft().get("document_id"))
    secret = current_app.config["SECRET_KEY"]
    if len(kids) > 1:
        return registration.register_together(
            g.applicant, [person.pin for _, _, person in kids], school_code, language, now=now, secret=secret,
            document=document, contact_id=g.contact_id)
    return [registration.register(
        g.applicant, kids[0][2].pin, school_code, language, now=now, secret=secret,
        category="teacher" if teacher else None, document=document, contact_id=g.contact_id)]


@signed_in
def check():
    answers = draft()
    try:
        kids = _drafted_children()
    except AdmissionError as error:
        return edge.unavailable(error)
    school_row = _drafted_school()
    if kids is None or school_row is None:
        return redirect(url_for("public.children"))
    form = SubmitForm()
    context = dict(form=form, kids=kids, school=school_row, language=answers["language"],
                   teacher=answers.get("teacher"), document_name=answers.get("document_name"))
    if not form.validate_on_submit():
        return render_form("public/check.html", **context)
    created, error = attempt(lambda: _submit(kids, school_row.code, answers["language"], answers.get("teacher")))
    if error is not None:
        # The draft stays: after an outage the same answers can be sent again.
        target = url_for(FIX_AT[error.code]) if error.code in FIX_AT else None
        return render_form("public/check.html", error, error_target=target, **context)
    edge.clear_draft()
    return redirect(url_for("public.confirmation", number=created[0].number))
