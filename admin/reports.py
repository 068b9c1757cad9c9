"""Reports (issue #9, docs/reports.md): the campaign's figures in the user's
scope, with charts drawn on the server and exports as XLSX and CSV.

The ministry opens the nation (rows per region) and drills down to a region
(per district), a district (per school) and a school (per language); a
district user opens its district and its schools; a director its school.
The place comes from the URL (`region_id`, `district_id`, `school_id`) and is
loaded through the scope rules: a place outside the scope answers 404, a
level above the role's answers 403, and the figures themselves are counted
only over the schools the scope rule allows. Every export is recorded in the
audit trail.
"""
from flask import Response, abort, request
from flask_admin import expose
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.scoping import ScopedPageView, scope_rule, scoped_rows_by_ids
from admin.spreadsheets import XLSX_MIME, attachment
from portal import audit, clock
from portal.admission.calendar import local_date
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.labels import LANGUAGE
from portal.models import District, Region, School
from portal.reports import charts, tables
from portal.reports.figures import build_report, progress

ROLES = ("ministry", "district", "director")
# The levels each role may open; the first is where it starts.
LEVELS = {"ministry": ("nation", "region", "district", "school"), "district": ("district", "school"),
          "director": ("school",)}
PLACE_ARGS = (("school_id", School, "school"), ("district_id", District, "district"), ("region_id", Region, "region"))
LEVEL_ARG = {level: arg for arg, _model, level in PLACE_ARGS}
CHILD_LEVEL = {"nation": "region", "region": "district", "district": "school"}
FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_MIME}


class ReportsView(ScopedPageView):
    roles = ROLES

    def place(self):
        """(level, place) asked for in the URL, within the scope; the role's own by default."""
        scope = self.scope
        allowed = LEVELS[scope.role]
        for arg, model, level in PLACE_ARGS:
            if arg in request.args:
                if level not in allowed:
                    abort(403)
                query = db.session.query(model).filter(scope_rule(model))
                found = scoped_rows_by_ids(query, model, [request.args[arg]]).one_or_none()
                if found is None:
                    abort(404)
                return level, found
        level = allowed[0]
        if level == "nation":
            return level, None
        if level == "district":
            return level, db.session.get(District, scope.district_id)
        return level, db.session.get(School, scope.school_id)

    def trail(self, level, place):
        """[(label, url or None)] from the highest level the role may open down to this place."""
        allowed = LEVELS[self.scope.role]
        chain = []
        district = place if level == "district" else getattr(place, "district", None)
        region = place if level == "region" else getattr(district, "region", None)
        candidates = [("nation", None, _("Whole country")), ("region", region, None), ("district", district, None),
                      ("school", place if level == "school" else None, None)]
        for candidate_level, record, label in candidates:
            if candidate_level not in allowed or (candidate_level != "nation" and record is None):
                continue
            label = label or self.place_name(record)
            current = candidate_level == level
            chain.append((label, None if current else self.place_url(candidate_level, record)))
            if current:
                break
        return chain

    def place_url(self, level, record, endpoint=".index", **extra):
        args = {} if level == "nation" else {LEVEL_ARG[level]: record.id}
        return self.get_url(endpoint, **args, **extra)

    @staticmethod
    def place_name(record):
        if record is None:
            return _("Whole country")
        return record.name_ru if str(get_locale()) == "ru" else record.name_ky

    def reports(self, campaign):
        level, place = self.place()
        locale = str(get_locale())
        report = build_report(campaign, level, place, within=scope_rule(School), locale=locale)
        days = progress(campaign, level, place, within=scope_rule(School), today=local_date(clock.now()))
        return report, days

    def title(self, campaign, report):
        return _("Campaign %(year)s: %(place)s", year=campaign.year, place=self.place_name(report.place))

    @expose("/")
    def index(self):
        campaign = current_campaign()
        if campaign is None:
            return self.render("admin/reports/index.html", campaign=None)
        report, days = self.reports(campaign)
        header, body, total = tables.table(report)
        child_level = CHILD_LEVEL.get(report.level)
        drill = child_level in LEVELS[self.scope.role]
        row_urls = [self.get_url(".index", **{LEVEL_ARG[child_level]: row.key}) if drill else None
                    for row in report.rows]
        return self.render(
            "admin/reports/index.html", campaign=campaign, report=report, title=self.title(campaign, report),
            trail=self.trail(report.level, report.place), columns=tables.columns(report), header=header,
            body=body, total=total, row_urls=row_urls, languages=LANGUAGE, days=days,
            bars=charts.quota_bars(report, tables.row_name), share=charts.share, bar_width=charts.BAR_WIDTH,
            line=charts.progress_line(days), day_bars=charts.day_bars(days),
            export_urls={fmt: self.place_url(report.level, report.place, ".export", fmt=fmt) for fmt in FORMATS},
        )

    @expose("/export/<fmt>")
    def export(self, fmt):
        if fmt not in FORMATS:
            abort(404)
        campaign = current_campaign()
        if campaign is None:
            abort(404)
        report, days = self.reports(campaign)
        title = self.title(campaign, report)
        data = tables.to_xlsx(report, title, days) if fmt == "xlsx" else tables.to_csv(report, title)
        place_code = getattr(report.place, "code", "KG")
        # In the trail of the place exported, so its district (and school) see it too.
        place = report.place
        audit.record("view", "report", entity_id=f"{report.level}:{place_code}",
                     note=f"export {fmt} {campaign.year}", after={"level": report.level, "place": place_code,
                                                          "format": fmt, "rows": len(report.rows)},
                     district_id=place.id if isinstance(place, District) else getattr(place, "district_id", None),
                     school_id=place.id if isinstance(place, School) else None)
        db.session.commit()
        # Named after the place and the local date (campaign time zone), as every staff export.
        filename = (f"{_('Report')} {campaign.year} {self.place_name(report.place)} "
                    f"{format_date(local_date(clock.now()), 'short')}.{fmt}")
        return Response(data, mimetype=FORMATS[fmt],
                        headers={"Content-Disposition": attachment(filename), "Cache-Control": "no-store"})


def register(admin):
    admin.add_view(ReportsView(name=_l("Reports"), endpoint="reports"))
