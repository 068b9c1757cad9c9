"""R11 (2026): after the documents window, the children whose documents did not
come, in the scope of the user; the director of the school decides per child on
the application's page (release the seat with a reason, or wait: nothing is
released by itself unless the campaign's policy says so). The rows come from
`portal.admission.documents_window.documents_missing` within the scope rule of
applications (`admin.scoping`)."""
from flask_admin import expose
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from admin.labels import name_of
from admin.scoping import ScopedPageView, scope_rule
from admin.security import now
from portal.admission import documents_window
from portal.admission.campaigns import current_campaign
from portal.models import Application

ROLES = ("director", "district", "ministry")
SHOWN = 500


class DocumentsMissingView(ScopedPageView):
    roles = ROLES

    @expose("/")
    def index(self):
        campaign = current_campaign()
        rows = documents_window.documents_missing(campaign, within=scope_rule(Application), now=now(),
                                                  limit=SHOWN) if campaign else []
        return self.render(
            "admin/documents_missing.html", campaign=campaign, rows=rows, school_name=name_of,
            until=format_date(campaign.documents_until) if campaign else None,
            automatic=bool(campaign and campaign.setting("release_without_documents")),
            may_decide=self.role_may(("director",)),
        )


def register(admin):
    admin.add_view(DocumentsMissingView(name=_l("Documents missing"), endpoint="documents_missing"))
