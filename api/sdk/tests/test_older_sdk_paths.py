"""Flagsmith's older SDK paths (its ``api/urls/deprecated.py`` and ``v1.py``), over the same evaluation.

``GET flags/{identifier}``, ``GET identities/{identifier}/``,
``POST identities/{identifier}/traits/{trait_key}`` and
``GET flags/{feature_id}/multivariate-options/``, through the client API with an
environment key, checked against Flagsmith's shapes (the recorded responses in
``flagsmith_responses/`` where they apply).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from features import services as feature_services
from features.models import Feature
from identities.models import Identity, Trait

REFERENCE = Path(__file__).resolve().parent / "flagsmith_responses"
pytestmark = pytest.mark.django_db


def _identify(client, identifier, traits):
    return client.post("/api/v1/identities/", {"identifier": identifier, "traits": traits}, format="json")


def _by_name(items):
    return {item["feature"]["name"]: item for item in items}


# ---- GET flags/{identifier} ---------------------------------------------------------------------


def test_identity_flags__new_identifier__200_flags_items_identity_created(client_key_client, flags_environment):
    response = client_key_client.get("/api/v1/flags/user@example.com")

    assert response.status_code == 200
    items = response.json()
    reference = json.loads((REFERENCE / "a_flags.json").read_text())
    # The items of /flags/: the same keys in the same order, no ``variant``.
    assert [list(item) for item in items] == [list(reference[0])] * len(items)
    assert list(items[0]["feature"]) == list(reference[0]["feature"])
    assert Identity.objects.filter(environment=flags_environment, identifier="user@example.com").exists()


def test_identity_flags__identity_in_segment__override_wins(client_key_client, flags_environment):
    _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro"}])

    flags = _by_name(client_key_client.get("/api/v1/flags/u1").json())

    assert flags["checkout"]["feature_state_value"] == "gold"
    assert flags["checkout"]["feature_segment"] is not None
    assert "secret" not in flags  # server-key-only features never reach client keys


def test_identity_flags__same_values_as_identities(server_key_client, flags_environment):
    _identify(server_key_client, "u2", [{"trait_key": "plan", "trait_value": "pro"}])
    identities = server_key_client.get("/api/v1/identities/?identifier=u2").json()["flags"]

    old = server_key_client.get("/api/v1/flags/u2").json()

    assert old == [{key: value for key, value in item.items() if key != "variant"} for item in identities]


def test_identity_flags__feature_param__one_item_or_404(client_key_client, flags_environment):
    one = client_key_client.get("/api/v1/flags/u1?feature=CHECKOUT")
    missing = client_key_client.get("/api/v1/flags/u1?feature=nope")

    assert one.status_code == 200
    assert one.json()["feature"]["name"] == "checkout"
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Given feature not found"}


def test_identity_flags__bad_key__403(flags_environment, api_client_for):
    client = api_client_for(None)
    client.credentials(HTTP_X_ENVIRONMENT_KEY="nope")

    response = client.get("/api/v1/flags/u1")

    assert response.status_code == 403
    assert not Identity.objects.filter(identifier="u1").exists()


def test_identity_flags__characters_outside_flagsmiths_set__404(client_key_client, flags_environment):
    assert client_key_client.get("/api/v1/flags/a b").status_code == 404
    assert client_key_client.get("/api/v1/flags/u1/").status_code == 404


# ---- GET identities/{identifier}/ ----------------------------------------------------------------


def test_identity_with_segments__member_of_segment__flags_traits_segments(
    client_key_client, flags_environment, pro_segment
):
    _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro"}])

    response = client_key_client.get("/api/v1/identities/u1/")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["flags", "traits", "segments"]
    reference = json.loads((REFERENCE / "b_identities_get_perf-user-0001.json").read_text())
    assert list(body["traits"][0]) == list(reference["traits"][0])
    assert body["traits"][0]["trait_value"] == "pro"
    assert body["segments"] == [{"id": pro_segment.id, "name": "pro users", "description": None}]
    assert _by_name(body["flags"])["checkout"]["feature_state_value"] == "gold"
    assert "variant" not in body["flags"][0]


def test_identity_with_segments__new_identity__created_no_segments(client_key_client, flags_environment):
    body = client_key_client.get("/api/v1/identities/fresh-user/").json()

    assert body["traits"] == []
    assert body["segments"] == []
    assert Identity.objects.filter(identifier="fresh-user").exists()


def test_identity_with_segments__post__405(client_key_client, flags_environment):
    assert client_key_client.post("/api/v1/identities/u1/", {}, format="json").status_code == 405


# ---- POST identities/{identifier}/traits/{trait_key} ----------------------------------------------


@pytest.mark.parametrize(("value", "value_type"), [("pro", "unicode"), (42, "int"), (0.5, "float"), (True, "bool")])
def test_identity_trait__typed_value__200_stored_with_its_type(client_key_client, flags_environment, value, value_type):
    response = client_key_client.post("/api/v1/identities/u1/traits/plan", {"trait_value": value}, format="json")

    assert response.status_code == 200, response.json()
    trait = Trait.objects.get(identity__identifier="u1", trait_key="plan")
    assert response.json() == {"id": trait.id, "trait_key": "plan", "trait_value": value, "transient": False}
    assert (trait.value_type, trait.trait_value) == (value_type, value)


def test_identity_trait__changed_then_evaluated__identity_enters_segment(client_key_client, flags_environment):
    client_key_client.post("/api/v1/identities/u1/traits/plan", {"trait_value": "free"}, format="json")
    client_key_client.post("/api/v1/identities/u1/traits/plan", {"trait_value": "pro"}, format="json")

    flags = _by_name(client_key_client.get("/api/v1/flags/u1").json())

    assert flags["checkout"]["feature_state_value"] == "gold"
    assert Trait.objects.filter(identity__identifier="u1").count() == 1


def test_identity_trait__null_value__deletes_it(client_key_client, flags_environment):
    client_key_client.post("/api/v1/identities/u1/traits/plan", {"trait_value": "pro"}, format="json")

    response = client_key_client.post("/api/v1/identities/u1/traits/plan", {"trait_value": None}, format="json")

    assert response.status_code == 200
    assert response.json() == {"id": None, "trait_key": "plan", "trait_value": None, "transient": False}
    assert not Trait.objects.filter(trait_key="plan").exists()


def test_identity_trait__no_trait_value__400_flagsmiths_detail(client_key_client, flags_environment):
    response = client_key_client.post("/api/v1/identities/u1/traits/plan", {"value": 1}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Trait value not provided"}
    assert not Identity.objects.filter(identifier="u1").exists()


def test_identity_trait__value_too_long__400_nothing_stored(client_key_client, flags_environment):
    response = client_key_client.post("/api/v1/identities/u1/traits/plan", {"trait_value": "x" * 2001}, format="json")

    assert response.status_code == 400
    assert not Trait.objects.exists()


def test_identity_trait__organisation_stores_no_traits__403(client_key_client, flags_environment, organisation):
    organisation.persist_trait_data = False
    organisation.save()

    response = client_key_client.post("/api/v1/identities/u1/traits/plan", {"trait_value": "pro"}, format="json")

    assert response.status_code == 403
    assert not Trait.objects.exists()


# ---- GET flags/{feature_id}/multivariate-options/ -------------------------------------------------


def test_multivariate_options__variants__control_value_and_option_values(client_key_client, banner):
    response = client_key_client.get(f"/api/v1/flags/{banner.id}/multivariate-options/")

    assert response.status_code == 200
    assert response.json() == {"control_value": "control", "options": [{"value": "a"}, {"value": "b"}]}


def test_multivariate_options__archived_feature__control_value_null(client_key_client, banner, admin_user):
    feature_services.update_feature(banner, {"is_archived": True}, admin_user)

    body = client_key_client.get(f"/api/v1/flags/{banner.id}/multivariate-options/").json()

    assert body["control_value"] is None
    assert len(body["options"]) == 2


def test_multivariate_options__standard_feature__no_options(client_key_client, checkout):
    body = client_key_client.get(f"/api/v1/flags/{checkout.id}/multivariate-options/").json()

    assert body == {"control_value": "blue", "options": []}


def test_multivariate_options__another_projects_feature__404(client_key_client, checkout, other_project, admin_user):
    theirs = Feature.objects.create(project=other_project, name="theirs")

    response = client_key_client.get(f"/api/v1/flags/{theirs.id}/multivariate-options/")

    assert response.status_code == 404


def test_multivariate_options__server_key_only_feature__404_for_client_key(
    client_key_client, server_key_client, secret_feature
):
    path = f"/api/v1/flags/{secret_feature.id}/multivariate-options/"

    assert client_key_client.get(path).status_code == 404
    assert server_key_client.get(path).status_code == 200


# ---- query budgets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/flags/u1", "/api/v1/identities/u1/"])
def test_older_identity_paths__known_identity__one_query_for_identity_and_traits(
    client_key_client, flags_environment, django_assert_max_num_queries, path
):
    _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "free"}])
    client_key_client.get(path)  # the document is compiled once per version

    # The environment's version (tests re-check it on every request), then the identity with its traits.
    with django_assert_max_num_queries(2):
        response = client_key_client.get(path)

    assert response.status_code == 200


def test_identity_with_segments__member_of_segment__one_more_query_for_segments(
    client_key_client, flags_environment, django_assert_max_num_queries
):
    _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro"}])
    client_key_client.get("/api/v1/identities/u1/")

    with django_assert_max_num_queries(3):  # version, identity with traits, segments
        assert client_key_client.get("/api/v1/identities/u1/").json()["segments"]


def test_multivariate_options__query_count__independent_of_variant_count(
    client_key_client, banner, django_assert_max_num_queries
):
    client_key_client.get(f"/api/v1/flags/{banner.id}/multivariate-options/")

    with django_assert_max_num_queries(3):  # the version, the feature, its variants
        response = client_key_client.get(f"/api/v1/flags/{banner.id}/multivariate-options/")

    assert len(response.json()["options"]) == 2
