"""Sending SMS through the operator's HTTP gateway (SMS_GATEWAY_URL), or to the
log when it is unset (embedded default).

The gateway contract (docs/jobs.md): `POST SMS_GATEWAY_URL` with
`Authorization: Bearer SMS_GATEWAY_TOKEN`, `Idempotency-Key: <outbox key>` and
the JSON body `{"to": "+996...", "text": "...", "sender": "...", "reference": "..."}`;
any 2xx answer means accepted. A gateway with another contract gets an adapter
of its own here, with the same `send(recipient, text, key=...)`.
"""
import logging

import httpx
from flask import current_app

log = logging.getLogger("portal.sms")


class SmsRefused(Exception):
    """The gateway answered, but did not accept the message."""


def send(recipient, text, *, key=None):
    config = current_app.config
    sent = current_app.extensions.setdefault("sent_sms", None)
    if sent is not None:  # tests collect messages here
        sent.append({"to": recipient, "text": text, "key": key})
    url = config.get("SMS_GATEWAY_URL")
    if not url:
        # The number is personal data: the log keeps only its last digits.
        log.info("SMS to the log (no SMS_GATEWAY_URL) for ...%s:\n%s", recipient[-3:], text)
        return
    headers = {}
    if config.get("SMS_GATEWAY_TOKEN"):
        headers["Authorization"] = f"Bearer {config['SMS_GATEWAY_TOKEN']}"
    if key:
        headers["Idempotency-Key"] = key
    payload = {"to": recipient, "text": text, "sender": config.get("SMS_SENDER"), "reference": key}
    response = httpx.post(url, json=payload, headers=headers, timeout=config.get("SMS_TIMEOUT", 10))
    if not response.is_success:
        raise SmsRefused(f"gateway answered {response.status_code}")
