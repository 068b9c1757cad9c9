"""The public pages for parents."""
from portal.public.blueprint import bp  # noqa: F401
