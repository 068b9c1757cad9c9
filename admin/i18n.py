"""Flask-Admin's own strings ("Save", "Delete", "equals", ...) from our catalogue.

Flask-Admin translates its screens through one gettext domain object,
`flask_admin.babel.domain`, which reads `admin.mo` from Flask-Admin's own
translations (Russian, English, no Kyrgyz). Flask-Babel lets a domain read a
different catalogue name from each directory, so we point that object at
Flask-Admin's `admin.mo` first and at our `messages.mo` last: ours wins where
both have a message, and Kyrgyz comes only from ours. One catalogue, one
workflow (`portal.i18n_tools update`) for every string a person reads.

The message ids must be exactly Flask-Admin's (they are pinned with its major
version in pyproject.toml); `_builtin_messages` lists the ones our screens can
show, so that extraction keeps them in our catalogue.
"""
import flask_admin.translations
from flask_admin import babel as admin_babel
from flask_babel import gettext, ngettext

FLASK_ADMIN_TRANSLATIONS = flask_admin.translations.__path__[0]


def serve_flask_admin_strings_from_our_catalogue(app):
    """Make Flask-Admin's domain read Flask-Admin's catalogue, then ours (idempotent).

    WTForms' messages in the admin's forms come from our catalogue through
    `admin.forms.AdminForm`, as in the public forms.
    """
    domain = admin_babel.domain
    domain._translation_directories = [FLASK_ADMIN_TRANSLATIONS, app.config["BABEL_TRANSLATION_DIRECTORIES"]]
    domain.domain = ["admin", "messages"]
    domain.cache.clear()  # its cache key does not name the directories


def _builtin_messages():  # pragma: no cover - never called; Babel reads the calls
    """Flask-Admin's messages our screens can show (its bootstrap4 templates,
    model views, SQLAlchemy filters and form fields)."""
    # templates: list, forms, details, filters, actions
    gettext("List")
    gettext("Create")
    gettext("Create New Record")
    gettext("Edit")
    gettext("Edit Record")
    gettext("Details")
    gettext("View Record")
    gettext("Delete Record")
    gettext("Are you sure you want to delete this record?")
    gettext("Are you sure you want to delete selected records?")
    gettext("Delete")
    gettext("Delete?")
    gettext("Add")
    gettext("New")
    gettext("Save")
    gettext("Save and Add Another")
    gettext("Save and Continue Editing")
    gettext("Cancel")
    gettext("Search")
    gettext("Filter")
    gettext("Add Filter")
    gettext("Apply")
    gettext("Reset Filters")
    gettext("Export")
    gettext("items")
    gettext("With selected")
    gettext("Select all records")
    gettext("Select record")
    gettext("Please select at least one record.")
    gettext("Sort by %(name)s")
    gettext("Home")
    # flashed by the model views
    gettext("Record was successfully created.")
    gettext("Record was successfully saved.")
    ngettext("Record was successfully deleted.", "%(count)s records were successfully deleted.", 2)
    gettext("Record does not exist.")
    gettext("Failed to create record.")
    gettext("Failed to create record. %(error)s")
    gettext("Failed to save record.")
    gettext("Failed to update record. %(error)s")
    gettext("Failed to delete record. %(error)s")
    gettext("Failed to delete records. %(error)s")
    gettext("Integrity error. %(message)s")
    gettext("Permission denied.")
    gettext("Export type \"%(type)s\" is not supported.")
    gettext("Invalid Filter Value: %(value)s")
    gettext("There are no items in the table.")
    # filter operations
    gettext("equals")
    gettext("not equal")
    gettext("contains")
    gettext("not contains")
    gettext("empty")
    gettext("in list")
    gettext("not in list")
    gettext("greater than")
    gettext("smaller than")
    gettext("between")
    gettext("not between")
    gettext("Yes")
    gettext("No")
    # form fields and validators
    gettext("Not a valid choice")
    gettext("Invalid Choice: could not coerce")
    gettext("Already exists.")
    gettext("This field requires at least one item.")
    ngettext("At least %(num)d item is required", "At least %(num)d items are required", 2)
    gettext("Invalid time format")
    gettext("Invalid JSON")
