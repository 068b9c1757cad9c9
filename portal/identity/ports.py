"""The state identity port: who a person is, as the state's identity provider
("Түндүк", OpenID Connect) vouches for it.

The edges (the sign-in page, the API) ask it for a PIN; the admission domain
only ever sees that PIN (`sign_in.sign_in_with_state_identity`), never a token.
One adapter exists (`portal.identity.tunduk.TundukIdentity`); without
configuration there is none, and parents sign in with a one-time code.
"""
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the parent's browser, and what to keep until it comes back.

    `state`, `nonce` and `code_verifier` stay on the server's side of the
    session (signed cookie); the URL carries only the state, the nonce and the
    verifier's S256 challenge.
    """

    url: str
    state: str
    nonce: str
    code_verifier: str


class IdentityRefused(Exception):
    """The provider's answer does not prove who the person is: a refused code, a
    token with a bad signature, audience, issuer, age, nonce or without a PIN.

    Messages are technical (which check failed), never a PIN or a name.
    """


class IdentityUnavailable(Exception):
    """The provider could not be asked now (network, timeout, a 5xx, a broken
    discovery document or key set). Nothing was decided: try again later."""


@runtime_checkable
class StateIdentity(Protocol):
    def authorization_request(self, *, redirect_uri: str, locale: str | None = None) -> AuthorizationRequest:
        """A new authorization code request (PKCE S256, fresh state and nonce)."""
        ...

    def pin_from_code(self, code: str, *, redirect_uri: str, code_verifier: str, nonce: str,
                      now: datetime) -> str:
        """Exchange an authorization code at the token endpoint and return the PIN of
        its validated ID token (which must carry `nonce`)."""
        ...

    def pin_from_id_token(self, id_token: str, *, now: datetime, nonce: str | None = None) -> str:
        """The PIN of an ID token a parents' app obtained itself (data-formats.md,
        `POST /api/v1/auth/tunduk`), after checking it."""
        ...
