"""Webhook URLs cannot make the server call internal addresses (SSRF), at save and at send.

Names resolve through the ``fake_dns`` fixture (api/conftest.py), never a real
resolver, and every test here runs under ``no_outside_connections``: a connection
to anything but 127.0.0.0/8 or ::1 fails the test instead of being made.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import urllib3

from core import outbound
from features import services as feature_services
from features.models import FeatureState
from tests.receivers import HTTPReceiver, Reply
from webhooks.models import DeliveryStatus, EnvironmentWebhook, WebhookDelivery
from webhooks.services import deliver_due

pytestmark = pytest.mark.django_db

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:4700:4700::1111"

INTERNAL_ADDRESSES = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("fd00:ec2::254", "private"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("100.64.0.1", "not globally routable"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
]


@pytest.fixture(autouse=True)
def no_outside_connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record every connection urllib3 opens; one outside loopback fails before it is made."""
    opened: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def guarded(address: tuple[str, int], *args, **kwargs):
        host = address[0].strip("[]")
        if not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"the server tried to connect to {address}")
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", guarded)
    monkeypatch.setattr(urllib3.connection.connection, "create_connection", guarded)
    return opened


@pytest.fixture
def default_policy(settings) -> None:
    """The production default: no internal network allowed."""
    settings.WEBHOOK_ALLOWED_NETWORKS = []


@pytest.fixture
def feature_state(project, environment, admin_user) -> FeatureState:
    feature = feature_services.create_feature(project, {"name": "ssrf_flag"}, admin_user)
    return FeatureState.objects.get(feature=feature, environment=environment, identity=None, feature_segment=None)


# --- The policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "kind"), INTERNAL_ADDRESSES)
def test_refusal__internal_address__refused_naming_its_kind(address, kind) -> None:
    assert outbound.refusal(address, networks=[]) == (
        f"{address} is {kind}" if kind == "not globally routable" else f"{address} is a {kind} address"
    )


@pytest.mark.parametrize("address", [PUBLIC_V4, PUBLIC_V6, "8.8.8.8"])
def test_refusal__public_address__allowed(address) -> None:
    assert outbound.refusal(address, networks=[]) is None


def test_refusal__inside_allowed_network__allowed_others_still_refused() -> None:
    networks = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]
    assert outbound.refusal("10.9.8.7", networks) is None
    assert outbound.refusal("::ffff:10.9.8.7", networks) is None
    assert outbound.refusal("fd00:ec2::254", networks) is None
    assert outbound.refusal("192.168.0.1", networks) is not None
    assert outbound.refusal("127.0.0.1", networks) is not None


def test_check__name_with_any_internal_address__refused(fake_dns, default_policy) -> None:
    fake_dns["mixed.example"] = [PUBLIC_V4, "10.0.0.7"]
    with pytest.raises(outbound.OutboundRefused, match=r"10\.0\.0\.7 is a private address"):
        outbound.check("https://mixed.example/hook")


def test_check__unresolvable_name__refused(default_policy) -> None:
    with pytest.raises(outbound.OutboundRefused, match="could not be resolved"):
        outbound.check("https://nowhere.invalid/hook")


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1"])
def test_check__numeric_spellings_of_loopback__refused(host, default_policy) -> None:
    with pytest.raises(outbound.OutboundRefused, match="loopback"):
        outbound.check(f"http://{host}/")


def settings_start_up(**variables: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter with these environment variables."""
    code = "from django.conf import settings; settings.INSTALLED_APPS"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "app.settings.test", **variables}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_allowed_networks__malformed_cidr__start_up_fails_naming_variable() -> None:
    result = settings_start_up(WEBHOOK_ALLOWED_NETWORKS="10.0.0.0/8,not-a-network")
    assert result.returncode != 0
    assert "WEBHOOK_ALLOWED_NETWORKS='not-a-network' is invalid" in result.stderr


# --- Refused when saved ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/x",
        "http://localhost/x",
        "http://[::1]/x",
        "http://0.0.0.0/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://10.0.0.5/",
        "http://192.168.0.10/",
        "http://[::ffff:127.0.0.1]/",
        "http://metadata.example/",
    ],
)
def test_webhook_api__internal_url__400_saying_why_nothing_stored(
    url, admin_client, environment, organisation, fake_dns, default_policy
) -> None:
    fake_dns["metadata.example"] = ["169.254.169.254"]
    for path in (
        f"/api/v1/environments/{environment.api_key}/webhooks/",
        f"/api/v1/organisations/{organisation.id}/webhooks/",
    ):
        response = admin_client.post(path, {"url": url, "enabled": True}, format="json")
        assert response.status_code == 400, response.content
        (message,) = response.json()["url"]
        assert "internal addresses" in message and "WEBHOOK_ALLOWED_NETWORKS" in message
    assert not EnvironmentWebhook.objects.exists()


def test_webhook_api__update_to_internal_url__400(admin_client, environment, fake_dns, default_policy) -> None:
    fake_dns["hooks.example"] = [PUBLIC_V4]
    path = f"/api/v1/environments/{environment.api_key}/webhooks/"
    response = admin_client.post(path, {"url": "https://hooks.example/in"}, format="json")
    assert response.status_code == 201, response.content
    hook_id = response.json()["id"]
    response = admin_client.patch(f"{path}{hook_id}/", {"url": "http://10.0.0.1/"}, format="json")
    assert response.status_code == 400
    assert "private address" in response.json()["url"][0]
    assert EnvironmentWebhook.objects.get().url == "https://hooks.example/in"


def test_webhook_api__public_name__stored_without_sending(
    admin_client, environment, fake_dns, default_policy, no_outside_connections
) -> None:
    fake_dns["hooks.example"] = [PUBLIC_V4, PUBLIC_V6]
    response = admin_client.post(
        f"/api/v1/environments/{environment.api_key}/webhooks/", {"url": "https://hooks.example/in"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert no_outside_connections == []


def test_test_endpoint__internal_url__400_nothing_sent(
    admin_client, environment, default_policy, no_outside_connections
) -> None:
    with HTTPReceiver() as receiver:
        response = admin_client.post(
            "/api/v1/webhooks/test/",
            {"webhook_url": receiver.url, "scope": {"type": "environment", "id": environment.api_key}},
            format="json",
        )
        assert response.status_code == 400
        assert "loopback" in response.json()["webhook_url"][0]
        assert receiver.requests == []
    assert no_outside_connections == []


# --- Refused when sent ------------------------------------------------------------------------------


def test_delivery__name_rebound_to_internal_address__failed_attempt_no_connection(
    admin_client, admin_user, environment, feature_state, fake_dns, default_policy, no_outside_connections
) -> None:
    # Given a webhook saved while its name pointed at a public address
    fake_dns["rebind.example"] = [PUBLIC_V4]
    response = admin_client.post(
        f"/api/v1/environments/{environment.api_key}/webhooks/", {"url": "http://rebind.example/h"}, format="json"
    )
    assert response.status_code == 201
    # When the name now resolves to loopback and a change is delivered
    fake_dns["rebind.example"] = ["127.0.0.1"]
    feature_services.update_feature_state(feature_state, {"enabled": True}, admin_user)
    assert deliver_due() == 1
    # Then the attempt failed, saying why, and no connection was opened
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_status_code is None
    assert "127.0.0.1 is a loopback address" in delivery.last_error
    assert no_outside_connections == []


def test_delivery__connects_to_vetted_address_with_original_host(
    admin_user, environment, feature_state, fake_dns, no_outside_connections
) -> None:
    with HTTPReceiver() as receiver:
        port = receiver.server.server_address[1]
        fake_dns["hooks.internal.example"] = ["127.0.0.1"]  # allowed: the fixture allows 127.0.0.0/8
        EnvironmentWebhook.objects.create(environment=environment, url=f"http://hooks.internal.example:{port}/in")
        feature_services.update_feature_state(feature_state, {"enabled": True}, admin_user)
        deliver_due()
        (request,) = receiver.wait_for(1)
    assert request.headers["host"] == f"hooks.internal.example:{port}"
    assert request.path == "/in"
    assert no_outside_connections == [("127.0.0.1", port)]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_delivery__redirect__not_followed_signature_not_resent(admin_user, environment, feature_state) -> None:
    with HTTPReceiver() as elsewhere, HTTPReceiver(default=Reply(302, headers={"Location": elsewhere.url})) as hook:
        EnvironmentWebhook.objects.create(environment=environment, url=hook.url, secret="s")
        feature_services.update_feature_state(feature_state, {"enabled": True}, admin_user)
        deliver_due()
        hook.wait_for(1)
        time.sleep(0.2)
        assert elsewhere.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 302


# --- Test sends are short -----------------------------------------------------------------------------


@pytest.fixture
def silent_receiver() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_test_endpoint__receiver_never_answers__400_within_test_timeout(
    admin_client, environment, settings, silent_receiver
) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 10
    settings.WEBHOOK_TEST_TIMEOUT_SECONDS = 1
    started = time.monotonic()
    response = admin_client.post(
        "/api/v1/webhooks/test/",
        {"webhook_url": silent_receiver, "scope": {"type": "environment", "id": environment.api_key}},
        format="json",
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert response.json()["detail"] == "Could not connect to webhook URL"
    assert elapsed < 3, elapsed


def test_test_timeout__over_five_seconds__start_up_fails() -> None:
    result = settings_start_up(WEBHOOK_TEST_TIMEOUT_SECONDS="30")
    assert result.returncode != 0
    assert "WEBHOOK_TEST_TIMEOUT_SECONDS='30.0' is invalid" in result.stderr


# --- Secrets are write-only ---------------------------------------------------------------------


def test_webhook_api__secret__never_returned_still_signs(admin_client, admin_user, environment, organisation) -> None:
    for path in (
        f"/api/v1/environments/{environment.api_key}/webhooks/",
        f"/api/v1/organisations/{organisation.id}/webhooks/",
    ):
        created = admin_client.post(path, {"url": "http://127.0.0.1:9/h", "secret": "top-secret"}, format="json")
        assert created.status_code == 201, created.content
        hook_id = created.json()["id"]
        updated = admin_client.patch(f"{path}{hook_id}/", {"enabled": False}, format="json")
        for response in (created, updated, admin_client.get(path), admin_client.get(f"{path}{hook_id}/")):
            assert response.status_code in (200, 201)
            assert "top-secret" not in response.content.decode()
            assert "secret" not in (response.json()[0] if isinstance(response.json(), list) else response.json())
    # The secret is kept (an update without it leaves it) and still signs deliveries.
    assert EnvironmentWebhook.objects.get().secret == "top-secret"
