"""The current time, timezone-aware. Tests freeze it through `FROZEN_NOW`."""
from datetime import datetime, timezone

from flask import current_app


def now():
    if current_app and current_app.config.get("TESTING"):
        frozen = current_app.config.get("FROZEN_NOW")
        if frozen is not None:
            return frozen
    return datetime.now(timezone.utc)
