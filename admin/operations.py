"""Operations (ministry only): the outbox and the job queues at a glance, the
messages not delivered and the failed jobs, with retry. Reads and retries go
through `portal.jobs`; every retry is recorded in the audit trail."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import audit
from portal.extensions import db
from portal.jobs import outbox, status

ROLES = ("ministry",)


class OperationsView(BaseView):
    def is_accessible(self):
        from admin.scoping import current_scope
        from admin.security import staff_signed_in

        return staff_signed_in() and current_scope().role in ROLES

    def inaccessible_callback(self, name, **kwargs):
        from admin.security import staff_signed_in

        if not staff_signed_in():
            return redirect(url_for("admin_auth.login", next=request.full_path))
        abort(403)

    @expose("/")
    def index(self):
        return self.render(
            "admin/operations.html", counts=status.outbox_counts(), messages=status.undelivered(),
            rq=status.rq_state(), mask=status.mask_recipient,
        )

    @expose("/retry-messages", methods=("POST",))
    def retry_messages(self):
        ids = request.form.getlist("message_id", type=int)
        if request.form.get("all_failed"):
            ids = [m.id for m in status.undelivered(limit=10000) if m.state == "failed"]
        retried = outbox.retry(ids)
        audit.record("command", "outbox_messages", note="retry", after={"ids": retried})
        db.session.commit()  # the relay delivers them after this commit
        flash(_("Messages sent for delivery again: %(count)s", count=len(retried)), "success")
        return redirect(url_for(".index"))

    @expose("/retry-jobs", methods=("POST",))
    def retry_jobs(self):
        ids = request.form.getlist("job_id")
        retried = status.retry_failed_jobs(ids)
        audit.record("command", "rq_jobs", note="retry", after={"ids": ids})
        db.session.commit()
        flash(_("Failed jobs put back in their queue: %(count)s", count=retried), "success")
        return redirect(url_for(".index"))


def register(admin):
    admin.add_view(OperationsView(name=_l("Operations"), endpoint="operations"))
