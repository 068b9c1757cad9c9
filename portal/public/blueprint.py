"""URL rules of the public pages (the handlers live in the *views modules).

No URL carries personal data: children are opaque references, the PIN travels
only in POST bodies, application numbers reveal nothing of others (DESIGN.md).
"""
from flask import Blueprint

from portal.public import (
    application_views,
    children_views,
    contact_views,
    register_views,
    sign_in_views,
    statistics_views,
    tunduk_views,
    views,
)

bp = Blueprint("public", __name__)
GET_POST = ["GET", "POST"]

bp.add_url_rule("/", "start", views.start)
bp.add_url_rule("/lang/<code>", "set_language", views.set_language)
bp.add_url_rule("/healthz", "health", views.health)
bp.add_url_rule("/free-seats", "free_seats", views.free_seats)
bp.add_url_rule("/statistics", "statistics", statistics_views.statistics)

bp.add_url_rule("/sign-in", "sign_in", sign_in_views.sign_in, methods=GET_POST)
bp.add_url_rule("/sign-in/code", "sign_in_code", sign_in_views.sign_in_code, methods=GET_POST)
bp.add_url_rule("/sign-in/tunduk", "sign_in_tunduk", tunduk_views.sign_in_tunduk)
bp.add_url_rule("/sign-in/tunduk/callback", "sign_in_tunduk_callback", tunduk_views.sign_in_tunduk_callback)
bp.add_url_rule("/sign-out", "sign_out", sign_in_views.sign_out, methods=["POST"])
bp.add_url_rule("/contacts", "contacts", contact_views.contacts, methods=GET_POST)

bp.add_url_rule("/children", "children", register_views.children)
bp.add_url_rule("/children/add", "add_child", children_views.add_child, methods=GET_POST)
bp.add_url_rule("/register/child/<ref>", "begin", register_views.begin)
bp.add_url_rule("/register/together", "together", register_views.together, methods=GET_POST)
bp.add_url_rule("/register/school", "school", register_views.school, methods=GET_POST)
bp.add_url_rule("/register/school/other", "school_elsewhere", register_views.school_elsewhere, methods=GET_POST)
bp.add_url_rule("/register/about-you", "about", register_views.about, methods=GET_POST)
bp.add_url_rule("/register/teacher-proof", "teacher_proof", register_views.about, methods=GET_POST,
                defaults={"step": "proof"})
bp.add_url_rule("/register/check", "check", register_views.check, methods=GET_POST)

bp.add_url_rule("/applications", "applications", application_views.applications)
bp.add_url_rule("/applications/<number>", "application", application_views.application)
bp.add_url_rule("/applications/<number>/confirmation", "confirmation", application_views.confirmation)
bp.add_url_rule("/applications/<number>/cancel", "cancel", application_views.cancel, methods=GET_POST)
bp.add_url_rule("/applications/<number>/move", "move", application_views.move, methods=GET_POST)
bp.add_url_rule("/applications/<number>/move/confirm", "move_confirm", application_views.move_confirm,
                methods=GET_POST)
bp.add_url_rule("/applications/<number>/appeal", "application_appeal", application_views.appeal,
                methods=GET_POST)
bp.add_url_rule("/appeal", "appeal", application_views.appeal, methods=GET_POST)
