"""The parents' JSON API, `/api/v1` (data-formats.md, "JSON API")."""
from portal.api.blueprint import bp  # noqa: F401
