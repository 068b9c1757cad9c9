"""The command line: `flask --app wsgi <command>` (data-formats.md, "Command line").

Each command is a thin edge: it names the actor for the audit trail, calls the
module that does the work, and commits once.
"""
import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import format_datetime, gettext

from portal.audit import acting_as
from portal.extensions import db

data_cli = AppGroup("data", help="Import data folders.")
users_cli = AppGroup("users", help="Staff users.")


@data_cli.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--prune", is_flag=True,
              help="Delete the rows a re-imported file no longer has (grade_stats.csv); without it they are"
                   " only reported.")
@with_appcontext
def data_import(folder, prune):
    """Validate and import every file of FOLDER, all or nothing."""
    from portal.importer import ImportFailed, import_folder

    with acting_as("command:data import"):
        try:
            report = import_folder(folder, echo=click.echo, prune=prune)
        except ImportFailed as failure:
            _exit_import_failed(failure)
    click.echo(report.summary())


def _exit_import_failed(failure):
    for line in failure.errors:
        click.echo(line, err=True)
    raise click.exceptions.Exit(1)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the demo data and exit.")
@with_appcontext
def demo(host, port, no_serve):
    """Create the database, load the sample data with stage 1 open now, and serve."""
    from portal.demo import run_demo
    from portal.importer import ImportFailed
    from portal.secret_key import allow_weak_secret_key

    # The demo serves public data on one machine: it may run with the development
    # key when SECRET_KEY is unset (README: the two commands on a fresh machine).
    allow_weak_secret_key(current_app)
    try:
        run_demo(host=host, port=port, serve=not no_serve, echo=click.echo)
    except ImportFailed as failure:  # the shipped sample data no longer fits the importer
        _exit_import_failed(failure)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["ministry", "district", "commission", "director"]))
@click.option("--scope", default="", help="District code or school code (empty for ministry).")
@click.option("--full-name", default="")
@click.option("--password", default=None, help="Without it, a one-time activation link is printed.")
@with_appcontext
def users_create(email, role, scope, full_name, password):
    """Create a staff user with one role and one scope."""
    from portal.staff_accounts import StaffAccountError, create_staff_user

    with acting_as("command:users create"):
        try:
            user, activation_link = create_staff_user(
                email=email, role=role, scope=scope, full_name=full_name, password=password
            )
        except StaffAccountError as error:
            raise click.ClickException(str(error))
        db.session.commit()
    click.echo(gettext("Created %(email)s: %(role)s, scope %(scope)s.", email=user.email, role=user.role,
                       scope=scope or gettext("the whole country")))
    if activation_link:
        click.echo(gettext("One-time activation link, valid until %(until)s: %(link)s",
                           until=format_datetime(user.activation_expires_at, "short"), link=activation_link))


audit_cli = AppGroup("audit", help="The audit trail's hash chain.")


@audit_cli.command("seal")
@with_appcontext
def audit_seal():
    """Extend the hash chain over settled audit entries."""
    from portal import clock
    from portal.audit_chain import seal
    from portal.extensions import db

    count = seal(now=clock.now())
    db.session.commit()
    click.echo(gettext("%(count)s audit entries sealed", count=count))


@audit_cli.command("verify")
@click.option("--anchors", "anchors_file", type=click.File(encoding="utf-8"), default=None,
              help="Also compare with the anchors kept outside the database: AUDIT_ANCHOR_FILE, "
                   "or the log lines 'audit anchor {...}'.")
@with_appcontext
def audit_verify(anchors_file):
    """Recompute the hash chain and compare its end with the anchors; exit 1 and
    name the first broken entry if any; report the entries not sealed yet."""
    from portal import clock
    from portal.audit_chain import read_anchors, verify

    anchors = ()
    if anchors_file is not None:
        try:
            anchors = read_anchors(anchors_file)
        except ValueError as error:
            raise click.ClickException(str(error))
    verdict = verify(now=clock.now(), anchors=anchors)
    if verdict.intact:
        click.echo(gettext("audit trail intact: %(count)s sealed entries checked", count=verdict.checked))
        if verdict.erased:
            click.echo(gettext("%(count)s of them with values erased at the end of retention",
                               count=verdict.erased))
        click.echo(gettext("anchors of the seal runs that its end agrees with: %(count)s", count=verdict.anchors))
        if verdict.unsealed:
            click.echo(gettext("newer entries not sealed yet: %(count)s, the oldest from %(at)s",
                               count=verdict.unsealed, at=format_datetime(verdict.oldest_unsealed_at, "short")))
        return
    click.echo(
        gettext("audit trail broken at entry %(id)s (%(reason)s) after %(count)s good entries",
          id=verdict.broken_entry_id, reason=_chain_reasons().get(verdict.reason, verdict.reason),
          count=verdict.checked),
        err=True,
    )
    raise click.exceptions.Exit(1)


def _chain_reasons():
    from portal import audit_chain

    return {
        audit_chain.ENTRY_DELETED: gettext("entry deleted"),
        audit_chain.CHANGED: gettext("entry or seal changed"),
        audit_chain.ERASED_OUTSIDE_RETENTION: gettext("values erased outside a retention run"),
        audit_chain.END_CUT_OFF: gettext("the end of the trail was cut off: an anchored entry and its seal are gone"),
        audit_chain.CHAIN_REWRITTEN: gettext("the chain differs from the anchor of an earlier seal run"),
        audit_chain.UNSEALED_DELETED: gettext("entries not sealed yet when a seal run saw them are gone"),
    }


retention_cli = AppGroup("retention", help="Personal data past its retention period.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be anonymised and change nothing.")
@with_appcontext
def retention_run(dry_run):
    """Anonymise the personal data of campaigns past retention, keeping the statistics."""
    from portal import clock
    from portal.retention import run

    with acting_as("command:retention run"):
        report = run(now=clock.now(), dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    if not report.campaigns:
        click.echo(gettext("No campaign is past its retention period: nothing to do."))
        return
    click.echo(gettext("Campaigns past their retention period: %(years)s", years=", ".join(report.campaigns)))
    labels = _retention_labels()
    for name, count in report.counts.items():
        click.echo(f"  {labels[name]}: {count}")
    if dry_run:
        click.echo(gettext("Dry run: nothing was changed."))


def _retention_labels():
    return {
        "applications": gettext("applications anonymised"),
        "application_event_notes": gettext("status history notes erased"),
        "commission_decisions": gettext("commission decisions anonymised"),
        "appeals": gettext("appeals erased"),
        "documents": gettext("documents anonymised"),
        "document_files": gettext("document files deleted"),
        "applicants": gettext("applicants anonymised"),
        "applicant_contacts": gettext("applicants' e-mail addresses and phone numbers deleted"),
        "claimed_children": gettext("children added by applicants deleted"),
        "sign_in_codes": gettext("sign-in codes deleted"),
        "api_tokens": gettext("API tokens deleted"),
        "outbox_messages": gettext("sent messages erased"),
        "audit_payloads_erased": gettext("audit trail values erased"),
        "audit_payloads_not_erasable": gettext("audit trail values kept (sealed before payload digests)"),
    }


def register_commands(app):
    app.cli.add_command(data_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(demo)
    from portal.jobs.cli import register_job_commands

    register_job_commands(app)
