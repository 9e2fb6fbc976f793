"""Email over SMTP against a real aiosmtpd server requiring a login: credentials only from the
environment variables the config names, and never in a delivery error."""

import pytest

from lakegate.alerting.notifiers import DeliveryError, EmailNotifier
from lakegate.environment import EmailConfig
from tests.integration.alert_receivers import SmtpReceiver

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

CONFIG = EmailConfig(server_env="T_SMTP", username_env="T_SMTP_USER", password_env="T_SMTP_PASSWORD",
                     sender="lakegate@example.test", recipients=["a@example.test", "b@example.test"])
ALERT = {"alert_id": "abc123", "time": "2026-12-02 01:00:00+00:00", "kind": "firing", "severity": "ERROR",
         "key": "silver/claims:row_count", "title": "silver/claims:row_count failing", "text": "0 rows",
         "source": "asset check", "run_id": "r-1"}


def test_an_alert_is_mailed_after_logging_in_with_the_named_variables():
    with SmtpReceiver(login=("alerts", "correct-horse-battery")) as smtp:
        environ = {"T_SMTP": smtp.server, "T_SMTP_USER": "alerts", "T_SMTP_PASSWORD": "correct-horse-battery"}
        EmailNotifier(CONFIG, environ).send(ALERT)
    [message] = smtp.messages
    assert message["Subject"] == "[Lakegate ERROR] silver/claims:row_count failing"
    assert message["To"] == "a@example.test, b@example.test" and message["X-Lakegate-Alert-Id"] == "abc123"
    assert "0 rows" in message.get_payload() and "run_id: r-1" in message.get_payload()


def test_a_refused_login_is_a_delivery_error_without_the_credentials():
    with SmtpReceiver(login=("alerts", "correct-horse-battery")) as smtp:
        environ = {"T_SMTP": smtp.server, "T_SMTP_USER": "alerts", "T_SMTP_PASSWORD": "wrong-horse-battery"}
        with pytest.raises(DeliveryError, match="SMTPAuthenticationError") as caught:
            EmailNotifier(CONFIG, environ).send(ALERT)
    assert "wrong-horse-battery" not in str(caught.value) and smtp.messages == []


@pytest.mark.parametrize("environ,message", [
    ({}, "the environment variable T_SMTP is not set"),
    ({"T_SMTP": "no-port-here"}, "T_SMTP must be host:port"),
])
def test_a_missing_or_bad_server_variable_is_named(environ, message):
    with pytest.raises(DeliveryError, match=message):
        EmailNotifier(CONFIG, environ).send(ALERT)
