"""Handlers of the public pages."""
from urllib.parse import urlparse

from flask import abort, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import text

from portal.extensions import db


def start():
    return render_template("public/start.html")


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
