"""Configuration from the environment (see data-formats.md, "Configuration").

One class per way of running; `portal.create_app()` picks `Config` unless told
otherwise. Every setting can come from the environment so that a deployment never
edits code.
"""
import os
from pathlib import Path

from portal.secret_key import DEVELOPMENT_VALUE

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    # Unset, the public development value: only the demo and the tests run with it
    # (portal/secret_key.py); gunicorn and the worker refuse it and any key under 32 characters.
    SECRET_KEY = _env("SECRET_KEY", DEVELOPMENT_VALUE)
    ALLOW_WEAK_SECRET_KEY = False  # said only by code: TestConfig and the demo command, never the environment
    # None means "a SQLite file in the instance folder", resolved by the factory.
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    # Connections per web process: gthread needs one per thread (DB_POOL_SIZE);
    # unset: SQLAlchemy's default (5, plus 10 on demand). Sum over all processes
    # must stay under PostgreSQL's max_connections (or use PgBouncer, docs/scaling.md).
    # pool_pre_ping: a pooled connection is checked before each use, so that after a
    # PostgreSQL restart or failover the next request gets a live one, not a 503
    # (tests/test_faults.py; one round trip per request).
    # The running campaign and the schools are kept per process this many seconds
    # (portal/admission/reference.py); staff changes reach other processes this late.
    REFERENCE_CACHE_SECONDS = int(_env("REFERENCE_CACHE_SECONDS", "10"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": _env("DB_POOL_PRE_PING", "1") == "1"} | (
        {"pool_size": int(_env("DB_POOL_SIZE")), "max_overflow": int(_env("DB_MAX_OVERFLOW", "0"))}
        if _env("DB_POOL_SIZE") else {}
    )
    # 0 behind a pooler that cannot keep server-side prepared statements (PgBouncer
    # before 1.21 in transaction mode): psycopg then never prepares (data-formats.md).
    DB_PREPARED_STATEMENTS = _env("DB_PREPARED_STATEMENTS", "1") == "1"
    REDIS_URL = _env("REDIS_URL")  # unset: jobs run in-process
    # 0: never send mail inside a web request, a relay process delivers (production
    # without Redis); with REDIS_URL the jobs deliver anyway.
    OUTBOX_DELIVER_INLINE = _env("OUTBOX_DELIVER_INLINE", "1") == "1"
    # 1: after each commit the request hands its new messages to RQ (mail within
    # seconds); 0: requests never touch Redis and the worker's sweep hands them over
    # in batches every OUTBOX_SWEEP_SECONDS (opening day: docs/performance.md).
    OUTBOX_HAND_OVER_AFTER_COMMIT = _env("OUTBOX_HAND_OVER_AFTER_COMMIT", "1") == "1"
    # Queue names and job ids start with it, so two deployments (or test runs)
    # can share one Redis without taking each other's jobs.
    RQ_NAMESPACE = _env("RQ_NAMESPACE", "mektep")
    REDIS_SOCKET_TIMEOUT = float(_env("REDIS_SOCKET_TIMEOUT", "2"))  # a request never hangs on a dead Redis
    MAIL_SERVER = _env("MAIL_SERVER")  # unset: mail is written to the log
    MAIL_PORT = int(_env("MAIL_PORT", "0") or 0) or None
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "noreply@1mektep.edu.gov.kg")
    MAIL_USE_TLS = _env("MAIL_USE_TLS", "0") == "1"  # STARTTLS before sending
    MAIL_USERNAME = _env("MAIL_USERNAME")  # unset: the relay takes mail without login
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_TIMEOUT = float(_env("MAIL_TIMEOUT", "10"))  # seconds; a failed send is retried later
    SMS_GATEWAY_URL = _env("SMS_GATEWAY_URL")  # unset: SMS are written to the log
    SMS_GATEWAY_TOKEN = _env("SMS_GATEWAY_TOKEN")
    SMS_SENDER = _env("SMS_SENDER", "Mektep-1")  # the sender name the operator registered
    SMS_TIMEOUT = float(_env("SMS_TIMEOUT", "10"))
    # The outbox (docs/jobs.md): attempts before a message is marked failed, the
    # first retry delay (doubling after each failure), how long a message handed
    # to RQ may stay unsent before the sweep hands it over again, how often the
    # worker sweeps.
    OUTBOX_MAX_ATTEMPTS = int(_env("OUTBOX_MAX_ATTEMPTS", "5"))
    OUTBOX_RETRY_SECONDS = int(_env("OUTBOX_RETRY_SECONDS", "60"))
    OUTBOX_LEASE_SECONDS = int(_env("OUTBOX_LEASE_SECONDS", "300"))
    OUTBOX_SWEEP_SECONDS = int(_env("OUTBOX_SWEEP_SECONDS", "60"))
    # Notices to people (reminders, staff notices) go out in the daytime only,
    # local time: [from, until) hours.
    NOTICE_HOURS = tuple(int(h) for h in _env("NOTICE_HOURS", "8-21").split("-"))
    REGISTRY_URL = _env("REGISTRY_URL")  # unset: the local registry tables
    # The state registry over "Түндүк" (docs/registry.md explains each number).
    REGISTRY_CLIENT_ID = _env("REGISTRY_CLIENT_ID", "KG/GOV/mektep1/portal")  # X-Road-Client
    REGISTRY_TIMEOUT = float(_env("REGISTRY_TIMEOUT", "3"))  # seconds, connect and read each
    REGISTRY_RETRIES = int(_env("REGISTRY_RETRIES", "2"))  # extra tries of a failed read
    REGISTRY_BREAKER_FAILURES = int(_env("REGISTRY_BREAKER_FAILURES", "5"))  # in a row: open
    REGISTRY_BREAKER_RESET = float(_env("REGISTRY_BREAKER_RESET", "30"))  # seconds open
    REGISTRY_CACHE_TTL = float(_env("REGISTRY_CACHE_TTL", "60"))  # seconds a found person is kept; 0: off
    REGISTRY_CACHE_SIZE = int(_env("REGISTRY_CACHE_SIZE", "4096"))  # persons kept per worker
    # Sign-in with the state identity "Түндүк" (OpenID Connect, portal/identity/,
    # docs/security.md). Unset issuer or client id: parents sign in with a code only.
    TUNDUK_OIDC_ISSUER = _env("TUNDUK_OIDC_ISSUER")  # e.g. https://id.tunduk.kg; discovery at {issuer}/.well-known/...
    TUNDUK_OIDC_CLIENT_ID = _env("TUNDUK_OIDC_CLIENT_ID")  # the ID token's "aud"
    TUNDUK_OIDC_CLIENT_SECRET = _env("TUNDUK_OIDC_CLIENT_SECRET")  # unset: a public client (PKCE only)
    TUNDUK_OIDC_PIN_CLAIM = _env("TUNDUK_OIDC_PIN_CLAIM", "pin")  # the ID token's claim that holds the PIN
    TUNDUK_OIDC_SCOPE = _env("TUNDUK_OIDC_SCOPE", "openid")  # asked at sign-in; add what the PIN claim needs
    TUNDUK_OIDC_TIMEOUT = float(_env("TUNDUK_OIDC_TIMEOUT", "5"))  # seconds, each call to the provider
    # Seconds the discovery document and the key set are kept per process (an
    # unknown key id fetches the key set again at once).
    TUNDUK_OIDC_CACHE_SECONDS = float(_env("TUNDUK_OIDC_CACHE_SECONDS", "3600"))
    TIMEZONE = _env("TIMEZONE", "Asia/Bishkek")
    # Where people reach the site; links in mail and commands start with it.
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # How many reverse proxies stand in front of the web nodes, each appending the
    # address it was reached from to X-Forwarded-For. The client's address (rate
    # limits, lockouts) is the entry that many places from the end; 0: clients
    # connect directly and X-Forwarded-For, which anyone can write, is ignored.
    PROXY_COUNT = int(_env("PROXY_COUNT", "0"))
    UPLOAD_FOLDER = _env("UPLOAD_FOLDER")  # None: <instance>/uploads, outside the web root
    # Uploads must not fill the disk (portal/admission/documents.py): documents a
    # parent uploaded on the form and not yet attached to an application, at most
    # per parent; never attached after this many hours (the form's draft lasts a
    # day), the periodic sweep deletes them.
    UNATTACHED_DOCUMENTS_PER_PARENT = int(_env("UNATTACHED_DOCUMENTS_PER_PARENT", "5"))
    UNATTACHED_DOCUMENT_HOURS = int(_env("UNATTACHED_DOCUMENT_HOURS", "48"))
    # Each audit seal run's anchor (the hash chain's head) is logged; set this to
    # also append it to a file, best one the database's owner cannot change
    # (docs/security.md, "The end of the audit trail"). Unset: the log only.
    AUDIT_ANCHOR_FILE = _env("AUDIT_ANCHOR_FILE")

    BABEL_DEFAULT_LOCALE = "ky"
    BABEL_DEFAULT_TIMEZONE = _env("TIMEZONE", "Asia/Bishkek")
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
    LANGUAGES = ("ky", "ru", "en")

    WTF_CSRF_TIME_LIMIT = None  # a parent may take long over a form; the session bounds it
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # the largest upload (5 MB) plus form fields

    # The staff portal (docs/admin.md): sign-in, lockout, session expiry, second factor.
    STAFF_SESSION_IDLE_MINUTES = int(_env("STAFF_SESSION_IDLE_MINUTES", "30"))  # idle: sign in again
    STAFF_SESSION_MAX_HOURS = int(_env("STAFF_SESSION_MAX_HOURS", "12"))  # a working day at most
    # Lockout per account and address (admin/security.py): wrong passwords in a row
    # from one address lock the account there, first for STAFF_LOCK_MINUTES, then
    # twice as long each time, at most STAFF_LOCK_MAX_HOURS.
    STAFF_LOCK_AFTER_FAILURES = int(_env("STAFF_LOCK_AFTER_FAILURES", "5"))
    STAFF_LOCK_MINUTES = int(_env("STAFF_LOCK_MINUTES", "15"))
    STAFF_LOCK_MAX_HOURS = int(_env("STAFF_LOCK_MAX_HOURS", "24"))
    # Failures from all addresses together that lock the account for STAFF_LOCK_MINUTES
    # everywhere but the owner's addresses (signed in there within STAFF_OWNER_ADDRESS_DAYS).
    STAFF_ACCOUNT_LOCK_AFTER_FAILURES = int(_env("STAFF_ACCOUNT_LOCK_AFTER_FAILURES", "20"))
    STAFF_OWNER_ADDRESS_DAYS = int(_env("STAFF_OWNER_ADDRESS_DAYS", "30"))
    STAFF_RESET_LINK_MINUTES = int(_env("STAFF_RESET_LINK_MINUTES", "60"))  # a mailed reset link's life
    # Roles whose users must sign in with a one-time code from an authenticator app
    # (TOTP) as well, comma-separated, e.g. "ministry,district"; empty: optional for all.
    REQUIRE_TOTP_FOR_ROLES = tuple(
        role.strip() for role in (_env("REQUIRE_TOTP_FOR_ROLES", "") or "").split(",") if role.strip()
    )

    # Coarse limits at the edge (portal/limits.py). Per address, generous: a mobile
    # operator puts thousands of parents behind one address.
    RATELIMIT_ENABLED = _env("RATELIMIT_ENABLED", "1") == "1"
    RATELIMIT_SIGN_IN = _env("RATELIMIT_SIGN_IN", "3000/minute")
    RATELIMIT_REGISTER = _env("RATELIMIT_REGISTER", "30/minute")
    # POSTs to the staff sign-in pages per address: a district office shares one.
    RATELIMIT_STAFF_SIGN_IN = _env("RATELIMIT_STAFF_SIGN_IN", "30/minute")

    # Public free seats (API and /statistics) are kept this many seconds per web
    # process (portal/reports/open_statistics.py, docs/reports.md).
    OPEN_STATISTICS_TTL = float(_env("OPEN_STATISTICS_TTL", "5"))

    TESTING = False


class TestConfig(Config):
    TESTING = True
    # Tests deliver in-process; the tests of jobs (tests/test_jobs_*) set REDIS_URL.
    REDIS_URL = None
    # No state identity unless a test sets one up (tests/fake_tunduk.py).
    TUNDUK_OIDC_ISSUER = None
    TUNDUK_OIDC_CLIENT_ID = None
    TUNDUK_OIDC_CLIENT_SECRET = None
    # The tests say so explicitly; their key is long anyway, so that the real
    # workers they start (tests/test_jobs_support.py) run with the same one.
    ALLOW_WEAK_SECRET_KEY = True
    SECRET_KEY = "test-secret-of-the-test-suite-only-0123456789"
    WTF_CSRF_ENABLED = False
    SERVER_NAME = None
    # Changes show at once; tests/test_open_statistics.py turns the cache on.
    OPEN_STATISTICS_TTL = 0
