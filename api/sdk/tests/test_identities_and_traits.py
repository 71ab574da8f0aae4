"""``/identities/`` and the trait endpoints: evaluation, storage rules, typed traits, bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from features.models import Feature
from identities.models import Identity, Trait, TraitValueType
from sdk.tests.conftest import add_override

REFERENCE = Path(__file__).resolve().parent / "flagsmith_responses"


def _identify(client, identifier="u1", traits=None, **extra):
    body = {"identifier": identifier, "traits": traits or [], **extra}
    return client.post("/api/v1/identities/", body, format="json")


def _flags(response) -> dict:
    return {item["feature"]["name"]: item for item in response.json()["flags"]}


def _traits(response) -> dict:
    return {item["trait_key"]: item for item in response.json()["traits"]}


# ---- GET -------------------------------------------------------------------------------------------


def test_get_identities__matches_flagsmiths_shape_and_creates_the_identity(client_key_client, flags_environment):
    response = client_key_client.get("/api/v1/identities/?identifier=u1")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["identifier", "traits", "flags"]
    assert Identity.objects.filter(environment=flags_environment, identifier="u1").exists()
    _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro"}])
    body = client_key_client.get("/api/v1/identities/?identifier=u1").json()
    reference = json.loads((REFERENCE / "b_identities_get_perf-user-0001.json").read_text())
    assert list(body) == list(reference)
    assert list(body["flags"][0]) == list(reference["flags"][0])
    assert list(body["flags"][0]["feature"]) == list(reference["flags"][0]["feature"])
    assert list(body["traits"][0]) == list(reference["traits"][0])
    assert "X-Flagsmith-Document-Updated-At" in response


def test_post_identities__matches_flagsmiths_shape(client_key_client):
    body = _identify(client_key_client, "u1", [{"trait_key": "age", "trait_value": 45}]).json()
    reference = json.loads((REFERENCE / "c_identities_post_perf-user-0001.json").read_text())

    assert list(body) == list(reference)
    assert list(body["flags"][0]) == list(reference["flags"][0])
    assert list(body["traits"][0]) == list(reference["traits"][0])


def test_post_identities__traits_omitted__200_with_no_traits(client_key_client):
    response = client_key_client.post("/api/v1/identities/", {"identifier": "no-traits"}, format="json")

    assert response.status_code == 200
    assert response.json()["traits"] == []


def test_get_identities__missing_identifier__200_with_flagsmiths_detail(client_key_client):
    response = client_key_client.get("/api/v1/identities/")

    assert response.status_code == 200
    assert response.json() == {"detail": "Missing identifier"}


def test_get_identities__transient__evaluates_without_storing(client_key_client, flags_environment):
    response = client_key_client.get("/api/v1/identities/?identifier=ghost&transient=1")

    assert response.status_code == 200
    assert response.json()["identifier"] == "ghost"
    assert not Identity.objects.filter(identifier="ghost").exists()


def test_get_identities__stored_traits__drive_segment_overrides(client_key_client, flags_environment):
    _identify(client_key_client, "pro-user", [{"trait_key": "plan", "trait_value": "pro"}])

    response = client_key_client.get("/api/v1/identities/?identifier=pro-user")

    checkout = _flags(response)["checkout"]
    assert checkout["feature_state_value"] == "gold"
    assert checkout["feature_segment"] is not None
    assert checkout["identity"] is None


def test_get_identities__feature_param__one_flag_with_variant_or_404(client_key_client):
    found = client_key_client.get("/api/v1/identities/?identifier=u1&feature=banner")
    missing = client_key_client.get("/api/v1/identities/?identifier=u1&feature=nope")

    assert found.json()["feature"]["name"] == "banner"
    assert "variant" in found.json()
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Given feature not found"}


def test_get_identities__identity_override__wins_and_names_the_identity(
    client_key_client, flags_environment, checkout: Feature, pro_segment
):
    identity = Identity.objects.create(environment=flags_environment, identifier="vip")
    Trait.objects.create(identity=identity, trait_key="plan", **Trait.value_fields("pro"))
    override = add_override(checkout, flags_environment, identity=identity, value="platinum")

    flag = _flags(client_key_client.get("/api/v1/identities/?identifier=vip"))["checkout"]

    assert flag["feature_state_value"] == "platinum"
    assert flag["identity"] == identity.id
    assert flag["id"] == override.id
    assert flag["feature_segment"] is None


def test_get_identities__multivariate__same_variant_on_every_call_and_some_spread(client_key_client):
    values = {}
    for n in range(60):
        first = _flags(client_key_client.get(f"/api/v1/identities/?identifier=user-{n}"))["banner"]
        again = _flags(client_key_client.get(f"/api/v1/identities/?identifier=user-{n}"))["banner"]
        assert first == again
        values[first["feature_state_value"]] = first["variant"]

    assert set(values) == {"a", "b", "control"}
    assert values["a"] == "variant_a"
    assert values["b"] is None  # an option without a key
    assert values["control"] == "control"


def test_get_identities__hide_sensitive_data__no_traits_no_ids(client_key_client, flags_environment):
    _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro"}])
    flags_environment.hide_sensitive_data = True
    flags_environment.save()

    body = client_key_client.get("/api/v1/identities/?identifier=u1").json()

    assert body["traits"] == []
    assert all(item["id"] is None and item["feature_segment"] is None for item in body["flags"])
    # the evaluation still used the stored trait
    assert {item["feature"]["name"]: item for item in body["flags"]}["checkout"]["feature_state_value"] == "gold"


# ---- POST ------------------------------------------------------------------------------------------


def test_post_identities__typed_traits__stored_and_echoed_with_their_json_types(client_key_client):
    traits = [
        {"trait_key": "plan", "trait_value": "pro"},
        {"trait_key": "age", "trait_value": 42},
        {"trait_key": "big", "trait_value": 2**40},
        {"trait_key": "ratio", "trait_value": 0.25},
        {"trait_key": "beta", "trait_value": True},
        {"trait_key": "prefs", "trait_value": {"a": 1}},
    ]

    response = _identify(client_key_client, "typed", traits)

    assert response.status_code == 200
    echoed = {key: item["trait_value"] for key, item in _traits(response).items()}
    assert echoed == {"plan": "pro", "age": 42, "big": 2**40, "ratio": 0.25, "beta": True, "prefs": "{'a': 1}"}
    stored = {trait.trait_key: trait for trait in Trait.objects.filter(identity__identifier="typed")}
    assert stored["big"].value_type == TraitValueType.INTEGER
    assert stored["big"].trait_value == 2**40
    assert stored["ratio"].value_type == TraitValueType.FLOAT
    assert stored["beta"].value_type == TraitValueType.BOOLEAN
    assert all(item["id"] is not None and item["transient"] is False for item in response.json()["traits"])


def test_post_identities__null_value__deletes_the_stored_trait(client_key_client):
    _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro"}])

    response = _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": None}])

    assert "plan" not in _traits(response)
    assert not Trait.objects.filter(trait_key="plan").exists()


def test_post_identities__changed_value__updates_in_place(client_key_client):
    first = _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "free"}])

    second = _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": 5}])

    assert _traits(second)["plan"]["id"] == _traits(first)["plan"]["id"]
    assert Trait.objects.get(trait_key="plan").trait_value == 5


def test_post_identities__transient_trait__used_but_not_stored(client_key_client):
    response = _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro", "transient": True}])

    assert _flags(response)["checkout"]["feature_state_value"] == "gold"
    assert _traits(response)["plan"] == {"id": None, "trait_key": "plan", "trait_value": "pro", "transient": True}
    assert not Trait.objects.exists()


def test_post_identities__transient_identity__nothing_persisted(client_key_client):
    response = _identify(client_key_client, "ghost", [{"trait_key": "plan", "trait_value": "pro"}], transient=True)

    assert _flags(response)["checkout"]["feature_state_value"] == "gold"
    assert not Identity.objects.filter(identifier="ghost").exists()


def test_post_identities__transient_for_existing_identity__stored_traits_plus_incoming(client_key_client):
    _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro"}])

    response = _identify(client_key_client, "u1", [{"trait_key": "age", "trait_value": 3}], transient=True)

    assert set(_traits(response)) == {"plan", "age"}
    assert _flags(response)["checkout"]["feature_state_value"] == "gold"
    assert not Trait.objects.filter(trait_key="age").exists()


def test_post_identities__no_identifier__identifier_is_the_hash_of_the_traits(client_key_client):
    traits = [{"trait_key": "plan", "trait_value": "pro"}, {"trait_key": "age", "trait_value": 3}]

    response = client_key_client.post("/api/v1/identities/", {"traits": traits}, format="json")

    assert response.status_code == 200
    assert response.json()["identifier"] == hashlib.sha256(b"age3planpro").hexdigest()
    assert not Identity.objects.exists()


def test_post_identities__client_key_without_client_traits__traits_ignored(client_key_client, flags_environment):
    flags_environment.allow_client_traits = False
    flags_environment.save()

    response = _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro"}])

    assert response.status_code == 200
    assert _flags(response)["checkout"]["feature_state_value"] == "blue"
    assert not Trait.objects.exists()


def test_post_identities__server_key_without_client_traits__traits_stored(server_key_client, flags_environment):
    flags_environment.allow_client_traits = False
    flags_environment.save()

    _identify(server_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro"}])

    assert Trait.objects.filter(trait_key="plan").exists()


def test_post_identities__organisation_does_not_persist_traits__used_not_stored(client_key_client, organisation):
    organisation.persist_trait_data = False
    organisation.save()

    response = _identify(client_key_client, "u1", [{"trait_key": "plan", "trait_value": "pro"}])

    assert _flags(response)["checkout"]["feature_state_value"] == "gold"
    assert _traits(response)["plan"]["id"] is None
    assert not Trait.objects.exists()


def test_identity_hash_key__client_key_used_even_when_called_with_a_server_key(client_key_client, server_key_client):
    by_client = [_flags(_identify(client_key_client, f"h{n}"))["banner"]["variant"] for n in range(30)]
    by_server = [_flags(_identify(server_key_client, f"h{n}"))["banner"]["variant"] for n in range(30)]

    assert by_client == by_server


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"identifier": "u1", "traits": [{"trait_key": "s", "trait_value": "x" * 2001}]}, "traits"),
        ({"identifier": "u1", "traits": [{"trait_key": "n", "trait_value": 2**63}]}, "traits"),
        ({"identifier": "u1", "traits": [{"trait_key": "k" * 201, "trait_value": 1}]}, "traits"),
        ({"identifier": "u1", "traits": [{"trait_key": "", "trait_value": 1}]}, "traits"),
        ({"identifier": "u1", "traits": [{"trait_vlaue": 1, "trait_key": "a"}]}, "traits"),
        ({"identifier": "u1", "traits": "plan=pro"}, "traits"),
        (
            {
                "identifier": "u1",
                "traits": [{"trait_key": "a", "trait_value": 1}, {"trait_key": "a", "trait_value": 2}],
            },
            "traits",
        ),
        ({"identifier": "x" * 2001}, "identifier"),
        ({"identifier": ["u1"]}, "identifier"),
        ({"identifier": "u1", "transient": "maybe"}, "transient"),
        ({"identifier": "u1", "colour": "red"}, "colour"),
    ],
)
def test_post_identities__bad_body__400_naming_the_field_and_nothing_written(client_key_client, body, field):
    response = client_key_client.post("/api/v1/identities/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Identity.objects.exists()
    assert not Trait.objects.exists()


def test_post_identities__malformed_json__400(client_key_client):
    response = client_key_client.post("/api/v1/identities/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_post_identities__over_long_get_identifier__400(client_key_client):
    response = client_key_client.get("/api/v1/identities/?identifier=" + "x" * 2001)

    assert response.status_code == 400


# ---- /traits/ ----------------------------------------------------------------------------------------


def _set_trait(client, identifier="u1", key="plan", value="pro"):
    body = {"identity": {"identifier": identifier}, "trait_key": key, "trait_value": value}
    return client.post("/api/v1/traits/", body, format="json")


def test_traits__set__200_and_identity_created(client_key_client):
    response = _set_trait(client_key_client)

    assert response.status_code == 200
    assert response.json() == {"identity": {"identifier": "u1"}, "trait_key": "plan", "trait_value": "pro"}
    assert Trait.objects.get(identity__identifier="u1").trait_value == "pro"


def test_traits__organisation_does_not_persist__403(client_key_client, organisation):
    organisation.persist_trait_data = False
    organisation.save()

    response = _set_trait(client_key_client)

    assert response.status_code == 403
    assert response.json() == {"detail": "Organisation is not authorised to store traits."}


def test_traits__client_key_without_client_traits__400(client_key_client, flags_environment):
    flags_environment.allow_client_traits = False
    flags_environment.save()

    response = _set_trait(client_key_client)

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Setting traits not allowed with client key."]}


def test_traits__bad_body__400_nothing_written(client_key_client):
    response = client_key_client.post("/api/v1/traits/", {"trait_key": "plan"}, format="json")

    assert response.status_code == 400
    assert "identity" in response.json()
    assert not Identity.objects.exists()


def test_traits_bulk__many_identities_one_transaction(client_key_client):
    body = [
        {"identity": {"identifier": "a"}, "trait_key": "plan", "trait_value": "pro"},
        {"identity": {"identifier": "b"}, "trait_key": "age", "trait_value": 3},
        {"identity": {"identifier": "a"}, "trait_key": "old", "trait_value": None},
    ]

    response = client_key_client.put("/api/v1/traits/bulk/", body, format="json")

    assert response.status_code == 200
    assert len(response.json()) == 3
    assert set(Trait.objects.values_list("identity__identifier", "trait_key")) == {("a", "plan"), ("b", "age")}


def test_traits_bulk__one_bad_item__400_and_nothing_written(client_key_client):
    body = [
        {"identity": {"identifier": "a"}, "trait_key": "plan", "trait_value": "pro"},
        {"identity": {"identifier": "b"}, "trait_key": "", "trait_value": 3},
    ]

    response = client_key_client.put("/api/v1/traits/bulk/", body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid request data"
    assert not Identity.objects.exists()


def test_traits_increment__missing_starts_at_zero_then_adds(client_key_client):
    body = {"identifier": "u1", "trait_key": "logins", "increment_by": 2}

    first = client_key_client.post("/api/v1/traits/increment-value/", body, format="json")
    second = client_key_client.post("/api/v1/traits/increment-value/", {**body, "increment_by": 5}, format="json")

    assert first.json() == {"trait_key": "logins", "trait_value": 2, "identifier": "u1"}
    assert second.json()["trait_value"] == 7


def test_traits_increment__not_an_integer__400(client_key_client):
    _set_trait(client_key_client, key="logins", value="many")

    response = client_key_client.post(
        "/api/v1/traits/increment-value/", {"identifier": "u1", "trait_key": "logins", "increment_by": 1}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"trait_key": ["Trait is not an integer."]}


def test_traits_increment__past_64_bits__400(client_key_client):
    _set_trait(client_key_client, key="logins", value=2**63 - 1)

    response = client_key_client.post(
        "/api/v1/traits/increment-value/", {"identifier": "u1", "trait_key": "logins", "increment_by": 1}, format="json"
    )

    assert response.status_code == 400
    assert Trait.objects.get(trait_key="logins").trait_value == 2**63 - 1


@pytest.mark.postgres
@pytest.mark.parametrize("extreme", [-(2**63), 2**63 - 1])
def test_post_identities__stored_integer_trait_changes_to_64_bit_extreme__200_stored(client_key_client, extreme):
    # A changed trait is written by one UPDATE ... FROM (VALUES ...) on PostgreSQL; -2**63 as a
    # bare literal before ::bigint would be read as the negation of an out-of-range number.
    _identify(
        client_key_client, "u1", [{"trait_key": "score", "trait_value": 5}, {"trait_key": "plan", "trait_value": "a"}]
    )

    response = _identify(
        client_key_client,
        "u1",
        [{"trait_key": "score", "trait_value": extreme}, {"trait_key": "plan", "trait_value": "b"}],
    )

    assert response.status_code == 200, response.content
    assert _traits(response)["score"]["trait_value"] == extreme
    assert Trait.objects.get(trait_key="score").trait_value == extreme
    assert Trait.objects.get(trait_key="plan").trait_value == "b"


# ---- analytics -------------------------------------------------------------------------------------


def test_analytics_v1__counts_known_features_drops_the_rest(client_key_client, flags_environment):
    from analytics.models import FeatureEvaluationBucket

    body = {"checkout": 3, "nope": 2, "banner": "x"}
    first = client_key_client.post("/api/v1/analytics/flags/", body, format="json")
    client_key_client.post("/api/v1/analytics/flags/", {"checkout": 4}, format="json")

    assert first.status_code == 200
    assert first.content == b""
    assert list(FeatureEvaluationBucket.objects.values_list("feature_name", "count")) == [("checkout", 7)]


def test_analytics_v2__evaluations_stored_with_identity_204(client_key_client):
    from analytics.models import FeatureEvaluationBucket

    body = {
        "evaluations": [
            {"feature_name": "checkout", "identity_identifier": "u1", "enabled_when_evaluated": True, "count": 3},
            {"feature_name": "checkout", "count": 1},
        ]
    }
    response = client_key_client.post("/api/v2/analytics/flags/", body, format="json")

    assert response.status_code == 204
    assert sorted(FeatureEvaluationBucket.objects.values_list("identity_identifier", "count")) == [("", 1), ("u1", 3)]


@pytest.mark.parametrize(
    ("version", "body"),
    [("v1", ["checkout"]), ("v2", {"evaluations": [{"feature_name": "checkout", "count": -1}]}), ("v2", {})],
)
def test_analytics__bad_body__400(client_key_client, version, body):
    from analytics.models import FeatureEvaluationBucket

    response = client_key_client.post(f"/api/{version}/analytics/flags/", body, format="json")

    assert response.status_code == 400
    assert not FeatureEvaluationBucket.objects.exists()
