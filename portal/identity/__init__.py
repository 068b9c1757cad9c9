"""Who a parent is, as the state vouches for it: sign-in with "Түндүк" (OpenID Connect).

    from portal.identity import get_state_identity, IdentityRefused, IdentityUnavailable
    identity = get_state_identity()       # None where it is not configured
    pin = identity.pin_from_id_token(id_token, now=now)

`TundukIdentity` talks to the provider named by TUNDUK_OIDC_ISSUER and
TUNDUK_OIDC_CLIENT_ID; without them there is no state identity and the sign-in
page offers only the code. See docs/security.md and docs/operations.md.
"""
import threading

from flask import current_app

from portal.identity.ports import AuthorizationRequest, IdentityRefused, IdentityUnavailable, StateIdentity
from portal.identity.tunduk import TundukIdentity

__all__ = [
    "AuthorizationRequest",
    "IdentityRefused",
    "IdentityUnavailable",
    "StateIdentity",
    "TundukIdentity",
    "configured",
    "get_state_identity",
]

_creating = threading.Lock()


def configured(config) -> bool:
    return bool(config.get("TUNDUK_OIDC_ISSUER") and config.get("TUNDUK_OIDC_CLIENT_ID"))


def get_state_identity() -> StateIdentity | None:
    """The state identity of the current app, made once and kept in app.extensions,
    or None where none is configured.

    One instance per app, so that every thread shares its connection pool and the
    kept discovery document and key set. Tests may put any `StateIdentity` into
    `app.extensions["state_identity"]` beforehand to stand in for it.
    """
    app = current_app._get_current_object()
    identity = app.extensions.get("state_identity")
    if identity is None and configured(app.config):
        with _creating:
            identity = app.extensions.get("state_identity")
            if identity is None:
                identity = app.extensions["state_identity"] = TundukIdentity.from_config(app.config)
    return identity
