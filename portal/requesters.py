"""Who is asking, as the limits and lockouts count it (issue 15, items 1 and 11).

A requester is the client's address (`request.remote_addr`, which the app
factory takes from X-Forwarded-For behind PROXY_COUNT proxies). It is stored
only as a keyed digest: the limits need to tell two addresses apart, not to
know them, and an address is personal data.
"""
import hashlib
import hmac

from flask import current_app


def requester_digest(address):
    """A digest of the address that asked (32 hex characters). Callers without
    an address (a command, a test) are one requester together."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"requester:{address or '-'}".encode(), hashlib.sha256).hexdigest()[:32]
