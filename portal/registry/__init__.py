"""The population registry port: one interface, two adapters.

    from portal.registry import get_registry, RegistryUnavailable
    registry = get_registry()
    child = registry.person(pin)          # Person or None

`LocalRegistry` reads the imported registry tables (development, demo, tests);
`HttpRegistry` asks the state registry over "Түндүк" (production, REGISTRY_URL
set). See docs/registry.md.
"""
import threading

from flask import current_app

from portal.registry.http import HttpRegistry
from portal.registry.local import LocalRegistry
from portal.registry.ports import (
    RELATIONS,
    Link,
    Person,
    Registry,
    RegistryUnavailable,
    is_pin,
)

__all__ = [
    "RELATIONS",
    "HttpRegistry",
    "Link",
    "LocalRegistry",
    "Person",
    "Registry",
    "RegistryUnavailable",
    "get_registry",
    "is_pin",
]

_creating = threading.Lock()


def get_registry() -> Registry:
    """The registry of the current app, made once and kept in app.extensions.

    One instance per app, so that every thread shares the HTTP connection pool,
    the circuit breaker and the cache. Tests may put any `Registry` into
    `app.extensions["registry"]` beforehand to stand in for it.
    """
    app = current_app._get_current_object()
    registry = app.extensions.get("registry")
    if registry is None:
        with _creating:  # two first requests at once must not build two breakers
            registry = app.extensions.get("registry")
            if registry is None:
                if app.config.get("REGISTRY_URL"):
                    registry = HttpRegistry.from_config(app.config)
                else:
                    registry = LocalRegistry()
                app.extensions["registry"] = registry
    return registry
