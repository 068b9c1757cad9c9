"""The parent's bound contacts: see them, remove one (trust, DESIGN.md). The
rule of what may be removed is `sign_in.remove_contact`'s."""
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms.sign_in import RemoveContactForm
from portal import clock
from portal.admission import sign_in as sign_in_rules
from portal.public.edge import attempt, render_form, signed_in


@signed_in
def contacts():
    form = RemoveContactForm()
    if request.method == "POST" and form.validate_on_submit():
        removed, error = attempt(lambda: sign_in_rules.remove_contact(
            g.applicant, form.contact_id.data, acting_contact_id=g.contact_id, now=clock.now()))
        if error is None:
            flash(_("%(contact)s is removed: we no longer send messages there, and the sessions signed in through it are ended.",
                    contact=removed.address))
            return redirect(url_for("public.contacts"))
        return render_form("public/contacts.html", error, form=form, contacts=g.applicant.active_contacts,
                           current=g.contact_id)
    return render_template("public/contacts.html", form=form, contacts=g.applicant.active_contacts,
                           current=g.contact_id, errors=[])
