"""Open statistics (public): free seats of the whole country, of each region and
of each district, with no personal data. Each district links to /free-seats,
which lists its schools. The figures come through the open statistics cache
(portal/reports/open_statistics.py), so the page costs the database one
grouped query every few seconds, however many people read it."""
from flask import make_response, render_template

from portal.admission.campaigns import current_campaign
from portal.public.edge import locale
from portal.reports import open_statistics


def _figures():
    campaign = current_campaign()
    if campaign is None:
        return None
    # Plain values only: the cache outlives this request's database session.
    return {"year": campaign.year, "stats": open_statistics.free_seat_statistics(campaign)}


def statistics():
    figures = open_statistics.cached(("public.statistics",), _figures)
    response = make_response(render_template("public/statistics.html", figures=figures, loc=locale()))
    response.headers["Cache-Control"] = f"public, max-age={int(open_statistics.ttl())}"
    response.vary.add("Cookie")  # the language may come from the session
    return response
