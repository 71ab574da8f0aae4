"""Email through each transport the deployment doc names, to real servers on 127.0.0.1.

SMTP goes to an aiosmtpd server started by the test; SendGrid and Amazon SES go to
HTTP stand-ins of their send endpoints (SENDGRID_API_URL, AWS_SES_REGION_ENDPOINT),
through the maintained django-anymail backends the documented values map onto.
"""

from __future__ import annotations

import base64
import email
import json
import os
import subprocess
import sys
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from organisations.models import Invite
from tests.e2e.server import free_port
from tests.receivers import HTTPReceiver, Reply

pytestmark = pytest.mark.django_db

API_DIR = Path(__file__).resolve().parents[2]
DOMAIN = "flags.example.com"


class _Collector:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def _text(message: Message) -> str:
    if message.is_multipart():
        return "".join(_text(part) for part in message.get_payload())
    return message.get_payload(decode=True).decode()


@pytest.fixture
def smtp_server(settings):
    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.FLAGSMITH_DOMAIN = DOMAIN
    settings.DEFAULT_FROM_EMAIL = "flags@example.com"
    yield collector
    controller.stop()


def test_smtp__password_reset__real_server_receives_link_on_flagsmith_domain(smtp_server, anon_client, admin_user):
    response = anon_client.post("/api/v1/auth/users/reset_password/", {"email": admin_user.email}, format="json")

    assert response.status_code == 204
    (message,) = smtp_server.messages
    assert message["X-Envelope-To"] == admin_user.email
    assert message["From"] == "flags@example.com"
    assert f"://{DOMAIN}/password-reset/confirm/" in _text(message)


def test_smtp__invite__real_server_receives_invite_link(
    smtp_server, admin_client, organisation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/api/v1/organisations/{organisation.id}/invites/", {"email": "newcomer@example.org"}, format="json"
        )

    assert response.status_code == 201, response.content
    (message,) = smtp_server.messages
    assert message["X-Envelope-To"] == "newcomer@example.org"
    invite = Invite.objects.get(email="newcomer@example.org")
    assert f"https://{DOMAIN}/invite/{invite.hash}" in _text(message)


def test_smtp__activation__real_server_receives_activation_link(smtp_server, settings, anon_client):
    settings.DJOSER = {**settings.DJOSER, "SEND_ACTIVATION_EMAIL": True}
    response = anon_client.post(
        "/api/v1/auth/users/",
        {"email": "fresh@example.org", "password": "a-long-passphrase-42", "first_name": "F", "last_name": "P"},
        format="json",
    )

    assert response.status_code == 201, response.content
    (message,) = smtp_server.messages
    assert f"://{DOMAIN}/activate/" in _text(message)


def test_smtp__site_domain__used_without_flagsmith_domain(smtp_server, settings, anon_client, admin_user):
    from django.contrib.sites.models import Site

    settings.FLAGSMITH_DOMAIN = None
    Site.objects.filter(pk=1).update(domain="dashboard.example.net")
    Site.objects.clear_cache()

    anon_client.post("/api/v1/auth/users/reset_password/", {"email": admin_user.email}, format="json")

    assert "://dashboard.example.net/password-reset/confirm/" in _text(smtp_server.messages[0])


def test_no_mail_server__invite_and_password_reset__still_succeed(
    settings, admin_client, anon_client, organisation, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens
    settings.EMAIL_USE_TLS = False

    with django_capture_on_commit_callbacks(execute=True):
        invite = admin_client.post(
            f"/api/v1/organisations/{organisation.id}/invites/", {"email": "x@example.org"}, format="json"
        )
    reset = anon_client.post("/api/v1/auth/users/reset_password/", {"email": "x@example.org"}, format="json")
    link = admin_client.post(f"/api/v1/organisations/{organisation.id}/invite-links/", {"role": "USER"}, format="json")

    assert invite.status_code == 201
    assert reset.status_code == 204
    assert link.status_code == 201


def test_sendgrid__standin__v3_mail_send_with_bearer_key(
    settings, admin_client, organisation, django_capture_on_commit_callbacks
):
    with HTTPReceiver(default=Reply(202, b"")) as sendgrid:
        settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
        settings.ANYMAIL = {"SENDGRID_API_KEY": "SG.test-key", "SENDGRID_API_URL": f"{sendgrid.url}/v3/"}
        settings.FLAGSMITH_DOMAIN = DOMAIN

        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                f"/api/v1/organisations/{organisation.id}/invites/", {"email": "sg@example.org"}, format="json"
            )

    assert response.status_code == 201
    (request,) = sendgrid.requests
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.headers["authorization"] == "Bearer SG.test-key"
    body = request.json()
    assert body["personalizations"][0]["to"] == [{"email": "sg@example.org"}]
    assert f"https://{DOMAIN}/invite/" in body["content"][0]["value"]


def test_amazon_ses__standin__signed_v2_send_with_raw_message(settings, anon_client, admin_user):
    with HTTPReceiver(default=Reply(200, {"MessageId": "0100-test"})) as ses:
        settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
        settings.ANYMAIL = {
            "AMAZON_SES_CLIENT_PARAMS": {
                "region_name": "eu-central-1",
                "endpoint_url": ses.url,
                "aws_access_key_id": "AKIDTEST",
                "aws_secret_access_key": "secret",
            }
        }
        settings.FLAGSMITH_DOMAIN = DOMAIN

        response = anon_client.post("/api/v1/auth/users/reset_password/", {"email": admin_user.email}, format="json")

    assert response.status_code == 204
    (request,) = ses.requests
    assert (request.method, request.path) == ("POST", "/v2/email/outbound-emails")
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert "/eu-central-1/ses/aws4_request" in request.headers["authorization"]
    raw = email.message_from_bytes(base64.b64decode(request.json()["Content"]["Raw"]["Data"]))
    assert raw["To"] == admin_user.email
    assert f"://{DOMAIN}/password-reset/confirm/" in _text(raw)


# --- The documented EMAIL_BACKEND values, read from the environment ------------------------------


def _email_settings(**env: str) -> dict:
    script = (
        "import json, app.settings.common as s; "
        "print(json.dumps({'backend': s.EMAIL_BACKEND, 'anymail': s.ANYMAIL, 'from': s.DEFAULT_FROM_EMAIL}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "SENDGRID_", "AWS_", "SENDER_"))}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=API_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        return {"error": result.stderr}
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings__sgbackend_value__mapped_to_anymail_sendgrid() -> None:
    read = _email_settings(EMAIL_BACKEND="sgbackend.SendGridBackend", SENDGRID_API_KEY="SG.k", SENDER_EMAIL="a@b.c")
    assert read["backend"] == "anymail.backends.sendgrid.EmailBackend"
    assert read["anymail"]["SENDGRID_API_KEY"] == "SG.k"
    assert read["from"] == "a@b.c"


def test_settings__sendgrid_without_key__start_up_names_variable() -> None:
    read = _email_settings(EMAIL_BACKEND="sgbackend.SendGridBackend")
    assert "SENDGRID_API_KEY" in read["error"]


def test_settings__django_ses_value__mapped_to_anymail_ses_with_region_endpoint() -> None:
    read = _email_settings(
        EMAIL_BACKEND="django_ses.SESBackend",
        AWS_SES_REGION_NAME="eu-central-1",
        AWS_SES_REGION_ENDPOINT="email.eu-central-1.amazonaws.com",
        AWS_ACCESS_KEY_ID="AKID",
        AWS_SECRET_ACCESS_KEY="s",
    )
    assert read["backend"] == "anymail.backends.amazon_ses.EmailBackend"
    assert read["anymail"]["AMAZON_SES_CLIENT_PARAMS"] == {
        "region_name": "eu-central-1",
        "endpoint_url": "https://email.eu-central-1.amazonaws.com",
        "aws_access_key_id": "AKID",
        "aws_secret_access_key": "s",
    }


def test_password_reset__over_throttle_rate__429_and_no_more_mail(monkeypatch, anon_client, admin_user):
    from django.core import mail
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "password_reset", "2/min")
    statuses = [
        anon_client.post("/api/v1/auth/users/reset_password/", {"email": admin_user.email}, format="json").status_code
        for _ in range(3)
    ]
    assert statuses == [204, 204, 429]
    assert len(mail.outbox) == 2
