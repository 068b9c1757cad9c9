"""Class formation (R15) and the enrolment order (§19, R11): the director
distributes the admitted children of each language into the school's class-sets,
moves a child by hand, locks the list and then issues the order, which enrols the
children whose documents were received; a district reopens a locked list of its
schools with a reason (the ministry any school's), and a supplementary order
enrols the children placed since. A district reads the lists of its schools, the
ministry those of every school. Every change goes through
`portal.admission.class_lists` and `portal.admission.enrolment`; records are loaded
only through the scope rules (`scoped_select`), so an id of another school answers
404.

Every irreversible or destructive action (distribute, lock, issue an order,
reopen) has a confirmation page (issue #16): a GET renders what will happen, with
a POST form and its CSRF token; only the POST acts. No JavaScript is needed."""
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
from portal.admission import class_lists, enrolment, enrolment_order
from portal.admission.calendar import local_date
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.unit_of_work import attempt
from portal.models import Application, ClassSet, EnrolmentOrder, School

DIRECTOR = ("director",)
REOPENERS = ("district", "ministry")
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

    def _may_reopen(self):
        if not self.role_may(REOPENERS):
            abort(403)

    def _confirm(self, *, action, title, points, submit, school, fields, taken=(), apart=(), reason=False,
                 blocked=None):
        """The confirmation page of an irreversible action: what it will do, and a POST form."""
        return self.render("admin/classes_confirm.html", action=action, title=title, points=points, submit=submit,
                           school=school, school_name=name_of(school), fields=fields, taken=taken, apart=apart,
                           reason=reason, blocked=blocked, reason_max=class_lists.REASON_MAX,
                           class_name=class_lists.class_name,
                           back=self.get_url(".index", school_id=school.id))

    # --- the page --------------------------------------------------------------------------
    @expose("/")
    def index(self):
        campaign = current_campaign()
        school = self._school_asked()
        if campaign is None or school is None:
            return self.render("admin/classes.html", campaign=campaign, school=None, languages=[],
                               schools=school_options() if self.scope.role == "district" else [])
        class_list = class_lists.class_list(campaign, school.id)
        locked = class_list is not None and class_list.locked
        orders = enrolment.orders(campaign, school.id)
        return self.render(
            "admin/classes.html", campaign=campaign, school=school, school_name=name_of(school),
            languages=class_lists.school_classes(campaign, school.id), class_list=class_list,
            locked=locked,
            locked_at=format_datetime(class_list.locked_at, "short") if locked else "",
            may_change=self.role_may(DIRECTOR) and not locked,
            may_issue=self.role_may(DIRECTOR), may_reopen=self.role_may(REOPENERS) and locked,
            plan=enrolment.plan(campaign, school.id) if locked else None,
            orders=orders, enrolled_counts={order.id: sum(1 for entry in order.entries if entry.enrolled)
                                            for order in orders},
            reopenings=class_lists.reopenings(campaign, school.id), moment=lambda value: format_datetime(value, "short"),
            language_labels=LANGUAGE,
            order_languages=[(code, LANGUAGE[code]) for code in enrolment_order.ORDER_LANGUAGES],
            schools=school_options() if self.scope.role == "district" else [], today=local_date(now()))

    # --- the changes (POST, CSRF-checked; a GET shows what they will do) -------------------
    def _change(self, school_id, change, success):
        done, refusal = attempt(change)
        if refusal is not None:
            flash(refusal.message, "error")
        else:
            flash(success, "success")
        return self._back(school_id)

    def _school_of_form(self):
        source = request.form if request.method == "POST" else request.args
        return self._scoped(School, source.get("school_id"))

    @expose("/distribute/", methods=("GET", "POST"))
    def distribute(self):
        school = self._school_of_form()
        self._director_only()
        source = request.form if request.method == "POST" else request.args
        language = source.get("language", "")
        if language not in LANGUAGE:
            abort(400)
        campaign = self._campaign()
        if request.method == "POST":
            return self._change(school.id,
                                lambda: class_lists.distribute(campaign, school.id, language, now=now()),
                                _("The children were distributed into the class-sets."))
        views = [view for view in class_lists.school_classes(campaign, school.id) if view.language == language]
        placed = class_lists.placements(campaign, school.id)
        in_order = class_lists.enrolled_by_order(campaign, school.id)
        children = class_lists.admitted_children(campaign, school.id, language)
        by_hand = sum(1 for child in children if child.id in placed and placed[child.id].by_hand)
        kept = sum(1 for child in children if child.id in in_order)
        points = [_("%(count)s admitted children of the language \"%(language)s\" are placed anew into its "
                    "%(sets)s class-sets, balancing girls and boys and keeping twins together.",
                    count=len(children) - kept, language=LANGUAGE[language],
                    sets=sum(len(view.classes) for view in views))]
        if by_hand:
            points.append(_("Moves made by hand are undone: %(count)s children placed by hand are placed anew.",
                            count=by_hand))
        if kept:
            points.append(_("%(count)s children enrolled by an order keep their classes.", count=kept))
        return self._confirm(action=self.get_url(".distribute"), title=_("Distribute the children?"),
                             points=points, submit=_("Distribute"), school=school,
                             fields={"school_id": school.id, "language": language})

    @expose("/move/", methods=("POST",))
    def move(self):
        application = self._scoped(Application, request.form.get("application_id"))
        class_set = self._scoped(ClassSet, request.form.get("class_set_id"))
        self._director_only()
        campaign = self._campaign()
        return self._change(application.school_id,
                            lambda: class_lists.move(campaign, application, class_set, now=now()),
                            _("The child was moved."))

    @expose("/lock/", methods=("GET", "POST"))
    def lock(self):
        school = self._school_of_form()
        self._director_only()
        campaign = self._campaign()
        if request.method == "POST":
            return self._change(school.id,
                                lambda: class_lists.lock(campaign, school.id, self.scope.user_id, now=now()),
                                _("The class list is locked. Nobody can change it any more."))
        views = class_lists.school_classes(campaign, school.id)
        placed = sum(len(class_view.children) for view in views for class_view in view.classes)
        not_placed = sum(len(view.not_placed) for view in views)
        points = [_("The class list of the school is locked with %(count)s children in %(classes)s classes.",
                    count=placed, classes=sum(1 for view in views for class_view in view.classes
                                              if class_view.children)),
                  _("After the lock nobody, the director included, can change the list; only the district "
                    "education department can reopen it, with a reason."),
                  _("Once it is locked, the enrolment order can be issued.")]
        if not_placed:
            points.append(_("Some admitted children are not placed in a class yet (%(count)s): "
                            "place them, or distribute again, before locking.", count=not_placed))
        return self._confirm(action=self.get_url(".lock"), title=_("Lock the class list?"), points=points,
                             submit=_("Lock the class list"), school=school, fields={"school_id": school.id},
                             blocked=class_lists.lock_refusal(campaign, now()))

    def _order_fields(self, source):
        number = source.get("number", "").strip()
        try:
            order_date = date.fromisoformat(source.get("date", ""))
        except ValueError:
            order_date = None
        return number, order_date

    @expose("/order/", methods=("GET", "POST"))
    def order(self):
        """Issuing the enrolment order: a GET shows which children it enrols and which it
        lists apart; the POST stores it and enrols them (audited: ORM rows)."""
        school = self._school_of_form()
        self._director_only()
        campaign = self._campaign()
        source = request.form if request.method == "POST" else request.args
        number, order_date = self._order_fields(source)
        if not number or len(number) > enrolment.NUMBER_MAX or order_date is None:
            flash(enrolment.MESSAGES["order_number_required"], "error")
            return self._back(school.id)
        if request.method == "POST":
            return self._change(
                school.id,
                lambda: enrolment.issue_order(campaign, school, number=number, order_date=order_date,
                                              staff_id=self.scope.user_id, now=now()),
                _("The order No. %(number)s is issued: its children are enrolled and their parents told.",
                  number=number))
        plan = enrolment.plan(campaign, school.id)
        title = (_("Issue the supplementary enrolment order No. %(number)s of %(date)s?", number=number,
                   date=order_date.strftime("%d.%m.%Y")) if plan.supplementary else
                 _("Issue the enrolment order No. %(number)s of %(date)s?", number=number,
                   date=order_date.strftime("%d.%m.%Y")))
        points = [_("%(count)s children whose documents were received are enrolled, and their parents are told.",
                    count=len(plan.taken)),
                  _("%(count)s children are not enrolled by this order; the order lists them apart with the reason.",
                    count=len(plan.apart)),
                  _("An issued order cannot be changed or withdrawn; a later supplementary order can enrol the "
                    "children listed apart.")]
        blocked = None
        if not class_lists.is_locked(campaign, school.id):
            blocked = enrolment.MESSAGES["class_list_not_locked"]
        elif not plan.taken:
            blocked = enrolment.MESSAGES["nothing_to_enrol"]
        return self._confirm(action=self.get_url(".order"), title=title, points=points,
                             submit=_("Issue the order"), school=school, blocked=blocked,
                             fields={"school_id": school.id, "number": number, "date": order_date.isoformat()},
                             taken=plan.taken, apart=plan.apart)

    @expose("/order/file/")
    def order_file(self):
        """An issued order as a file, in Kyrgyz or Russian, PDF or DOCX: printed as issued."""
        order = self._scoped(EnrolmentOrder, request.args.get("enrolment_order_id"))
        language = request.args.get("language", "")
        kind = request.args.get("format", "pdf")
        if language not in enrolment_order.ORDER_LANGUAGES or kind not in ORDER_FORMATS:
            abort(400)
        document = enrolment_order.build_order(order, language=language)
        data = enrolment_order.order_pdf(document) if kind == "pdf" else enrolment_order.order_docx(document)
        filename = f"enrolment-order-{order.school.code}-{order.sequence}-{order.order_date.isoformat()}.{kind}"
        return Response(data, mimetype=ORDER_FORMATS[kind],
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @expose("/reopen/", methods=("GET", "POST"))
    def reopen(self):
        """A district (its own schools) or the ministry lifts a lock, with a reason."""
        school = self._school_of_form()
        self._may_reopen()
        campaign = self._campaign()
        if request.method == "POST":
            reason = request.form.get("reason", "")
            return self._change(
                school.id,
                lambda: class_lists.reopen(campaign, school.id, reason=reason, staff_id=self.scope.user_id,
                                           now=now()),
                _("The class list is reopened: the director can place the children admitted after the lock and "
                  "lock it again."))
        points = [_("The lock of the class list is lifted: the director can place the children admitted after "
                    "the lock (stage 2, twins, commission decisions) and then locks the list again."),
                  _("Children enrolled by an order keep their classes; the orders issued stay as they are, and a "
                    "supplementary order enrols the children placed since."),
                  _("The reason is kept with the reopening and in the audit trail.")]
        blocked = None if class_lists.is_locked(campaign, school.id) else class_lists.MESSAGES["reopen_not_locked"]
        return self._confirm(action=self.get_url(".reopen"), title=_("Reopen the class list?"), points=points,
                             submit=_("Reopen the class list"), school=school, fields={"school_id": school.id},
                             reason=True, blocked=blocked)


def register(admin):
    admin.add_view(ClassesView(name=_l("Classes"), endpoint="classes"))
