"""Parents sign out: sessions end on the server, not only in the browser.

- A form session names the applicant and a copy of their `session_version`
  (`portal.public.edge`); raising the version ends every form session of the
  applicant, and a copy of the cookie kept from before signs nobody in.
- An API bearer token ends when its row is revoked (`revoked_at`);
  `sign_in.applicant_for_token` refuses it from then on.
- Signing out of an app ends that token only; signing out everywhere ends every
  token of the applicant and their form sessions.

The functions flush; the edge commits. Applicants are audited by the listener
(the raised version); tokens are not (`ApiToken.__audit__`), so a revocation is
recorded as one entry naming the tokens.
"""
from sqlalchemy import true, update

from portal import audit
from portal.admission.sign_in import _token_hash
from portal.extensions import db
from portal.models import ApiToken


def end_web_sessions(applicant):
    """End every form session of `applicant` (the web sign-out)."""
    applicant.session_version = (applicant.session_version or 0) + 1
    db.session.flush()


def revoke_token(applicant, token, *, now):
    """The app signs out: the token it used ends now, the applicant's other
    devices go on. Returns how many tokens ended (1, or 0 if it had already)."""
    return _revoke(applicant, ApiToken.token_hash == _token_hash(token), now=now, note="sign_out")


def sign_out_everywhere(applicant, *, now):
    """End every token and every form session of `applicant` (a lost phone, a
    shared computer). Returns how many tokens ended."""
    end_web_sessions(applicant)
    return _revoke(applicant, true(), now=now, note="sign_out_everywhere")


def _revoke(applicant, which, *, now, note):
    ended = db.session.scalars(
        update(ApiToken)
        .where(which, ApiToken.applicant_id == applicant.id, ApiToken.revoked_at.is_(None),
               ApiToken.expires_at > now)
        .values(revoked_at=now)
        .returning(ApiToken.id)
        .execution_options(synchronize_session=False)
    ).all()
    audit.record("command", "api_tokens", note=note, after={"ids": sorted(ended)})
    return len(ended)
