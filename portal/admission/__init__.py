"""The admission rules (R1-R12) as plain Python: no requests, no Flask-Admin.

The public form, the JSON API, the admin portal and the jobs call these
modules; none of them repeats a rule.
"""
