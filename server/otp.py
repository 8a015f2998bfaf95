"""One-time password-reset codes: 6 digits, short-lived, few attempts, sent by mail or to the server log."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import smtplib
import threading
from email.message import EmailMessage

from server.config import ServerConfig

log = logging.getLogger(__name__)


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_digest(secret_key: str, username: str, code: str) -> str:
    """Only this keyed digest is stored, so a copy of the database does not reveal live codes."""
    return hmac.new(secret_key.encode(), f"{username}\0{code}".encode(), hashlib.sha256).hexdigest()


def codes_match(stored_digest: str, secret_key: str, username: str, code: str) -> bool:
    return hmac.compare_digest(stored_digest, code_digest(secret_key, username, code))


def deliver(config: ServerConfig, username: str, email: str, code: str) -> None:
    """Mails the code when SMTP is configured (in the background, so timing says nothing); else logs it."""
    if not config.smtp_enabled:
        log.warning("password reset code for %s: %s (SMTP is not configured: development mode)", username, code)
        return
    threading.Thread(target=_send_mail, args=(config, email, code), daemon=True, name="otp-mail").start()


def _send_mail(config: ServerConfig, email: str, code: str) -> None:
    message = EmailMessage()
    message["From"] = config.smtp_from
    message["To"] = email
    message["Subject"] = "Your TumorPredict password reset code"
    minutes = config.otp_ttl // 60
    message.set_content(
        f"Your password reset code is {code}.\n\nIt is valid for {minutes} minutes. "
        "If you did not ask to reset your password, you can ignore this message.\n"
    )
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=20) as smtp:
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception("could not mail the password reset code")
