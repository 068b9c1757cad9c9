"""URL rules of the public pages (the handlers live in `views`)."""
from flask import Blueprint

from portal.public import views

bp = Blueprint("public", __name__)
bp.add_url_rule("/", "start", views.start)
bp.add_url_rule("/lang/<code>", "set_language", views.set_language)
bp.add_url_rule("/healthz", "health", views.health)
