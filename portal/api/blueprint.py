"""URL rules of the JSON API; the handlers live in `views`."""
from flask import Blueprint

from portal.api import views
from portal.api.openapi import MAX_ID

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.add_url_rule("/openapi.json", "openapi", views.openapi, methods=["GET"])
bp.add_url_rule("/auth/start", "auth_start", views.auth_start, methods=["POST"])
bp.add_url_rule("/auth/verify", "auth_verify", views.auth_verify, methods=["POST"])
bp.add_url_rule("/auth/tunduk", "auth_tunduk", views.auth_tunduk, methods=["POST"])
bp.add_url_rule("/auth/sign-out", "auth_sign_out", views.auth_sign_out, methods=["POST"])
bp.add_url_rule("/auth/sign-out-everywhere", "auth_sign_out_everywhere", views.auth_sign_out_everywhere,
                methods=["POST"])
bp.add_url_rule("/me", "me", views.me, methods=["GET"])
bp.add_url_rule("/children", "children", views.list_children, methods=["GET"])
bp.add_url_rule("/children", "add_child", views.add_child, methods=["POST"])
bp.add_url_rule("/schools", "schools", views.schools, methods=["GET"])
bp.add_url_rule("/applications", "applications", views.list_applications, methods=["GET"])
bp.add_url_rule("/applications", "create_application", views.create_application, methods=["POST"])
bp.add_url_rule("/applications/<number>", "application", views.get_application, methods=["GET"])
bp.add_url_rule("/applications/<number>/cancel", "cancel_application", views.cancel_application, methods=["POST"])
bp.add_url_rule("/applications/<number>/move", "move_application", views.move_application, methods=["POST"])
bp.add_url_rule("/contacts", "contacts", views.contacts, methods=["GET"])
# An id beyond the column's range (a 32-bit integer on PostgreSQL) matches no
# route: 404, not the driver's overflow as a 500.
bp.add_url_rule(f"/contacts/<int(min=1, max={MAX_ID}):contact_id>", "remove_contact", views.remove_contact,
                methods=["DELETE"])
bp.add_url_rule("/free-seats", "free_seats", views.free_seats, methods=["GET"])
bp.register_error_handler(Exception, views.handle_error)
