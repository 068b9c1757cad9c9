"""Sending mail: SMTP when MAIL_SERVER is set, otherwise the log (embedded default)."""
import hashlib
import logging
import smtplib
import sys
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app

log = logging.getLogger("portal.mail")


def message_id_for(key, sender):
    """A Message-ID derived from the outbox key: should a retry follow a send
    whose answer was lost, the copies carry one id and mail clients show one."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def send(recipient, subject, body, *, key=None):
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    if key:
        message["Message-ID"] = message_id_for(key, config["MAIL_DEFAULT_SENDER"])
    message.set_content(body)
    sent = current_app.extensions.setdefault("sent_mail", None)
    if sent is not None:  # tests collect messages here
        sent.append(message)
    if not config.get("MAIL_SERVER"):
        # The text as a person reads it: as_string() would show a Cyrillic body
        # in base64, and with it the sign-in code.
        log.info("mail to the log (no MAIL_SERVER)\nTo: %s\nSubject: %s\n\n%s", recipient, subject, body)
        return
    port = config.get("MAIL_PORT") or 25
    with smtplib.SMTP(config["MAIL_SERVER"], port, timeout=config.get("MAIL_TIMEOUT", 10)) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


class _ConsoleHandler(logging.StreamHandler):
    """Writes to the process's current stderr, looked up at each record (a test
    runner or a server may replace sys.stderr after the handler is made)."""

    def __init__(self):
        super().__init__()
        self.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s\n"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def init_app(app):
    """Where mail or SMS go to the log (the demo, a developer's machine), make
    that log visible: without this, the root logger stays at WARNING (Python's
    default, and what Alembic's logging set-up leaves) and a parent of the demo
    never sees the sign-in code. With MAIL_SERVER and SMS_GATEWAY_URL set, the
    deployment's own logging set-up decides, as before."""
    to_the_log = [name for name, setting in (("portal.mail", "MAIL_SERVER"), ("portal.sms", "SMS_GATEWAY_URL"))
                  if not app.config.get(setting)]
    for name in to_the_log:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        if not any(isinstance(handler, _ConsoleHandler) for handler in logger.handlers):
            logger.addHandler(_ConsoleHandler())
        # Its own handler only: the root's handler (Alembic's) would print it twice.
        logger.propagate = False
