"""Languages: Kyrgyz (default), Russian, English.

The locale is the user's explicit choice (kept in the session), then the
browser's Accept-Language, then Kyrgyz. `<html lang>` follows it.
"""
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale

from portal.extensions import babel


def select_locale():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Commands and jobs have no session or browser to ask; jobs choose the
        # recipient's language with force_locale, which bypasses this selector.
        return languages[0]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def init_app(app):
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def language_context():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
