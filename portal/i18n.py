"""Languages: Kyrgyz (default), Russian, English.

The locale is the user's explicit choice (kept in the session), then the
browser's Accept-Language, then Kyrgyz. `<html lang>` follows it. The same
selector serves the pages and the JSON API: a mobile client without a session
gets the language of its Accept-Language header.

Catalogues: translations/<lang>/LC_MESSAGES/messages.po, kept up to date by
`python -m portal.i18n_tools update` (docs/translations.md).
"""
from flask import current_app, has_request_context, request, request_started, session
from flask_babel import get_locale, refresh

from portal.extensions import babel


def select_locale():
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        # Commands and jobs have no session or browser to ask; jobs choose the
        # recipient's language with force_locale, which bypasses this selector.
        return default
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or default


def _forget_previous_locale(sender, **extra):
    # Flask-Babel caches the locale on `g`, which lives as long as the app context.
    # A request that reuses an outer app context (the test client inside the `app`
    # fixture, a request made from a command) would otherwise keep the previous
    # request's language.
    refresh()


def _vary_on_language(response):
    # The same URL answers in different languages: shared caches must key on it.
    response.vary.add("Accept-Language")
    return response


# Dates as people write them here, with the whole year in every language
# (issue 16: "26.11.26" was read as a day of 1926 or 2026; ISO birth dates looked
# like codes): format_date(d, "short") and format_datetime(t, "short") follow these.
DATE_FORMATS = {"date.short": "dd.MM.yyyy", "datetime.short": "dd.MM.yyyy HH:mm"}


def init_app(app):
    babel.init_app(app, locale_selector=select_locale)
    babel.date_formats.update(DATE_FORMATS)
    request_started.connect(_forget_previous_locale, app)
    app.after_request(_vary_on_language)

    @app.context_processor
    def language_context():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
