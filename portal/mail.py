"""Sending mail: SMTP when MAIL_SERVER is set, otherwise the log (embedded default)."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("portal.mail")


def send(recipient, subject, body):
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    sent = current_app.extensions.setdefault("sent_mail", None)
    if sent is not None:  # tests collect messages here
        sent.append(message)
    if not config.get("MAIL_SERVER"):
        log.info("mail to the log (no MAIL_SERVER):\n%s", message.as_string())
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config.get("MAIL_PORT") or 25, timeout=10) as smtp:
        smtp.send_message(message)
