"""Handlers of the public pages anyone may see: the start page, the language
switch, free seats by school, the health check."""
from urllib.parse import urlparse

from flask import abort, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload

from forms.applications import DistrictFilterForm
from forms.choices import grouped_options
from portal import clock
from portal.admission import schools as school_choice
from portal.admission.calendar import stage_at
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import District
from portal.public.edge import locale
from portal.public.labels import name_of
from portal.reports import open_statistics


def start():
    campaign = current_campaign()
    stage = stage_at(campaign, clock.now()) if campaign else None
    return render_template("public/start.html", campaign=campaign, stage=stage)


def set_language(code):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    target = request.args.get("next") or url_for("public.start")
    # Only ever go back to a page of this site.
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/"):
        target = url_for("public.start")
    return redirect(target)


def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


def district_choices(districts):
    """Select options grouped by region: [(region name, [(code, name)])]."""
    groups = {}
    for district in districts:
        groups.setdefault(name_of(district.region, locale()), []).append((district.code, name_of(district, locale())))
    return list(groups.items())


def all_districts():
    return db.session.scalars(
        select(District).options(joinedload(District.region)).order_by(District.code)
    ).all()


def free_seats():
    """Public: free seats per school and language, one district at a time (a whole
    country would not fit on a phone's page)."""
    districts = all_districts()
    form = DistrictFilterForm(request.args)
    groups = district_choices(districts)
    form.district.choices = grouped_options(groups)
    chosen = next((d for d in districts if d.code == form.district.data), None)
    campaign, choices = (current_campaign(), [])
    if chosen is not None:
        campaign, choices = school_choice.free_seats(district_code=chosen.code)
    stage = stage_at(campaign, clock.now()) if campaign else None
    totals = open_statistics.totals_of({"language": p.language, "seats": p.seats, "taken": p.taken, "free": p.free}
                                       for choice in choices for p in choice.pools)
    return render_template("public/free_seats.html", form=form, groups=groups, district=chosen,
                           campaign=campaign, stage=stage, choices=choices, totals=totals)
