"""``/flags/`` and ``/environment-document/``: shapes, headers, keys and environment switches."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.http import http_date

from environments.models import EnvironmentAPIKey
from environments.services import create_server_key
from features import services as feature_services
from features.models import Feature, FeatureState
from organisations.models import Organisation
from sdk.tests.conftest import sdk_client

REFERENCE = Path(__file__).resolve().parent / "flagsmith_responses"


def _reference(name: str):
    return json.loads((REFERENCE / name).read_text())


def _key_paths(value, prefix=""):
    """Every key path of a JSON value, lists collapsed, in order: the shape, without the data."""
    if isinstance(value, dict):
        paths = []
        for key, item in value.items():
            paths.append(f"{prefix}.{key}")
            paths.extend(_key_paths(item, f"{prefix}.{key}"))
        return paths
    if isinstance(value, list) and value:
        return _key_paths(value[0], prefix + "[]")
    return []


def test_flags__client_key__items_have_flagsmiths_fields_in_order(client_key_client) -> None:
    response = client_key_client.get("/api/v1/flags/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert _key_paths(response.json()[0]) == _key_paths(_reference("a_flags.json")[0])
    assert "variant" not in response.json()[0]


def test_flags__values_and_control_value_for_multivariate(client_key_client) -> None:
    flags = {item["feature"]["name"]: item for item in client_key_client.get("/api/v1/flags/").json()}

    assert flags["checkout"]["feature_state_value"] == "blue"
    assert flags["checkout"]["enabled"] is True
    assert flags["banner"]["feature_state_value"] == "control"
    assert flags["dormant"]["feature_state_value"] == 7
    assert flags["dormant"]["enabled"] is False
    assert [item["feature"]["id"] for item in flags.values()] == sorted(
        item["feature"]["id"] for item in flags.values()
    )


def test_flags__document_updated_at_header_and_revalidation_headers(client_key_client, flags_environment) -> None:
    response = client_key_client.get("/api/v1/flags/")

    assert float(response["X-Flagsmith-Document-Updated-At"]) == pytest.approx(flags_environment.updated_at.timestamp())
    assert response["Cache-Control"] == "no-cache"
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert "X-Environment-Key" in response["Vary"]


def test_flags__if_none_match__304_until_something_changes(client_key_client, checkout, admin_user) -> None:
    etag = client_key_client.get("/api/v1/flags/")["ETag"]

    unchanged = client_key_client.get("/api/v1/flags/", HTTP_IF_NONE_MATCH=etag)
    checkout.description = "changed"
    checkout.save()
    changed = client_key_client.get("/api/v1/flags/", HTTP_IF_NONE_MATCH=etag)

    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_flags__two_changes_within_a_second__different_etags(client_key_client, checkout) -> None:
    etags = []
    for description in ("one", "two", "three"):
        checkout.description = description
        checkout.save()
        etags.append(client_key_client.get("/api/v1/flags/")["ETag"])

    assert len(set(etags)) == 3


def test_flags__client_and_server_bodies__different_etags(client_key_client, server_key_client) -> None:
    client_etag = client_key_client.get("/api/v1/flags/")["ETag"]

    response = server_key_client.get("/api/v1/flags/", HTTP_IF_NONE_MATCH=client_etag)

    assert response.status_code == 200  # the server-side body differs: no 304 on the client's tag
    assert response["ETag"] != client_etag


def test_identities__never_stored_by_caches(client_key_client) -> None:
    response = client_key_client.get("/api/v1/identities/?identifier=u1")

    assert "no-store" in response["Cache-Control"]
    assert "ETag" not in response


def test_flags__server_key_only_feature__served_to_server_keys_only(client_key_client, server_key_client) -> None:
    client_names = {item["feature"]["name"] for item in client_key_client.get("/api/v1/flags/").json()}
    server_names = {item["feature"]["name"] for item in server_key_client.get("/api/v1/flags/").json()}

    assert "secret" not in client_names
    assert "secret" in server_names


def test_flags__hide_disabled_flags__omits_disabled_and_still_hides_server_only(
    client_key_client, flags_environment
) -> None:
    flags_environment.hide_disabled_flags = True
    flags_environment.save()

    names = {item["feature"]["name"] for item in client_key_client.get("/api/v1/flags/").json()}

    # Flagsmith leaks enabled server-only features to client keys here; we do not.
    assert names == {"checkout", "banner"}


def test_flags__project_hide_disabled_flags__applies_when_environment_leaves_it_unset(
    client_key_client, flags_environment
) -> None:
    project = flags_environment.project
    project.hide_disabled_flags = True
    project.save()

    names = {item["feature"]["name"] for item in client_key_client.get("/api/v1/flags/").json()}

    assert "dormant" not in names


def test_flags__hide_sensitive_data__nulls_ids_and_feature_details(client_key_client, flags_environment) -> None:
    flags_environment.hide_sensitive_data = True
    flags_environment.save()

    item = client_key_client.get("/api/v1/flags/").json()[0]

    assert item["id"] is None
    assert item["environment"] is None
    assert item["feature"]["created_date"] is None
    assert item["feature"]["default_enabled"] is None
    assert item["feature"]["name"] == "checkout"


def test_flags__feature_param__one_item_case_insensitively_or_404(client_key_client) -> None:
    found = client_key_client.get("/api/v1/flags/?feature=CHECKOUT")
    missing = client_key_client.get("/api/v1/flags/?feature=nope")

    assert found.status_code == 200
    assert found.json()["feature"]["name"] == "checkout"
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Given feature not found"}


def test_flags__server_only_feature_param_with_client_key__404(client_key_client) -> None:
    assert client_key_client.get("/api/v1/flags/?feature=secret").status_code == 404


@pytest.mark.parametrize("key", ["", "nope", "ser.nope", "x" * 500])
def test_flags__bad_or_missing_key__403_json(db, key: str) -> None:
    response = sdk_client(key).get("/api/v1/flags/")

    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid or missing Environment Key"}


@pytest.mark.parametrize(
    "key_state", [{"active": False}, {"expires_at": timezone.now() - timedelta(minutes=1)}], ids=["inactive", "expired"]
)
def test_flags__inactive_or_expired_server_key__403(flags_environment, key_state) -> None:
    server_key = create_server_key(environment=flags_environment, name="old", **key_state)

    response = sdk_client(server_key.plain_key).get("/api/v1/flags/")

    assert response.status_code == 403


def test_flags__organisation_stops_serving_flags__403(client_key_client, organisation: Organisation) -> None:
    organisation.stop_serving_flags = True
    organisation.save()

    response = client_key_client.get("/api/v1/flags/")

    assert response.status_code == 403
    assert response.json() == {"detail": "Organisation is disabled from serving flags."}


def test_flags__v2_path_serves_the_same(client_key_client) -> None:
    assert client_key_client.get("/api/v2/flags/").json() == client_key_client.get("/api/v1/flags/").json()


def test_flags__change_through_services__served_at_once(client_key_client, checkout: Feature, admin_user) -> None:
    client_key_client.get("/api/v1/flags/")  # compile and cache the current version
    state = FeatureState.objects.get(feature=checkout, feature_segment=None, identity=None)

    feature_services.update_feature_state(state, {"enabled": False, "feature_state_value": "red"}, admin_user)
    item = client_key_client.get("/api/v1/flags/?feature=checkout").json()

    assert item["enabled"] is False
    assert item["feature_state_value"] == "red"


def test_flags__change_outside_services__served_at_once(client_key_client, checkout: Feature) -> None:
    """A write by the Django admin or a shell goes through model signals, not services."""
    client_key_client.get("/api/v1/flags/")
    checkout.description = "new words"
    checkout.save()

    item = client_key_client.get("/api/v1/flags/?feature=checkout").json()

    assert item["feature"]["description"] == "new words"


def test_flags__rolled_back_write__keeps_the_served_version(client_key_client, flags_environment, checkout) -> None:
    from django.db import transaction

    before = client_key_client.get("/api/v1/flags/")["X-Flagsmith-Document-Updated-At"]

    def change_then_fail() -> None:
        with transaction.atomic():
            checkout.description = "never"
            checkout.save()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()

    after = client_key_client.get("/api/v1/flags/")

    assert after["X-Flagsmith-Document-Updated-At"] == before
    assert after.json()[0]["feature"]["description"] is None


# ---- environment document ----------------------------------------------------------------------


def test_environment_document__shape_matches_flagsmith(server_key_client, flags_environment) -> None:
    response = server_key_client.get("/api/v1/environment-document/")
    reference = _reference("d_environment_document.json")

    assert response.status_code == 200
    document = response.json()
    assert list(document) == list(reference)
    assert list(document["project"]) == list(reference["project"])
    assert _key_paths(document["project"]["segments"][0]) == _key_paths(reference["project"]["segments"][0])
    mv_state = next(s for s in document["feature_states"] if s["multivariate_feature_state_values"])
    reference_mv = next(s for s in reference["feature_states"] if s["multivariate_feature_state_values"])
    assert _key_paths(mv_state) == _key_paths(reference_mv)
    assert document["api_key"] == flags_environment.api_key
    assert document["project"]["server_key_only_feature_ids"] == [Feature.objects.get(name="secret").id]


def test_environment_document__headers_and_if_modified_since(server_key_client, flags_environment) -> None:
    response = server_key_client.get("/api/v1/environment-document/")
    # The fixture's later writes bumped the stored updated_at (a second boundary may lie between).
    flags_environment.refresh_from_db()
    last_modified = response["Last-Modified"]

    unchanged = server_key_client.get("/api/v1/environment-document/", HTTP_IF_MODIFIED_SINCE=last_modified)
    older = server_key_client.get(
        "/api/v1/environment-document/",
        HTTP_IF_MODIFIED_SINCE=http_date(flags_environment.updated_at.timestamp() - 60),
    )

    by_etag = server_key_client.get("/api/v1/environment-document/", HTTP_IF_NONE_MATCH=response["ETag"])
    stale_etag_recent_date = server_key_client.get(
        "/api/v1/environment-document/", HTTP_IF_NONE_MATCH='"stale"', HTTP_IF_MODIFIED_SINCE=last_modified
    )

    assert by_etag.status_code == 304
    assert stale_etag_recent_date.status_code == 200  # If-None-Match wins over If-Modified-Since
    assert response["Cache-Control"] == "private, no-cache"
    assert last_modified == http_date(int(flags_environment.updated_at.timestamp()))
    assert "X-Flagsmith-Document-Updated-At" in response
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert older.status_code == 200


def test_environment_document__client_key__403(client_key_client) -> None:
    response = client_key_client.get("/api/v1/environment-document/")

    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid or missing Environment Key"}


def test_environment_document__identity_overrides_listed_unless_switched_off(
    server_key_client, flags_environment, checkout
) -> None:
    from identities.models import Identity
    from sdk.tests.conftest import add_override

    identity = Identity.objects.create(environment=flags_environment, identifier="vip")
    add_override(checkout, flags_environment, identity=identity, value="platinum")

    listed = server_key_client.get("/api/v1/environment-document/").json()["identity_overrides"]
    flags_environment.refresh_from_db()
    flags_environment.use_identity_overrides_in_local_eval = False
    flags_environment.save()
    hidden = server_key_client.get("/api/v1/environment-document/").json()["identity_overrides"]

    assert [override["identifier"] for override in listed] == ["vip"]
    assert listed[0]["composite_key"] == f"{flags_environment.api_key}_vip"
    assert listed[0]["identity_features"][0]["feature_state_value"] == "platinum"
    assert hidden == []


def test_environment_document__feature_specific_segment_only_with_an_override_here(
    server_key_client, flags_environment, checkout, admin_user
) -> None:
    from segments import services as segment_services

    rules = [{"type": "ALL", "conditions": [{"operator": "IS_SET", "property": "beta"}]}]
    segment_services.create_segment(
        flags_environment.project, {"name": "checkout only", "feature": checkout, "rules": rules}, admin_user
    )

    names = [s["name"] for s in server_key_client.get("/api/v1/environment-document/").json()["project"]["segments"]]

    assert names == ["pro users"]


def test_environment_document__server_key_of_another_environment_gets_its_own(flags_environment, other_environment):
    other_key = create_server_key(environment=other_environment, name="other")

    document = sdk_client(other_key.plain_key).get("/api/v1/environment-document/").json()

    assert document["api_key"] == other_environment.api_key
    assert document["feature_states"] == []


def test_server_key__stored_hashed_not_plain(server_key: EnvironmentAPIKey) -> None:
    assert server_key.plain_key not in {server_key.key_hash, server_key.key_preview}


def test_admin_document__members_read_the_sdk_document(member_client, server_key_client, flags_environment) -> None:
    admin_view = member_client.get(f"/api/v1/environments/{flags_environment.api_key}/document/")

    assert admin_view.status_code == 200
    assert admin_view.json() == server_key_client.get("/api/v1/environment-document/").json()


def test_flags__browser_preflight__allows_the_environment_key_header(client) -> None:
    response = client.options(
        "/api/v1/flags/",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-environment-key",
    )

    assert response.status_code == 200
    assert "x-environment-key" in response["Access-Control-Allow-Headers"]
