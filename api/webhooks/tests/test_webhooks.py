"""Webhooks delivered to a real HTTP receiver on 127.0.0.1: payloads, signature, retries, queue."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from features import services as feature_services
from features.models import FeatureState
from identities.services import create_identity_override, delete_identity_override
from identities.tests.factories import IdentityFactory
from tests.receivers import HTTPReceiver, Reply
from webhooks import runner
from webhooks.models import DeliveryStatus, EnvironmentWebhook, OrganisationWebhook, WebhookDelivery
from webhooks.services import deliver_due

pytestmark = pytest.mark.django_db

SECRET = "s3cret-signing-key"


def expected_signature(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def receiver():
    with HTTPReceiver() as server:
        yield server


@pytest.fixture
def feature(project, environment, admin_user):
    return feature_services.create_feature(project, {"name": "checkout", "initial_value": "blue"}, admin_user)


def default_state(feature, environment) -> FeatureState:
    return FeatureState.objects.get(feature=feature, environment=environment, feature_segment=None, identity=None)


def test_environment_webhook__flag_updated_through_api__signed_flagsmith_payload_delivered(
    admin_client, admin_user, environment, feature, receiver
) -> None:
    # Given a webhook made through the API
    response = admin_client.post(
        f"/api/v1/environments/{environment.api_key}/webhooks/",
        {"url": receiver.url + "/hook", "secret": SECRET, "enabled": True},
    )
    assert response.status_code == 201, response.content
    state = default_state(feature, environment)

    # When the flag is turned on with a new value
    response = admin_client.patch(
        f"/api/v1/environments/{environment.api_key}/featurestates/{state.id}/",
        {"enabled": True, "feature_state_value": "green"},
    )
    assert response.status_code == 200, response.content
    assert receiver.requests == []  # nothing is sent inside the request
    assert deliver_due() == 1

    # Then the receiver got one signed FLAG_UPDATED with both states
    (request,) = receiver.wait_for(1)
    assert request.path == "/hook"
    assert request.headers["x-flagsmith-signature"] == expected_signature(request.body)
    payload = request.json()
    assert payload["event_type"] == "FLAG_UPDATED"
    data = payload["data"]
    assert data["changed_by"] == f"{admin_user.first_name} {admin_user.last_name}".strip() or admin_user.email
    assert data["timestamp"].endswith("Z")
    assert data["new_state"]["enabled"] is True
    assert data["new_state"]["feature_state_value"] == "green"
    assert data["new_state"]["feature"]["name"] == "checkout"
    assert data["new_state"]["environment"] == {"id": environment.id, "name": environment.name}
    assert data["previous_state"]["enabled"] is False
    assert data["previous_state"]["feature_state_value"] == "blue"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_environment_webhook__without_secret__no_signature_header(admin_user, environment, feature, receiver) -> None:
    EnvironmentWebhook.objects.create(environment=environment, url=receiver.url)
    feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin_user)
    deliver_due()
    (request,) = receiver.wait_for(1)
    assert "x-flagsmith-signature" not in request.headers


def test_environment_webhook__identity_override_deleted__flag_deleted(
    admin_user, environment, feature, receiver
) -> None:
    identity = IdentityFactory(environment=environment, identifier="user-1")
    override = create_identity_override(identity, feature, {"enabled": True, "feature_state_value": "x"}, admin_user)
    EnvironmentWebhook.objects.create(environment=environment, url=receiver.url, secret=SECRET)

    delete_identity_override(override, admin_user)
    deliver_due()

    (request,) = receiver.wait_for(1)
    payload = request.json()
    assert payload["event_type"] == "FLAG_DELETED"
    assert payload["data"]["new_state"] is None
    assert payload["data"]["previous_state"]["identity_identifier"] == "user-1"
    assert payload["data"]["previous_state"]["feature_state_value"] == "x"


def test_environment_webhook__feature_deleted__flag_deleted_per_environment(
    admin_user, environment, feature, receiver
) -> None:
    EnvironmentWebhook.objects.create(environment=environment, url=receiver.url)
    feature_services.delete_feature(feature, admin_user)
    deliver_due()
    (request,) = receiver.wait_for(1)
    assert request.json()["event_type"] == "FLAG_DELETED"
    assert request.json()["data"]["previous_state"]["feature"]["name"] == "checkout"


def test_environment_webhook__disabled_or_other_environment__nothing_queued(
    admin_user, environment, other_environment, feature, receiver
) -> None:
    EnvironmentWebhook.objects.create(environment=environment, url=receiver.url, enabled=False)
    EnvironmentWebhook.objects.create(environment=other_environment, url=receiver.url)
    feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin_user)
    assert not WebhookDelivery.objects.exists()


def test_webhooks__change_rolled_back__nothing_queued(admin_user, organisation, environment, feature, receiver) -> None:
    OrganisationWebhook.objects.create(organisation=organisation, url=receiver.url)
    EnvironmentWebhook.objects.create(environment=environment, url=receiver.url)

    def change_then_fail() -> None:
        with transaction.atomic():
            feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin_user)
            assert WebhookDelivery.objects.count() == 2
            raise RuntimeError("the change fails after the audit entry")

    with pytest.raises(RuntimeError):
        change_then_fail()

    assert not WebhookDelivery.objects.exists()


def test_organisation_webhook__any_audited_change__audit_log_created(
    admin_client, admin_user, organisation, project, receiver
) -> None:
    response = admin_client.post(
        f"/api/v1/organisations/{organisation.id}/webhooks/",
        {"name": "SIEM", "url": receiver.url, "secret": SECRET},
    )
    assert response.status_code == 201, response.content

    response = admin_client.patch(f"/api/v1/projects/{project.id}/", {"name": "Web 2"})
    assert response.status_code == 200
    deliver_due()

    # The webhook's own creation is audited too, and comes first.
    created, request = receiver.wait_for(2)
    assert created.json()["data"]["related_object_type"] == "ORGANISATION_WEBHOOK"
    assert request.headers["x-flagsmith-signature"] == expected_signature(request.body)
    payload = request.json()
    assert payload["event_type"] == "AUDIT_LOG_CREATED"
    assert payload["data"]["related_object_type"] == "PROJECT"
    assert payload["data"]["project"] == {"id": project.id}
    assert payload["data"]["author"]["email"] == admin_user.email
    assert payload["data"]["changes"]["name"] == {"old": "Web", "new": "Web 2"}


def test_organisation_webhook__secret_not_in_audit_log(admin_client, organisation) -> None:
    from audit.models import AuditLog

    admin_client.post(
        f"/api/v1/organisations/{organisation.id}/webhooks/", {"url": "http://127.0.0.1:9/", "secret": SECRET}
    )
    entry = AuditLog.objects.get(related_object_type="ORGANISATION_WEBHOOK")
    assert SECRET not in str(entry.changes)


def test_delivery__receiver_answers_500__retried_with_backoff_then_delivered(
    admin_user, environment, feature, settings
) -> None:
    settings.WEBHOOK_BACKOFF_BASE = 3
    with HTTPReceiver(replies=[Reply(500, b"boom")]) as receiver:
        EnvironmentWebhook.objects.create(environment=environment, url=receiver.url, secret=SECRET)
        feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin_user)

        before = timezone.now()
        deliver_due()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
        # The first retry waits WEBHOOK_BACKOFF_BASE ** 1 seconds: not due yet.
        assert before + timedelta(seconds=3) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=3)
        assert deliver_due() == 0

        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        deliver_due()

        first, second = receiver.wait_for(2)
        assert first.body == second.body
        assert second.headers["x-flagsmith-signature"] == expected_signature(second.body)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_delivery__always_failing__given_up_after_configured_retries(
    admin_user, environment, feature, settings
) -> None:
    settings.WEBHOOK_BACKOFF_RETRIES = 2
    with HTTPReceiver(default=Reply(503)) as receiver:
        EnvironmentWebhook.objects.create(environment=environment, url=receiver.url)
        feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin_user)
        waits = []
        for _ in range(5):
            deliver_due()
            delivery = WebhookDelivery.objects.get()
            waits.append(round((delivery.next_attempt_at - timezone.now()).total_seconds()))
            WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=timezone.now())
        assert len(receiver.requests) == 3  # the first attempt and two retries
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert waits[:2] == [2, 4]  # 2 ** 1, 2 ** 2 seconds


def test_delivery__receiver_unreachable__recorded_and_retried(admin_user, environment, feature) -> None:
    with HTTPReceiver() as gone:
        url = gone.url
    EnvironmentWebhook.objects.create(environment=environment, url=url)
    feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin_user)
    deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error


def test_delivery__claimed_row__not_sent_twice(admin_user, environment, feature, receiver) -> None:
    from webhooks.services import claim_due

    EnvironmentWebhook.objects.create(environment=environment, url=receiver.url)
    feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin_user)
    assert len(claim_due()) == 1
    assert claim_due() == []  # leased by the first claimer


def test_disable_webhooks__nothing_queued(admin_user, environment, feature, receiver, settings) -> None:
    settings.DISABLE_WEBHOOKS = True
    EnvironmentWebhook.objects.create(environment=environment, url=receiver.url)
    feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin_user)
    assert not WebhookDelivery.objects.exists()


def test_run_webhook_worker__once__delivers_queue(admin_user, environment, feature, receiver) -> None:
    from django.core.management import call_command

    EnvironmentWebhook.objects.create(environment=environment, url=receiver.url)
    feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin_user)
    call_command("run_webhook_worker", "--once")
    receiver.wait_for(1)
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_in_process_runner__after_commit__delivers_in_background(settings, receiver) -> None:
    from environments.tests.factories import EnvironmentFactory
    from organisations.models import OrganisationRole
    from organisations.tests.factories import MembershipFactory, OrganisationFactory
    from projects.tests.factories import ProjectFactory

    settings.TASK_RUN_METHOD = "SEPARATE_THREAD"
    organisation = OrganisationFactory()
    admin = MembershipFactory(organisation=organisation, role=OrganisationRole.ADMIN).user
    project = ProjectFactory(organisation=organisation)
    environment = EnvironmentFactory(project=project)
    feature = feature_services.create_feature(project, {"name": "bg"}, admin)
    EnvironmentWebhook.objects.create(environment=environment, url=receiver.url, secret=SECRET)

    feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin)

    (request,) = receiver.wait_for(1, timeout=15)
    assert request.json()["data"]["new_state"]["feature"]["name"] == "bg"
    assert runner._thread is not None and runner._thread.is_alive()


# --- The API -----------------------------------------------------------------------------


def test_webhook_api__bad_url__400_naming_field(admin_client, environment, organisation) -> None:
    response = admin_client.post(f"/api/v1/environments/{environment.api_key}/webhooks/", {"url": "ftp://x"})
    assert response.status_code == 400
    assert "url" in response.json()
    response = admin_client.post(f"/api/v1/organisations/{organisation.id}/webhooks/", {"url": "not a url"})
    assert response.status_code == 400
    assert "url" in response.json()


def test_webhook_api__member_without_admin__403_outsider_404(member_client, outsider_client, environment) -> None:
    hook = EnvironmentWebhook.objects.create(environment=environment, url="http://127.0.0.1:9/")
    path = f"/api/v1/environments/{environment.api_key}/webhooks/"
    assert member_client.get(path).status_code == 403
    assert outsider_client.get(path).status_code == 404
    assert outsider_client.get(f"{path}{hook.id}/").status_code == 404


def test_test_endpoint__receiver_ok__200_signed_sample(admin_client, environment, receiver) -> None:
    response = admin_client.post(
        "/api/v1/webhooks/test/",
        {"webhook_url": receiver.url, "secret": SECRET, "scope": {"type": "environment", "id": environment.api_key}},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"detail": "Webhook test successful", "status": 200}
    (request,) = receiver.requests
    assert request.json()["event_type"] == "FLAG_UPDATED"
    assert request.headers["x-flagsmith-signature"] == expected_signature(request.body)


def test_test_endpoint__organisation_scope__audit_log_sample(admin_client, organisation, receiver) -> None:
    response = admin_client.post(
        "/api/v1/webhooks/test/",
        {"webhook_url": receiver.url, "scope": {"type": "organisation", "id": str(organisation.id)}},
    )
    assert response.status_code == 200
    assert receiver.requests[0].json()["event_type"] == "AUDIT_LOG_CREATED"


def test_test_endpoint__receiver_500__400_with_status(admin_client, environment) -> None:
    with HTTPReceiver(default=Reply(500)) as receiver:
        response = admin_client.post(
            "/api/v1/webhooks/test/",
            {"webhook_url": receiver.url, "scope": {"type": "environment", "id": environment.api_key}},
        )
    assert response.status_code == 400
    assert response.json()["status"] == 500


def test_test_endpoint__unreachable__400(admin_client, environment) -> None:
    with HTTPReceiver() as gone:
        url = gone.url
    response = admin_client.post(
        "/api/v1/webhooks/test/", {"webhook_url": url, "scope": {"type": "environment", "id": environment.api_key}}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Could not connect to webhook URL"


def test_test_endpoint__bad_input__400_naming_fields(admin_client) -> None:
    response = admin_client.post(
        "/api/v1/webhooks/test/", {"webhook_url": "nope", "scope": {"type": "planet", "id": "1"}}
    )
    assert response.status_code == 400
    body = response.json()
    assert "webhook_url" in body and "scope" in body


def test_test_endpoint__other_organisation_scope__404_nothing_sent(
    outsider_client, member_client, environment, organisation, receiver
) -> None:
    for scope in (
        {"type": "environment", "id": environment.api_key},
        {"type": "organisation", "id": str(organisation.id)},
    ):
        response = outsider_client.post("/api/v1/webhooks/test/", {"webhook_url": receiver.url, "scope": scope})
        assert response.status_code == 404
    response = member_client.post(
        "/api/v1/webhooks/test/",
        {"webhook_url": receiver.url, "scope": {"type": "environment", "id": environment.api_key}},
    )
    assert response.status_code == 403
    assert receiver.requests == []


def test_test_endpoint__anonymous__401(anon_client) -> None:
    assert anon_client.post("/api/v1/webhooks/test/", {}).status_code == 401


def test_deliveries_api__newest_first_with_status_and_attempts__no_body_or_secret(
    admin_client, admin_user, environment, feature, settings
) -> None:
    settings.WEBHOOK_BACKOFF_BASE = 3
    with HTTPReceiver(replies=[Reply(500, b"boom")]) as receiver:
        hook = EnvironmentWebhook.objects.create(environment=environment, url=receiver.url, secret=SECRET)
        feature_services.update_feature_state(default_state(feature, environment), {"enabled": True}, admin_user)
        deliver_due()
        feature_services.update_feature_state(default_state(feature, environment), {"enabled": False}, admin_user)
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        deliver_due()

    response = admin_client.get(f"/api/v1/environments/{environment.api_key}/webhooks/{hook.id}/deliveries/")

    assert response.status_code == 200
    newest, oldest = response.json()
    assert newest["id"] > oldest["id"]
    assert (oldest["status"], oldest["attempts"], oldest["last_status_code"]) == ("DELIVERED", 2, 200)
    assert (newest["status"], newest["attempts"]) == ("DELIVERED", 1)
    assert oldest["event_type"] == "FLAG_UPDATED"
    assert "body" not in oldest and "secret" not in oldest and "url" not in oldest


def test_deliveries_api__organisation_webhook__listed_for_admins_only(
    admin_client, member_client, outsider_client, organisation
) -> None:
    hook = OrganisationWebhook.objects.create(organisation=organisation, url="http://127.0.0.1:9/", name="audit")
    path = f"/api/v1/organisations/{organisation.id}/webhooks/{hook.id}/deliveries/"

    assert admin_client.get(path).json() == []
    assert member_client.get(path).status_code == 403
    assert outsider_client.get(path).status_code == 404
