"""`flask --app wsgi deadlines run` and `flask --app wsgi worker` (data-formats.md)."""
import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import format_datetime, gettext

from portal import clock
from portal.audit import acting_as

deadlines_cli = AppGroup("deadlines", help="Deadline actions (R5, R11, R16).")


@deadlines_cli.command("run")
@with_appcontext
def deadlines_run():
    """Carry out every deadline action due now, idempotently, and say what was done."""
    from portal.jobs.deadlines import run_deadlines

    now = clock.now()
    with acting_as("command:deadlines run"):
        report = run_deadlines(now)
    click.echo(gettext("Deadlines due at %(now)s:", now=format_datetime(now, "short")))
    for line in report.lines():
        click.echo(f"  {line}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", default=None, help="Worker name (default: namespace, host and process id).")
@click.option("--fork/--no-fork", default=True, show_default=True,
              help="A work horse process per job (RQ's default), or every job in this process (much faster).")
@with_appcontext
def worker(burst, name, fork):
    """Run an RQ worker with its scheduler on REDIS_URL, inside the app context
    (without REDIS_URL: deliver the outbox and run the deadlines in this process)."""
    from portal.jobs.worker import run_in_process, run_worker
    from portal.secret_key import WeakSecretKey, refuse_weak_secret_key

    try:
        refuse_weak_secret_key(current_app)  # a job may sign or key what the web nodes check
    except WeakSecretKey as error:
        raise click.ClickException(str(error)) from None
    if current_app.config.get("REDIS_URL"):
        run_worker(burst=burst, name=name, fork=fork)
    else:
        click.echo(gettext("REDIS_URL is not set: working in this process."))
        run_in_process(burst=burst)


def register_job_commands(app):
    app.cli.add_command(deadlines_cli)
    app.cli.add_command(worker)
