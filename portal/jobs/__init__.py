"""Background work: the outbox relay, the deadline actions and their schedule.

With REDIS_URL the jobs run on RQ workers (`flask --app wsgi worker`); without
it the same functions run in-process (docs/jobs.md).
"""
