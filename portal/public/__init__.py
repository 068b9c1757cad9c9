"""The public pages for parents."""
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound, RequestEntityTooLarge, TooManyRequests

from portal.public import labels
from portal.public.blueprint import bp
from portal.public.errors import csrf_failed, file_too_large, not_found, private_pages, too_many_requests

bp.record_once(lambda state: labels.install(state.app))
bp.after_request(private_pages)
bp.register_error_handler(CSRFError, csrf_failed)
bp.register_error_handler(RequestEntityTooLarge, file_too_large)
bp.register_error_handler(NotFound, not_found)
bp.register_error_handler(TooManyRequests, too_many_requests)

__all__ = ["bp"]
