"""A worker killed mid-job (issue #8), on a real RQ worker with the real Redis
(skipped without REDIS_URL; .ci/run's PostgreSQL/Redis pass makes the skip a
failure).

tests/jobs/test_jobs_redis.py kills the worker (and, apart, the work horse) while
the mail server holds the message at RCPT, before anything was delivered: the
retry delivers it once. This kills it at the worst moment instead: the mail
server has the whole message but the worker has not heard the 250 yet, so
the outbox row still says unsent. The job is retried once (one more copy
reaches the server, not two), and both copies carry one Message-ID derived
from the outbox message's id, so the recipient's mail client shows one
message: SMTP cannot do better than at-least-once, the id makes it
exactly-once for the reader.
"""
import asyncio
import threading
import time

import pytest

from portal.mail import message_id_for
from tests.jobs.test_jobs_redis import _messages, _race_families, _register
from tests.jobs_support import Inbox, serve, wait_for


class DataHoldInbox(Inbox):
    """With `hold_data` set, a message is kept at DATA but its 250 is held back."""

    def __init__(self):
        super().__init__()
        self.hold_data = threading.Event()
        self.data_held = threading.Event()
        self.connections = 0

    def release(self):
        super().release()
        self.hold_data.clear()

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if self.hold_data.is_set():
            self.data_held.set()
            while self.hold_data.is_set():
                await asyncio.sleep(0.05)
        return answer


@pytest.fixture
def smtp_inbox():
    yield from serve(DataHoldInbox())


def test_a_worker_killed_after_the_server_took_the_mail_retries_once_with_the_same_message_id(
        redis_app, smtp_inbox):  # noqa: F811
    app = redis_app
    [family] = _race_families(app, 1)
    recipient = f"{family['parent_pin']}@example.kg"
    smtp_inbox.hold_data.set()
    first = app.start_worker()
    number = _register(family)
    wait_for(smtp_inbox.data_held.is_set, what="the server to hold the 250 of a received message")
    first.kill()  # SIGKILL the worker and its work horse: the 250 is never read, nothing commits
    smtp_inbox.hold_data.clear()
    assert len(smtp_inbox.messages) == 1  # the server has it...
    [message] = _messages()
    assert message.state in ("pending", "queued") and message.attempts == 0  # ...the outbox does not know

    second = app.start_worker()
    wait_for(lambda: len(smtp_inbox.messages) == 2, timeout=60, what="the retried mail")
    time.sleep(5)  # longer than a lease (3 s) and several sweeps (1 s): no third copy comes
    copies = smtp_inbox.to(recipient)
    assert len(copies) == 2 and len(smtp_inbox.messages) == 2  # retried once, not twice
    assert all(number in copy["Subject"] for copy in copies)
    [message] = _messages()
    assert (message.state, message.attempts) == ("sent", 1)
    expected_id = message_id_for(message.idempotency_key, app.config["MAIL_DEFAULT_SENDER"])
    assert {copy["Message-ID"] for copy in copies} == {expected_id}  # one message for the reader
    assert "deliver_message" in second.output()
