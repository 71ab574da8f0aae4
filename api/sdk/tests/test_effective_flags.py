"""``environments/{key}/identities/{id}/featurestates/all/``: the dashboard's view of what an identity gets."""

from __future__ import annotations

from identities.models import Identity, Trait
from sdk.tests.conftest import add_override


def _all(client, environment, identity) -> dict:
    response = client.get(f"/api/v1/environments/{environment.api_key}/identities/{identity.id}/featurestates/all/")
    assert response.status_code == 200, response.content
    return {item["feature"]["name"]: item for item in response.json()}


def test_all__says_what_decided_each_flag(member_client, flags_environment, banner, pro_segment):
    identity = Identity.objects.create(environment=flags_environment, identifier="vip")
    Trait.objects.create(identity=identity, trait_key="plan", **Trait.value_fields("pro"))
    add_override(banner, flags_environment, identity=identity, value="mine")

    flags = _all(member_client, flags_environment, identity)

    assert flags["checkout"]["overridden_by"] == "SEGMENT"
    assert flags["checkout"]["segment"] == {"id": pro_segment.id, "name": "pro users"}
    assert flags["checkout"]["feature_state_value"] == "gold"
    assert flags["banner"]["overridden_by"] == "IDENTITY"
    assert flags["banner"]["feature_state_value"] == "mine"
    assert flags["dormant"]["overridden_by"] is None
    # admins see everything, server-only and disabled features included
    assert {"secret", "dormant"} <= set(flags)


def test_all__agrees_with_the_sdk_endpoint(member_client, client_key_client, flags_environment):
    identity = Identity.objects.create(environment=flags_environment, identifier="plain")

    admin_view = _all(member_client, flags_environment, identity)
    sdk_view = {
        item["feature"]["name"]: item
        for item in client_key_client.get("/api/v1/identities/?identifier=plain").json()["flags"]
    }

    for name, item in sdk_view.items():
        assert (admin_view[name]["enabled"], admin_view[name]["feature_state_value"]) == (
            item["enabled"],
            item["feature_state_value"],
        )


def test_all__outsider_404_anonymous_401(outsider_client, anon_client, flags_environment):
    identity = Identity.objects.create(environment=flags_environment, identifier="x")
    path = f"/api/v1/environments/{flags_environment.api_key}/identities/{identity.id}/featurestates/all/"

    assert outsider_client.get(path).status_code == 404
    assert anon_client.get(path).status_code == 401
