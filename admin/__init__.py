"""The staff portal (Flask-Admin). Views are registered by `init_admin`."""


def init_admin(app):
    """Register the admin portal; the views arrive with the admin-portal work."""
    return None
