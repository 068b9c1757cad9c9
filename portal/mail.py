"""Sending mail: SMTP when MAIL_SERVER is set, otherwise the log (embedded default)."""
import hashlib
import logging
import smtplib
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
        log.info("mail to the log (no MAIL_SERVER):\n%s", message.as_string())
        return
    port = config.get("MAIL_PORT") or 25
    with smtplib.SMTP(config["MAIL_SERVER"], port, timeout=config.get("MAIL_TIMEOUT", 10)) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
