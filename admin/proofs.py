"""The proofs to check (R7, R9): every admission that rests on an uploaded
proof the director has not checked yet, and every admission of a child the
parent added whose original birth certificate is not checked yet, oldest first, with the deadline
of the check (§18, policy `proof_check_until`). The director of the school
checks each on the application's page; the district and the ministry read the
queue of their scope. The rows come from `portal.admission.proofs.pending_checks`
within the scope rule of applications (`admin.scoping`)."""
from flask_admin import expose
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from admin.labels import DOCUMENT_KIND, name_of
from admin.scoping import ScopedPageView, scope_rule
from admin.security import now
from portal.admission import claims, proofs
from portal.admission.calendar import proof_check_deadline
from portal.admission.campaigns import current_campaign
from portal.models import Application

ROLES = ("director", "district", "ministry")
SHOWN = 500  # rows on the page; the count says how many there are


class ProofQueueView(ScopedPageView):
    roles = ROLES

    @expose("/")
    def index(self):
        campaign = current_campaign()
        if campaign is None:
            return self.render("admin/proof_queue.html", campaign=None)
        within = scope_rule(Application)
        rows = proofs.pending_checks(campaign, within=within, limit=SHOWN)
        deadline = proof_check_deadline(campaign)
        return self.render(
            "admin/proof_queue.html", campaign=campaign, rows=rows,
            total=proofs.count_pending_checks(campaign, within=within),
            deadline=format_datetime(deadline, "short"), passed=now() > deadline, kinds=DOCUMENT_KIND,
            school_name=name_of, may_check=self.role_may(("director",)),
            claim_deadline=format_datetime(claims.claim_check_deadline(campaign), "short"),
        )


def register(admin):
    admin.add_view(ProofQueueView(name=_l("Proofs to check"), endpoint="proofs"))
