"""The PostgreSQL pass must really run on PostgreSQL (issue #19, item 2).

Some tests prove the most on a server database: the race tests (on SQLite
`BEGIN IMMEDIATE` serialises the racers, so nothing races). A pass that sets
DATABASE_URL to PostgreSQL, or MEKTEP_REQUIRE_POSTGRES=1 (.ci/run's second
pass), promises that; should such a test find itself on SQLite anyway (a
fixture that builds its own app, a URL that did not take), it fails instead
of passing quietly without having raced.
"""
import os

import pytest


def postgresql_promised():
    url = os.environ.get("DATABASE_URL", "")
    return os.environ.get("MEKTEP_REQUIRE_POSTGRES") == "1" or url.startswith(("postgres://", "postgresql"))


def require_promised_backend(engine, what="this test"):
    if postgresql_promised() and engine.dialect.name != "postgresql":
        pytest.fail(f"{what} ran on {engine.dialect.name}, but this pass promises PostgreSQL "
                    "(DATABASE_URL or MEKTEP_REQUIRE_POSTGRES=1): it must race there, not be passed on SQLite")
