"""The command line: `flask --app wsgi <command>` (data-formats.md, "Command line")."""
import click
from flask.cli import AppGroup

data_cli = AppGroup("data", help="Import data folders.")
users_cli = AppGroup("users", help="Staff users.")


def register_commands(app):
    app.cli.add_command(data_cli)
    app.cli.add_command(users_cli)
