"""One-time password-reset codes: 6 digits, short-lived, few attempts, sent by mail or a delivery program
(a development server may write them to its log)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import smtplib
import subprocess
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


def delivery_configured(config: ServerConfig) -> bool:
    """Whether codes reach users by mail or by the operator's delivery program."""
    return config.smtp_enabled or bool(config.otp_hook)


def deliver(config: ServerConfig, username: str, email: str, code: str) -> None:
    """Sends the code by mail or the delivery program (in the background, so timing says nothing);
    without either, only a development server writes it to its log."""
    if config.otp_hook:
        threading.Thread(target=_run_hook, args=(config.otp_hook, username, email, code), daemon=True,
                         name="otp-hook").start()
    elif config.smtp_enabled:
        threading.Thread(target=_send_mail, args=(config, email, code), daemon=True, name="otp-mail").start()
    elif config.development:
        log.warning("password reset code for %s: %s (no mail server configured: development mode)", username, code)


def _run_hook(program: str, username: str, email: str, code: str) -> None:
    """The operator's program gets the user name and address as arguments and the code on stdin
    (never on the command line, where other accounts could read it)."""
    try:
        subprocess.run([program, username, email], input=code + "\n", text=True, timeout=60, check=True,
                       capture_output=True)
    except (OSError, subprocess.SubprocessError):
        log.exception("the password reset delivery program %s failed", program)


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
