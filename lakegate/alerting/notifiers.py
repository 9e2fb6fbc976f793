"""Notifiers: a Slack-compatible webhook and email over SMTP, configured per environment.

The webhook URL and the SMTP server and credentials are read from the environment variables the
environment file names, at each delivery (never at import, never from the file). Nothing they hold
is logged or stored: a delivery error is kept with every secret value replaced by `***`.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from typing import Mapping, Protocol

import requests

from lakegate.environment import AlertsConfig, EmailConfig, WebhookConfig


class DeliveryError(RuntimeError):
    """A notifier could not hand an alert over; the message holds no secret."""


class Notifier(Protocol):
    name: str

    def send(self, alert: dict) -> None:
        """Hand `alert` (a row of the alert table) over, or raise DeliveryError."""


def notifiers_for(config: AlertsConfig, environ: Mapping[str, str] | None = None) -> dict[str, Notifier]:
    environ = os.environ if environ is None else environ
    found: dict[str, Notifier] = {}
    if config.webhook:
        found["webhook"] = WebhookNotifier(config.webhook, environ)
    if config.email:
        found["email"] = EmailNotifier(config.email, environ)
    return found


def one_line(alert: dict) -> str:
    return f"[{alert['severity']}] {alert['title']}: {alert['text']}"


def _fields(alert: dict) -> dict:
    return {k: (str(alert[k]) if k == "time" else alert[k])
            for k in ("alert_id", "time", "kind", "severity", "key", "title", "text", "source", "run_id")}


class WebhookNotifier:
    name = "webhook"

    def __init__(self, config: WebhookConfig, environ: Mapping[str, str]):
        self.config, self.environ = config, environ

    def send(self, alert: dict) -> None:
        url = _required(self.environ, self.config.url_env)
        # Slack reads "text" and ignores the rest; other receivers get the fields under "lakegate".
        body = {"text": one_line(alert), "lakegate": _fields(alert)}
        try:
            response = requests.post(url, json=body, timeout=self.config.timeout_seconds)
        except requests.RequestException as exc:
            # Only the kind of error: requests' messages quote the URL's path, which is the secret.
            raise DeliveryError(f"webhook: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"webhook answered HTTP {response.status_code}")


class EmailNotifier:
    name = "email"

    def __init__(self, config: EmailConfig, environ: Mapping[str, str]):
        self.config, self.environ = config, environ

    def send(self, alert: dict) -> None:
        host, port = _server(_required(self.environ, self.config.server_env), self.config.server_env)
        user = _required(self.environ, self.config.username_env) if self.config.username_env else None
        password = _required(self.environ, self.config.password_env) if self.config.password_env else None
        message = EmailMessage()
        message["Subject"] = f"[Lakegate {alert['severity']}] {alert['title']}"
        message["From"] = self.config.sender
        message["To"] = ", ".join(self.config.recipients)
        message["X-Lakegate-Alert-Id"] = alert["alert_id"]
        message.set_content(alert["text"] + "\n\n" + "\n".join(f"{k}: {v}" for k, v in _fields(alert).items()) + "\n")
        try:
            with smtplib.SMTP(host, port, timeout=self.config.timeout_seconds) as smtp:
                if self.config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if user is not None:
                    smtp.login(user, password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(_scrub(f"email: {type(exc).__name__}: {exc}", user, password)) from None


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise DeliveryError(f"the environment variable {name} is not set")
    return value


def _server(value: str, name: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise DeliveryError(f"{name} must be host:port")
    return host, int(port)


def _scrub(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
