"""Feature versions through Flagsmith 2.265's routes, and what SDKs see of them."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditLog
from documents import caching
from documents.store import clear_compiled_environments
from environments.models import Environment
from environments.services import create_server_key
from features import services as feature_services
from features.models import Feature, FeatureSegment, FeatureState
from projects.models import Project
from segments import services as segment_services
from segments.models import Segment
from users.models import User
from versioning import services
from versioning.models import EnvironmentFeatureVersion
from webhooks.models import EnvironmentWebhook, WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def feature(project: Project, environment: Environment, admin_user: User) -> Feature:
    return feature_services.create_feature(
        project, {"name": "checkout", "initial_value": "blue", "default_enabled": True}, admin_user
    )


@pytest.fixture
def segment(project: Project, admin_user: User) -> Segment:
    rules = [
        {
            "type": "ALL",
            "rules": [{"type": "ANY", "conditions": [{"operator": "EQUAL", "property": "plan", "value": "pro"}]}],
        }
    ]
    return segment_services.create_segment(project, {"name": "pro users", "rules": rules}, admin_user)


@pytest.fixture
def versioned(environment: Environment, feature: Feature, admin_client: APIClient) -> Environment:
    response = admin_client.post(f"/api/v1/environments/{environment.api_key}/enable-v2-versioning/")
    assert response.status_code == 202, response.content
    environment.refresh_from_db()
    return environment


def versions_url(environment: Environment, feature: Feature) -> str:
    return f"/api/v1/environments/{environment.pk}/features/{feature.pk}/versions/"


def sdk_flags(environment: Environment) -> dict[str, dict]:
    client = APIClient()
    response = client.get("/api/v1/flags/", HTTP_X_ENVIRONMENT_KEY=environment.api_key)
    assert response.status_code == 200, response.content
    return {item["feature"]["name"]: item for item in response.json()}


def server_key_for(environment: Environment) -> str:
    return create_server_key(environment=environment, name="local").plain_key


def new_version(client: APIClient, environment: Environment, feature: Feature, **body) -> dict:
    response = client.post(versions_url(environment, feature), body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_enable_v2_versioning__turns_it_on_with_a_first_live_version_per_feature(
    versioned: Environment, feature: Feature, admin_client: APIClient
):
    assert versioned.use_v2_feature_versioning is True
    detail = admin_client.get(f"/api/v1/environments/{versioned.api_key}/").json()
    assert detail["use_v2_feature_versioning"] is True
    listed = admin_client.get(versions_url(versioned, feature)).json()
    assert listed["count"] == 1
    first = listed["results"][0]
    assert first["published"] is True and first["is_live"] is True
    again = admin_client.post(f"/api/v1/environments/{versioned.api_key}/enable-v2-versioning/")
    assert again.status_code == 400
    assert again.json() == {"detail": "Environment already using v2 versioning."}


def test_direct_write__in_a_versioned_environment__is_refused_naming_the_versions_path(
    versioned: Environment, feature: Feature, admin_client: APIClient
):
    state = FeatureState.objects.get(environment=versioned, feature=feature, feature_segment=None, identity=None)
    response = admin_client.patch(f"/api/v1/features/featurestates/{state.pk}/", {"enabled": False}, format="json")
    assert response.status_code == 400
    assert "versions/" in response.json()["detail"]
    state.refresh_from_db()
    assert state.enabled is True


def test_draft__is_invisible_to_sdks_until_published(versioned: Environment, feature: Feature, admin_client: APIClient):
    draft = new_version(
        admin_client, versioned, feature, feature_states_to_update=[{"enabled": False, "feature_state_value": "red"}]
    )
    assert draft["published"] is False
    assert sdk_flags(versioned)["checkout"]["feature_state_value"] == "blue"

    published = admin_client.post(f"{versions_url(versioned, feature)}{draft['uuid']}/publish/", {}, format="json")
    assert published.status_code == 200, published.content
    assert published.json()["is_live"] is True
    flag = sdk_flags(versioned)["checkout"]
    assert (flag["enabled"], flag["feature_state_value"]) == (False, "red")
    # The live rows follow, for the admin API and everything else that reads them.
    state = FeatureState.objects.get(environment=versioned, feature=feature, feature_segment=None, identity=None)
    assert state.enabled is False and state.feature_state_value.value == "red"


def test_featurestates__of_a_draft__are_edited_including_segment_overrides(
    versioned: Environment, feature: Feature, segment: Segment, admin_client: APIClient
):
    draft = new_version(admin_client, versioned, feature)
    states_url = f"{versions_url(versioned, feature)}{draft['uuid']}/featurestates/"
    states = admin_client.get(states_url).json()
    assert len(states) == 1 and states[0]["feature_segment"] is None
    assert states[0]["environment_feature_version"] == draft["uuid"]

    created = admin_client.post(
        states_url,
        {"enabled": True, "feature_state_value": "gold", "feature_segment": {"segment": segment.pk}},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["feature_segment"]["segment"] == segment.pk
    changed = admin_client.patch(f"{states_url}{states[0]['id']}/", {"feature_state_value": 42}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["feature_state_value"] == 42

    admin_client.post(f"{versions_url(versioned, feature)}{draft['uuid']}/publish/", {}, format="json")
    assert FeatureSegment.objects.filter(environment=versioned, feature=feature, segment=segment).exists()
    client = APIClient()
    identity = client.post(
        "/api/v1/identities/",
        {"identifier": "ann", "traits": [{"trait_key": "plan", "trait_value": "pro"}], "transient": True},
        format="json",
        HTTP_X_ENVIRONMENT_KEY=versioned.api_key,
    ).json()
    values = {flag["feature"]["name"]: flag["feature_state_value"] for flag in identity["flags"]}
    assert values["checkout"] == "gold"
    assert sdk_flags(versioned)["checkout"]["feature_state_value"] == 42

    # A published version is read-only.
    refused = admin_client.patch(f"{states_url}{states[0]['id']}/", {"enabled": False}, format="json")
    assert refused.status_code == 400
    assert "published" in refused.json()["detail"]


def test_history__newest_first_with_a_field_level_diff_and_a_rollback(
    versioned: Environment, feature: Feature, admin_client: APIClient, admin_user: User
):
    url = versions_url(versioned, feature)
    first = admin_client.get(url).json()["results"][0]
    second = new_version(
        admin_client,
        versioned,
        feature,
        feature_states_to_update=[{"feature_state_value": "red"}],
        publish_immediately=True,
    )
    listed = admin_client.get(url).json()["results"]
    assert [item["uuid"] for item in listed] == [second["uuid"], first["uuid"]]
    assert listed[0]["created_by"] == admin_user.pk

    diff = admin_client.get(f"{url}{second['uuid']}/diff/").json()
    assert diff["compared_to"] == first["uuid"]
    assert diff["changes"] == [
        {
            "state": "environment_default",
            "segment": None,
            "change": "changed",
            "field": "feature_state_value",
            "old": "blue",
            "new": "red",
        }
    ]
    retrieved = admin_client.get(f"/api/v1/environment-feature-versions/{second['uuid']}/").json()
    assert retrieved["previous_version_uuid"] == first["uuid"]
    assert retrieved["feature"] == feature.pk and retrieved["environment"] == versioned.pk

    restored = admin_client.post(f"{url}{first['uuid']}/restore/", {}, format="json")
    assert restored.status_code == 201, restored.content
    assert sdk_flags(versioned)["checkout"]["feature_state_value"] == "blue"
    assert admin_client.get(url).json()["count"] == 3  # history is never rewritten
    entry = AuditLog.objects.filter(related_object_type="EF_VERSION").order_by("-id").first()
    assert entry.log == f"Version {first['uuid']} restored for feature: checkout"
    assert entry.changes["states"][0]["new"] == "blue"


def test_scheduled_change__served_at_live_from_without_any_write(
    versioned: Environment, feature: Feature, admin_client: APIClient
):
    key = server_key_for(versioned)
    draft = new_version(admin_client, versioned, feature, feature_states_to_update=[{"feature_state_value": "later"}])
    live_from = timezone.now() + timedelta(seconds=1)
    response = admin_client.post(
        f"{versions_url(versioned, feature)}{draft['uuid']}/publish/",
        {"live_from": live_from.isoformat()},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["is_live"] is False
    scheduled = admin_client.get(f"/api/v1/environments/{versioned.api_key}/scheduled-changes/").json()
    assert [item["uuid"] for item in scheduled] == [draft["uuid"]]
    assert sdk_flags(versioned)["checkout"]["feature_state_value"] == "blue"
    # The version check knows when the answer stops being current.
    assert caching._versions[versioned.pk].valid_until == live_from
    document = APIClient().get("/api/v1/environment-document/", HTTP_X_ENVIRONMENT_KEY=key)
    updated_at = document.json()["updated_at"]

    time.sleep(max(0.0, (live_from - timezone.now()).total_seconds()) + 0.05)
    assert sdk_flags(versioned)["checkout"]["feature_state_value"] == "later"  # nothing was written
    state = FeatureState.objects.get(environment=versioned, feature=feature, feature_segment=None, identity=None)
    assert state.feature_state_value.value == "blue"
    document = APIClient().get("/api/v1/environment-document/", HTTP_X_ENVIRONMENT_KEY=key)
    assert document.json()["updated_at"] == live_from.isoformat() != updated_at

    assert services.apply_due() == 1
    state = FeatureState.objects.get(environment=versioned, feature=feature, feature_segment=None, identity=None)
    assert state.feature_state_value.value == "later"
    assert AuditLog.objects.filter(log="Scheduled version went live for feature: checkout").exists()
    clear_compiled_environments()
    assert sdk_flags(versioned)["checkout"]["feature_state_value"] == "later"


def test_scheduled_change__cancelled_before_it_goes_live(
    versioned: Environment, feature: Feature, admin_client: APIClient
):
    draft = new_version(admin_client, versioned, feature, feature_states_to_update=[{"feature_state_value": "never"}])
    url = f"{versions_url(versioned, feature)}{draft['uuid']}/"
    admin_client.post(f"{url}publish/", {"live_from": (timezone.now() + timedelta(hours=1)).isoformat()}, format="json")
    assert admin_client.delete(url).status_code == 204
    assert admin_client.get(f"/api/v1/environments/{versioned.api_key}/scheduled-changes/").json() == []
    assert AuditLog.objects.filter(log="Scheduled change cancelled for feature: checkout").exists()
    live = admin_client.get(versions_url(versioned, feature)).json()["results"][0]
    refused = admin_client.delete(f"{versions_url(versioned, feature)}{live['uuid']}/")
    assert refused.status_code == 400
    assert refused.json() == {"detail": "Cannot delete a live version."}


def test_live_from_in_the_past__publishes_now(versioned: Environment, feature: Feature, admin_client: APIClient):
    draft = new_version(admin_client, versioned, feature, feature_states_to_update=[{"feature_state_value": "now"}])
    response = admin_client.post(
        f"{versions_url(versioned, feature)}{draft['uuid']}/publish/",
        {"live_from": (timezone.now() - timedelta(days=1)).isoformat()},
        format="json",
    )
    assert response.json()["is_live"] is True
    assert sdk_flags(versioned)["checkout"]["feature_state_value"] == "now"


def test_bad_input__unknown_uuid_404_publish_twice_400_other_environment_404(
    versioned: Environment, feature: Feature, admin_client: APIClient, other_environment: Environment
):
    url = versions_url(versioned, feature)
    assert admin_client.get(f"{url}00000000-0000-0000-0000-000000000000/").status_code == 404
    assert admin_client.get("/api/v1/environment-feature-versions/not-a-uuid/").status_code == 404
    draft = new_version(admin_client, versioned, feature)
    assert admin_client.post(f"{url}{draft['uuid']}/publish/", {}, format="json").status_code == 200
    again = admin_client.post(f"{url}{draft['uuid']}/publish/", {}, format="json")
    assert again.status_code == 400 and "published" in again.json()["detail"]
    # The version under another environment's path does not exist there.
    assert admin_client.post(f"{versions_url(other_environment, feature)}{draft['uuid']}/publish/").status_code == 404
    bad = admin_client.post(url, {"feature_states_to_create": [{"enabled": True}]}, format="json")
    assert bad.status_code == 400
    count = EnvironmentFeatureVersion.objects.filter(environment=versioned, feature=feature).count()
    assert count == 2  # nothing half-written


def test_create__in_an_unversioned_environment__is_a_400(
    environment: Environment, feature: Feature, admin_client: APIClient
):
    response = admin_client.post(versions_url(environment, feature), {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"environment": "Environment must use v2 feature versioning."}  # as Flagsmith words it


def test_same_live_from__the_later_created_wins(versioned: Environment, feature: Feature, admin_user: User):
    live_from = timezone.now() + timedelta(minutes=5)
    versions_made = []
    for value in ("first", "second"):
        states = services.base_states(versioned, feature)
        states[0].value = value
        version = services.create_version(versioned, feature, admin_user, states=states)
        services.publish(version, admin_user, live_from)
        versions_made.append(version)
    assert services.live_version(versioned.pk, feature.pk, live_from).pk == versions_made[1].pk
    assert services.apply_due(now=live_from) == 2
    state = FeatureState.objects.get(environment=versioned, feature=feature, feature_segment=None, identity=None)
    assert state.feature_state_value.value == "second"


def test_compile__with_500_versions__costs_a_bounded_number_of_queries(
    versioned: Environment, feature: Feature, admin_user: User, django_assert_max_num_queries
):
    from documents.compiler import compile_environment

    base = services.base_states(versioned, feature)
    for number in range(500):
        base[0].value = f"v{number}"
        version = services.create_version(versioned, feature, admin_user, states=base)
        services.publish(version, admin_user)
    # A few still scheduled, one due and not yet applied.
    for minutes in (-1, 5, 10):
        base[0].value = f"at {minutes}"
        version = services.create_version(versioned, feature, admin_user, states=base)
        services.publish(version, admin_user, timezone.now() + timedelta(minutes=minutes + 2))
        if minutes == -1:
            EnvironmentFeatureVersion.objects.filter(pk=version.pk).update(live_from=timezone.now())
    with django_assert_max_num_queries(12):
        compiled = compile_environment(versioned.pk)
    assert compiled.document["feature_states"][0]["feature_state_value"] == "at -1"
    assert compiled.valid_until is not None


def test_webhook__new_version_published__flagsmith_body_when_it_goes_live(
    versioned: Environment, feature: Feature, admin_client: APIClient, admin_user: User
):
    EnvironmentWebhook.objects.create(environment=versioned, url="http://127.0.0.1:9/hook")
    draft = new_version(admin_client, versioned, feature, feature_states_to_update=[{"feature_state_value": "red"}])
    url = f"{versions_url(versioned, feature)}{draft['uuid']}/publish/"
    live_from = timezone.now() + timedelta(minutes=1)
    admin_client.post(url, {"live_from": live_from.isoformat()}, format="json")
    assert not WebhookDelivery.objects.filter(event_type="NEW_VERSION_PUBLISHED").exists()  # not live yet
    assert AuditLog.objects.filter(log__startswith="Version scheduled for").exists()

    assert services.apply_due(now=live_from) == 1
    flag_updated = json.loads(WebhookDelivery.objects.get(event_type="FLAG_UPDATED").body)["data"]
    assert (
        flag_updated["previous_state"]["feature_state_value"],
        flag_updated["new_state"]["feature_state_value"],
    ) == (
        "blue",
        "red",
    )
    assert flag_updated["changed_by"] == f"{admin_user.first_name} {admin_user.last_name}".strip()
    delivery = WebhookDelivery.objects.get(event_type="NEW_VERSION_PUBLISHED")
    body = json.loads(delivery.body)
    assert body == {
        "event_type": "NEW_VERSION_PUBLISHED",
        "data": {
            "uuid": draft["uuid"],
            "feature": {"id": feature.pk, "name": "checkout"},
            "published_by": {"id": admin_user.pk, "email": admin_user.email},
            "feature_states": [{"enabled": True, "value": "red", "multivariate_feature_state_values": []}],
        },
    }


def test_audit__each_step_with_its_diff(versioned: Environment, feature: Feature, admin_client: APIClient):
    draft = new_version(admin_client, versioned, feature, feature_states_to_update=[{"enabled": False}])
    admin_client.post(f"{versions_url(versioned, feature)}{draft['uuid']}/publish/", {}, format="json")
    entries = list(AuditLog.objects.filter(related_object_type="EF_VERSION").order_by("id"))
    assert [entry.log for entry in entries] == [
        "Draft version created for feature: checkout",
        "New version published for feature: checkout",
    ]
    change = {
        "state": "environment_default",
        "segment": None,
        "change": "changed",
        "field": "enabled",
        "old": True,
        "new": False,
    }
    assert entries[1].changes == {"states": [change]}
    assert entries[1].environment_id == versioned.pk


def test_django_admin__flags_of_a_versioned_environment__read_only(versioned: Environment, feature: Feature, db):
    superuser = User.objects.create_superuser(email="root@example.com", password="a-long-passphrase-1")
    client = APIClient()
    client.force_login(superuser)
    state = FeatureState.objects.get(environment=versioned, feature=feature, feature_segment=None, identity=None)
    page = client.get(f"/admin/features/featurestate/{state.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    refused = client.post(f"/admin/features/featurestate/{state.pk}/change/", {"enabled": ""})
    assert refused.status_code == 403
    state.refresh_from_db()
    assert state.enabled is True


def test_disable_v2_versioning__live_flags_stay_and_scheduled_changes_are_cancelled(
    versioned: Environment, feature: Feature, admin_client: APIClient
):
    published = new_version(
        admin_client,
        versioned,
        feature,
        feature_states_to_update=[{"feature_state_value": "red"}],
        publish_immediately=True,
    )
    draft = new_version(admin_client, versioned, feature, feature_states_to_update=[{"feature_state_value": "later"}])
    url = versions_url(versioned, feature)
    admin_client.post(
        f"{url}{draft['uuid']}/publish/", {"live_from": (timezone.now() + timedelta(hours=1)).isoformat()}
    )

    response = admin_client.post(f"/api/v1/environments/{versioned.api_key}/disable-v2-versioning/")
    assert response.status_code == 202, response.content
    versioned.refresh_from_db()
    assert versioned.use_v2_feature_versioning is False
    assert sdk_flags(versioned)["checkout"]["feature_state_value"] == "red"
    assert EnvironmentFeatureVersion.objects.get(uuid=draft["uuid"]).deleted_at is not None
    assert EnvironmentFeatureVersion.objects.get(uuid=published["uuid"]).deleted_at is None  # history kept
    # Direct writes work again.
    state = FeatureState.objects.get(environment=versioned, feature=feature, feature_segment=None, identity=None)
    changed = admin_client.patch(f"/api/v1/features/featurestates/{state.pk}/", {"enabled": False}, format="json")
    assert changed.status_code == 200
    again = admin_client.post(f"/api/v1/environments/{versioned.api_key}/disable-v2-versioning/")
    assert again.status_code == 400
    assert again.json() == {"detail": "Environment is not using v2 versioning."}
