"""Quotas and class-sets (R4, R5): the draft computed from last year's grades,
the director's allowed changes until the deadline, confirmation by the
director, approval by the district, and the automatic confirmation shown as
such. Every change goes through `portal.admission.quota_changes`; a refusal
shows its rule."""
from flask import flash, request
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from admin.choices import school_filter
from admin.labels import LANGUAGE, QUOTA_STATE, choices, label_formatter, name_of
from admin.confirmation import confirm_first
from admin.scoping import ScopedModelView
from admin.security import now
from portal.admission import quota_changes
from portal.admission.calendar import quota_deadline
from portal.extensions import db
from portal.unit_of_work import attempt
from portal.models import ClassSet, SchoolQuota, SeatPool


class QuotaView(ScopedModelView):
    export_roles = ("district", "ministry")
    action_roles = {"approve": ("district",)}

    column_list = ("school", "state", "base_grade", "min_state_language_class_sets", "director_confirmed_at",
                   "auto_confirmed_at", "district_approved_at")
    column_details_list = column_list
    column_filters = ("state",)
    column_choices = {"state": choices(QUOTA_STATE)}
    column_formatters = {"school": lambda view, context, model, name: f"{model.school.code} {name_of(model.school)}",
                         "state": label_formatter(QUOTA_STATE)}
    column_searchable_list = ("school.code",)
    details_template = "admin/quota_details.html"

    def get_filters(self):
        return [school_filter(SchoolQuota.school_id)] + list(super().get_filters() or [])

    # --- what the details page shows --------------------------------------------------
    def class_sets_of(self, quota):
        return db.session.scalars(select(ClassSet).where(
            ClassSet.campaign_id == quota.campaign_id, ClassSet.school_id == quota.school_id
        ).order_by(ClassSet.number)).all()

    def pools_of(self, quota):
        return db.session.scalars(select(SeatPool).where(
            SeatPool.campaign_id == quota.campaign_id, SeatPool.school_id == quota.school_id, SeatPool.seats > 0
        ).order_by(SeatPool.language)).all()

    def state_language_shortfall(self, quota):
        """§11: Kyrgyz class-sets missing to last year's number (the check of both confirmations)."""
        return quota_changes.state_language_shortfall(quota)

    def deadline_of(self, quota):
        return format_datetime(quota_deadline(quota.campaign), "short")

    def deadline_passed(self, quota):
        return now() > quota_deadline(quota.campaign)

    def director_may_change(self, quota):
        return self.role_may(("director",)) and quota_changes.may_change(quota, now())

    def district_may_approve(self, quota):
        return self.role_may(("district",)) and quota_changes.may_approve(quota)

    language_labels = LANGUAGE
    state_labels = QUOTA_STATE

    def language_choices(self, class_set):
        """The languages the rule lets this class-set take (portal.admission.quota_changes)."""
        return [(code, LANGUAGE[code]) for code in quota_changes.languages_for(class_set)]

    # --- the director's changes and the confirmations (POST, CSRF-checked) -------------------
    def _quota_change(self, quota, change, success):
        """Run one change of quota_changes; a refusal shows the rule it broke."""
        done, refusal = attempt(change)
        if refusal is not None:
            flash(refusal.message, "error")
        else:
            flash(success, "success")
        return self.back_to(".details_view", id=quota.id)

    def _class_set(self):
        class_set = self.scoped_get(ClassSet, request.form.get("class_set_id"))
        return class_set, self._quota_of(class_set.school_id, class_set.campaign_id)

    def _quota_of(self, school_id, campaign_id):
        return db.session.scalars(select(SchoolQuota).where(
            SchoolQuota.school_id == school_id, SchoolQuota.campaign_id == campaign_id)).one()

    def _director_only(self):
        return None if self.role_may(("director",)) else self.back_to()

    @expose("/seats/", methods=("POST",))
    def change_seats(self):
        class_set, quota = self._class_set()
        seats = request.form.get("seats", type=int)
        if self._director_only() or seats is None:
            return self.back_to(".details_view", id=quota.id)
        return self._quota_change(quota, lambda: quota_changes.change_seats(
            quota.campaign, class_set, seats, now=now()), _("The seats of the class-set were changed."))

    @expose("/language/", methods=("POST",))
    def change_language(self):
        class_set, quota = self._class_set()
        if self._director_only():
            return self.back_to(".details_view", id=quota.id)
        return self._quota_change(quota, lambda: quota_changes.change_language(
            quota.campaign, class_set, request.form.get("language", ""), now=now()),
            _("The language of the class-set was changed."))

    @expose("/add-class-set/", methods=("POST",))
    def add_class_set(self):
        quota = self.get_one(request.form.get("id"))
        if self._director_only():
            return self.back_to(".details_view", id=quota.id)
        seats = request.form.get("seats", type=int)
        return self._quota_change(quota, lambda: quota_changes.add_state_language_class_set(
            quota.campaign, quota.school_id, seats=seats, now=now()), _("A class-set in Kyrgyz was added."))

    @expose("/remove-class-set/", methods=("POST",))
    def remove_class_set(self):
        class_set, quota = self._class_set()
        if self._director_only():
            return self.back_to(".details_view", id=quota.id)
        return self._quota_change(quota, lambda: quota_changes.remove_added_class_set(
            quota.campaign, class_set, now=now()), _("The class-set was removed."))

    def _describe_confirm(self):
        quota = self.get_one(request.form.get("id"))
        if not self.role_may(("director",)):
            return None
        return _("Confirm the quota"), [
            _("The quota of %(school)s is confirmed as it stands: after this nobody can change it (R5).",
              school=quota.school),
            _("The district education department then approves it.")]

    def _describe_approve(self):
        quota = self.get_one(request.form.get("id"))
        if not self.role_may(("district",)):
            return None
        return _("Approve the quota"), [
            _("The quota of %(school)s becomes final for the campaign (§17).", school=quota.school)]

    @expose("/confirm/", methods=("POST",))
    @confirm_first(_describe_confirm)
    def confirm(self):
        quota = self.get_one(request.form.get("id"))
        if self._director_only():
            return self.back_to(".details_view", id=quota.id)
        return self._quota_change(quota, lambda: quota_changes.confirm_by_director(
            quota.campaign, quota, self.staff_id, now=now()), _("The quota is confirmed."))

    @expose("/approve/", methods=("POST",))
    @confirm_first(_describe_approve)
    def approve(self):
        quota = self.get_one(request.form.get("id"))
        if not self.role_may(("district",)):
            return self.back_to(".details_view", id=quota.id)
        return self._quota_change(quota, lambda: quota_changes.approve_by_district(
            quota.campaign, quota, self.staff_id, now=now()), _("The quota is approved."))

    @action("approve", _l("Approve the quotas"), _l("Approve the selected quotas?"))
    def action_approve(self, ids):
        approved, refused = 0, []
        for quota in self.rows_for_ids(ids):
            try:
                quota_changes.approve_by_district(quota.campaign, quota, self.staff_id, now=now())
                approved += 1
            except quota_changes.QuotaChangeRefused as refusal:
                refused.append(f"{quota.school.code}: {refusal.message}")
        db.session.commit()
        flash(ngettext("%(num)d quota approved.", "%(num)d quotas approved.", approved), "success")
        for message in refused:
            flash(message, "error")


def register(admin):
    admin.add_view(QuotaView(SchoolQuota, name=_l("Quotas and class-sets"), endpoint="quota"))
