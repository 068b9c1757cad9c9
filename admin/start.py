"""The start page (/admin/): what needs the user's attention now, counted in
their scope: the quota to confirm before the deadline, quotas to approve,
appeals due, documents outstanding, proofs to verify, schools to verify."""
from dataclasses import dataclass

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from admin.labels import LANGUAGE, QUOTA_STATE
from admin.scoping import current_scope, scope_rule
from portal.admission import proofs
from portal.admission.calendar import documents_window_open, proof_check_deadline, quota_deadline
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import AWAITING_DOCUMENTS, Appeal, Application, CommissionDecision, School, SchoolQuota, SeatPool


@dataclass
class Attention:
    label: object
    number: int
    url: str
    urgent: bool = False


def count(model, *conditions):
    return db.session.scalar(select(func.count()).select_from(model).where(scope_rule(model), *conditions))


class StartView(AdminIndexView):
    def is_accessible(self):
        from admin.security import staff_signed_in

        return staff_signed_in()

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("admin_auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        from admin.security import now as clock_now

        campaign, now, scope = current_campaign(), clock_now(), current_scope()
        items, quota, deadline, pools = [], None, None, []
        if campaign is not None:
            deadline = quota_deadline(campaign)
            items = self.attention(campaign, scope, now, deadline)
            if scope.role == "director":
                quota = db.session.scalars(select(SchoolQuota).where(
                    SchoolQuota.campaign_id == campaign.id, SchoolQuota.school_id == scope.school_id)).first()
                pools = db.session.scalars(select(SeatPool).where(
                    SeatPool.campaign_id == campaign.id, SeatPool.school_id == scope.school_id,
                    SeatPool.seats > 0).order_by(SeatPool.language)).all()
        return self.render("admin/start.html", campaign=campaign, items=items, quota=quota, pools=pools,
                           quota_states=QUOTA_STATE, languages=LANGUAGE,
                           deadline=format_datetime(deadline, "short") if deadline else None,
                           deadline_passed=deadline is not None and now > deadline)

    def attention(self, campaign, scope, now, deadline):
        in_campaign = SchoolQuota.campaign_id == campaign.id
        items = []
        if scope.role in ("director", "district", "ministry"):
            drafts = count(SchoolQuota, in_campaign, SchoolQuota.state == "draft")
            items.append(Attention(
                _l("Quotas still to confirm (deadline %(deadline)s)", deadline=format_datetime(deadline, "short")),
                drafts, url_for("quota.index_view", flt0_state_equals="draft"), drafts > 0 and now <= deadline))
        if scope.role in ("district", "ministry"):
            to_approve = count(SchoolQuota, in_campaign,
                               SchoolQuota.state.in_(("confirmed_by_director", "confirmed_automatically")))
            items.append(Attention(_l("Quotas to approve"), to_approve, url_for("quota.index_view"), to_approve > 0))
            open_appeals = count(Appeal, Appeal.campaign_id == campaign.id, Appeal.status.in_(("open", "escalated")))
            overdue = count(Appeal, Appeal.campaign_id == campaign.id, Appeal.status.in_(("open", "escalated")),
                            Appeal.due_at < now)
            items.append(Attention(_l("Appeals to answer"), open_appeals, url_for("appeal.index_view"),
                                   open_appeals > 0))
            items.append(Attention(_l("Appeals past their answer date"), overdue, url_for("appeal.index_view"),
                                   overdue > 0))
            unverified = count(School, School.verified_at.is_(None))
            items.append(Attention(_l("Schools whose name and address are not verified yet"), unverified,
                                   url_for("school.index_view"), unverified > 0))
        if scope.role in ("director", "district", "ministry"):
            waiting = count(Application, Application.campaign_id == campaign.id, Application.status.in_(AWAITING_DOCUMENTS))
            window_open = documents_window_open(campaign, now)
            items.append(Attention(_l("Admitted children whose documents are not received yet"), waiting,
                                   url_for("application.index_view", flt0_status_equals="registered"),
                                   window_open and waiting > 0))
            waiting_proofs = proofs.count_pending_checks(campaign, within=scope_rule(Application))
            items.append(Attention(_l("Proofs of teachers and legal representatives to verify"), waiting_proofs,
                                   url_for("proofs.index"),
                                   waiting_proofs > 0 and now <= proof_check_deadline(campaign)))
        if scope.role in ("commission", "district", "ministry"):
            decisions = count(CommissionDecision, CommissionDecision.campaign_id == campaign.id)
            items.append(Attention(_l("Commission decisions recorded"), decisions,
                                   url_for("commission_decision.index_view")))
        return items
