"""WTForms classes of the public registration flow.

Every form inherits `BaseForm`, which shows WTForms' built-in messages in the
user's language (Kyrgyz included) from our catalogue.
"""
from forms.base import BaseForm  # noqa: F401
