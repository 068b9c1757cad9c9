"""The data import (data-formats.md, "Import folder"): validate everything, then import all or nothing.

    report = import_folder("path/to/folder", echo=click.echo)

1. Every file present is streamed row by row, each value checked, into a
   staging table of the transaction (`staging`), with its line number.
2. Duplicate keys and references (to the folder or to the database) are
   checked in SQL over the staged rows.
3. Any problem: the transaction is rolled back and `ImportFailed` carries
   every problem as `file:line: reason`. Nothing is imported.
4. Otherwise each file is upserted by its key, in the order of the spec
   table (`apply`, `campaign`), draft quotas are recomputed by R4
   (`quotas`, keeping the directors' changes and reporting conflicts by
   school), one audit entry records the import, and the transaction is
   committed once.

Rows the database holds that a re-imported grade_stats.csv no longer has are
reported, and deleted only when the caller asks (`prune=True`, the command's
`--prune`), in the same one transaction.

Big files never become ORM objects: they move from CSV to staging by COPY
(PostgreSQL) or batched inserts (SQLite) and from staging to the tables by
set operations, so memory stays flat whatever the size of the folder.
"""
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.importer.apply import BULK, MISSING, ORM_APPLIERS, apply_bulk, missing_rows
from portal.importer.campaign import apply_campaign, read_campaign
from portal.importer.quotas import recompute_draft_quotas
from portal.importer.reading import Problems, read_rows
from portal.importer.spec import BY_NAME, CAMPAIGN_FILE, ORDER
from portal.importer.staging import Staging
from portal.models import Campaign

__all__ = ["ImportFailed", "ImportReport", "import_folder"]


class ImportFailed(Exception):
    """The folder has problems; nothing was imported. `errors`: `file:line: reason` lines."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} problem(s) in the import folder")
        self.errors = errors


@dataclass
class ImportReport:
    folder: str
    files: dict = field(default_factory=dict)  # file name -> {"rows", "new", "changed"}
    campaign: str | None = None  # the year of the campaign the quotas were computed for
    quotas: dict | None = None
    missing: dict = field(default_factory=dict)  # file name -> [key tuple] not in the re-imported file
    pruned: bool = False  # the missing rows were deleted (`--prune`)

    def counts(self):
        """Plain counts, for the audit entry."""
        return {"files": self.files, "campaign": self.campaign, "quotas": self.quotas,
                "missing": {name: [list(key) for key in keys] for name, keys in self.missing.items()},
                "pruned": self.pruned}

    def conflict_lines(self):
        """One line per conflict between the new statistics and a director's change, by school."""
        conflicts = sorted((self.quotas or {}).get("conflicts", ()),
                           key=lambda c: (c["school"], c.get("number", 0)))
        return [_conflict_line(conflict) for conflict in conflicts]

    def missing_lines(self):
        lines = []
        for name, keys in self.missing.items():
            if not keys:
                continue
            lines.append("  " + (
                _("%(file)s: %(count)d rows of the database are not in the file; deleted (--prune):",
                  file=name, count=len(keys)) if self.pruned else
                _("%(file)s: %(count)d rows of the database are not in the file; kept (--prune deletes them):",
                  file=name, count=len(keys))))
            lines.extend("    " + ",".join(str(part) for part in key) for key in keys)
        return lines

    def summary(self):
        if not self.files:
            return _("%(folder)s: no data files found; nothing imported.", folder=self.folder)
        lines = [_("Imported %(folder)s:", folder=self.folder)]
        for name, count in self.files.items():
            lines.append("  " + _(
                "%(file)s: %(rows)d rows: %(new)d new, %(changed)d changed, %(unchanged)d unchanged",
                file=name, rows=count["rows"], new=count["new"], changed=count["changed"],
                unchanged=count["rows"] - count["new"] - count["changed"],
            ))
        if self.quotas is not None:
            lines.append("  " + _(
                "draft quotas %(campaign)s: %(computed)d schools computed, %(changed)d changed,"
                " %(kept)d confirmed quotas left as they are",
                campaign=self.campaign, computed=self.quotas["computed"],
                changed=self.quotas["changed"], kept=self.quotas["confirmed_kept"],
            ))
            if self.quotas["seats_kept_for_taken"]:
                lines.append("  " + _(
                    "%(count)d seat pools kept more seats than computed: seats were already taken",
                    count=self.quotas["seats_kept_for_taken"],
                ))
        elif self.campaign is None and ("grade_stats.csv" in self.files):
            lines.append("  " + _("no campaign yet: draft quotas were not computed"))
        conflicts = self.conflict_lines()
        if conflicts:
            lines.append("  " + _("the directors' changes to draft quotas were kept; conflicts, by school:"))
            lines.extend("    " + line for line in conflicts)
        lines.extend(self.missing_lines())
        return "\n".join(lines)


def _conflict_line(conflict):
    kind = conflict["kind"]
    if kind == "recomputed":
        return _("%(school)s, class-set %(number)s: R4 now computes %(computed)s instead of %(before)s;"
                 " the director's change (%(director)s) is kept: %(now)s", **conflict)
    if kind == "kept_as_added":
        return _("%(school)s, class-set %(number)s: the statistics no longer give it; the director made it"
                 " Kyrgyz, so it is kept as a class-set the director added (%(now)s)", **conflict)
    if kind == "removed":
        return _("%(school)s, class-set %(number)s: the statistics no longer give it; it is removed with"
                 " the director's change (%(director)s)", **conflict)
    return _("%(school)s: %(kyrgyz)s class-sets in Kyrgyz, fewer than the %(minimum)s the statistics now ask"
             " (§11); the director must add them before confirming", **conflict)


def import_folder(path, *, echo=print, commit=True, prune=False):
    """Validate and import every file of the folder `path`, all or nothing.

    Rows of the database that a file present no longer has are reported
    (`ImportReport.missing`); with `prune` they are deleted too.

    Commits the one transaction itself when `commit` is true (the default, as
    the `data import` command relies on it); with `commit=False` the caller
    commits. On any problem the session is rolled back (anything the caller
    had pending in it too) and `ImportFailed` is raised. Returns an
    `ImportReport`. Needs an app context.
    """
    folder = Path(path)
    present = [name for name in ORDER if (folder / name).is_file()]
    report = ImportReport(folder=str(path))
    problems = Problems()
    staging = Staging(db.session.connection())
    try:
        campaign_values = _read(folder, present, staging, problems, report, echo)
        if problems:
            raise ImportFailed(problems.lines())
        _apply(present, staging, campaign_values, report, echo, prune)
        audit.record("import", "data import", note=str(path), after=report.counts())
        staging.drop()
        if commit:
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def _read(folder, present, staging, problems, report, echo):
    """Stage and check every file; returns the campaign's values (or None)."""
    campaign_values = None
    for name in present:
        echo(_("reading %(file)s", file=name))
        if name == CAMPAIGN_FILE:
            campaign_values = read_campaign(folder / name, problems)
            continue
        spec = BY_NAME[name]
        rows = staging.load(spec, read_rows(folder / name, spec, problems))
        report.files[name] = {"rows": rows, "new": 0, "changed": 0}
    if staging.staged:
        echo(_("checking keys and references"))
    for name in present:
        if name not in staging.staged:
            continue
        spec = BY_NAME[name]
        for line, key, first_line in staging.duplicates(spec):
            problems.add(name, line, _(
                "the key %(key)s is already on line %(first)d",
                key=", ".join(str(part) for part in key), first=first_line,
            ))
        for reference in spec.references:
            for line, value in staging.dangling(spec, reference):
                problems.add(name, line, _(
                    "%(column)s %(value)s is neither in %(file)s nor in the database",
                    column=reference.column, value=value, file=reference.file,
                ))
    return campaign_values


def _apply(present, staging, campaign_values, report, echo, prune):
    connection = staging.connection
    for name in present:
        if name == CAMPAIGN_FILE:
            continue
        echo(_("importing %(file)s", file=name))
        if name in ORM_APPLIERS:
            new, changed = ORM_APPLIERS[name](staging.rows(BY_NAME[name]))
        else:
            db.session.flush()  # the ids the set operations join on must be in the tables
            new, changed = apply_bulk(connection, BULK[name])
        report.files[name].update(new=new, changed=changed)
        if name in MISSING:
            report.missing[name] = missing_rows(connection, name, prune=prune)
            report.pruned = report.pruned or (prune and bool(report.missing[name]))

    campaign = None
    if campaign_values is not None:
        campaign, new, changed = apply_campaign(campaign_values)
        report.files[CAMPAIGN_FILE] = {"rows": 1, "new": new, "changed": changed}
    if campaign_values is None and "grade_stats.csv" not in present:
        return
    if campaign is None:
        campaign = db.session.scalars(select(Campaign).order_by(Campaign.year.desc())).first()
    if campaign is None:
        return
    echo(_("computing draft quotas for %(campaign)s", campaign=campaign.year))
    report.campaign = campaign.year
    report.quotas = recompute_draft_quotas(campaign)
