"""Real receivers for alert tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver, on 127.0.0.1,
and an environment whose alerts go to both."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from lakegate import environment

ALERT_ENV = "alerting"


@pytest.fixture
def receivers(tmp_path, monkeypatch):
    """(webhook, smtp) receivers that the `alerting` environment's notifiers deliver to; no cooldown."""
    yield from receiving(tmp_path, monkeypatch)


def receiving(tmp_path, monkeypatch, more_yaml: str = ""):
    """The `receivers` fixture's body; `more_yaml` adds sections to the environment file (a cost: section)."""
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / f"{ALERT_ENV}.yaml").write_text(f"""
name: {ALERT_ENV}
catalog: dev
alerts:
  cooldown_seconds: 0
  routes: {{WARN: [webhook, email], ERROR: [webhook, email]}}
  webhook: {{url_env: TEST_ALERT_WEBHOOK_URL}}
  email: {{server_env: TEST_ALERT_SMTP_SERVER, sender: lakegate@example.test, recipients: [oncall@example.test]}}
""" + more_yaml)
    monkeypatch.setattr(environment, "ENVIRONMENTS_DIR", tmp_path / "envs")
    with WebhookReceiver() as webhook, SmtpReceiver() as smtp:
        monkeypatch.setenv("TEST_ALERT_WEBHOOK_URL", webhook.url)
        monkeypatch.setenv("TEST_ALERT_SMTP_SERVER", smtp.server)
        yield webhook, smtp


class WebhookReceiver:
    """Keeps every JSON body posted to it; answers 500 to the first `fail_first` requests."""

    def __init__(self, fail_first: int = 0):
        self.bodies: list[dict] = []
        self.refused = 0
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if receiver.refused < receiver.fail_first:
                    receiver.refused += 1
                    self.send_response(500)
                else:
                    receiver.bodies.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T0/B0/s3cr3t-webhook-path"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    """An aiosmtpd server that keeps every message it accepts; with `login` (user, password) it
    requires that login (over plain SMTP, as a local relay test)."""

    def __init__(self, login: tuple[str, str] | None = None):
        self.messages = []
        receiver = self

        def authenticate(server, session, envelope, mechanism, auth_data):
            given = (auth_data.login.decode(), auth_data.password.decode())
            # handled=False: aiosmtpd answers the 535 itself (its default on failure is to say nothing).
            return AuthResult(success=given == login, handled=False)

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                receiver.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = _free_port()
        auth = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False} if login else {}
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **auth)
        self.server = f"127.0.0.1:{self.port}"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
