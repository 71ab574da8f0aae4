"""Identities admin API: identities, traits, trait keys and identity overrides."""

from __future__ import annotations

import pytest

from environments.models import Environment
from environments.tests.factories import EnvironmentFactory
from features import services as feature_services
from features.models import FeatureState, FeatureStateValue
from features.tests.factories import FeatureFactory
from identities import services
from identities.models import Identity, Trait
from identities.tests.factories import IdentityFactory, TraitFactory
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def identities_url(environment: Environment, identity: Identity | None = None) -> str:
    base = f"/api/v1/environments/{environment.api_key}/identities/"
    return base if identity is None else f"{base}{identity.id}/"


def traits_url(identity: Identity, trait: Trait | None = None) -> str:
    base = f"{identities_url(identity.environment, identity)}traits/"
    return base if trait is None else f"{base}{trait.id}/"


def overrides_url(identity: Identity, override: FeatureState | None = None) -> str:
    base = f"{identities_url(identity.environment, identity)}featurestates/"
    return base if override is None else f"{base}{override.id}/"


def version(environment: Environment):
    return Environment.objects.get(pk=environment.pk).updated_at


@pytest.fixture
def feature(project, environment, admin_user):
    return feature_services.create_feature(project, {"name": "checkout"}, admin_user)


@pytest.fixture
def identity(environment) -> Identity:
    return IdentityFactory(environment=environment, identifier="alice@example.com")


@pytest.fixture
def override(identity, feature, admin_user) -> FeatureState:
    return services.create_identity_override(
        identity, feature, {"enabled": True, "feature_state_value": "gold"}, admin_user
    )


# --- Identities ----------------------------------------------------------------------------------


def test_create_identity__admin__201_with_flagsmith_fields_environment_unchanged(admin_client, environment):
    before = version(environment)

    response = admin_client.post(identities_url(environment), {"identifier": "bob"})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "identifier", "identity_uuid", "environment", "created_date", "dashboard_alias"}
    assert (body["identifier"], body["environment"], body["dashboard_alias"]) == ("bob", environment.id, None)
    assert len(body["identity_uuid"]) == 36
    assert version(environment) == before


def test_create_identity__duplicate__400_names_identifier(admin_client, identity):
    response = admin_client.post(identities_url(identity.environment), {"identifier": identity.identifier})

    assert response.status_code == 400
    assert "identifier" in response.json()
    assert Identity.objects.count() == 1


def test_create_identity__same_identifier_in_other_environment__201(admin_client, identity, project):
    other = EnvironmentFactory(project=project)

    response = admin_client.post(identities_url(other), {"identifier": identity.identifier})

    assert response.status_code == 201


@pytest.mark.parametrize("payload", [{}, {"identifier": ""}, {"identifier": "x" * 2001}, {"identifier": ["a"]}])
def test_create_identity__bad_input__400(admin_client, environment, payload):
    response = admin_client.post(identities_url(environment), payload, format="json")

    assert response.status_code == 400
    assert "identifier" in response.json()
    assert Identity.objects.count() == 0


def test_create_identity__member__403(member_client, environment):
    assert member_client.post(identities_url(environment), {"identifier": "bob"}).status_code == 403
    assert Identity.objects.count() == 0


def test_list_identities__member__paginated_by_created_date(member_client, environment):
    first, second, _third = (IdentityFactory(environment=environment) for _ in range(3))
    IdentityFactory()  # another environment

    response = member_client.get(f"{identities_url(environment)}?page_size=2")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert [item["id"] for item in body["results"]] == [first.id, second.id]
    assert body["next"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ali", ["alice", "alicia", "malice"]),
        ("ALI", ["alice", "alicia", "malice"]),
        ('"alice"', ["alice"]),
        ('"ali"', []),
    ],
)
def test_list_identities__q__substring_or_exact_when_quoted(admin_client, environment, query, expected):
    for identifier in ("alice", "alicia", "malice", "bob"):
        IdentityFactory(environment=environment, identifier=identifier)

    response = admin_client.get(identities_url(environment), {"q": query})

    assert [item["identifier"] for item in response.json()["results"]] == expected


def test_list_identities__query_count__independent_of_identity_count(
    admin_client, environment, django_assert_max_num_queries
):
    for _ in range(8):
        IdentityFactory(environment=environment)

    with django_assert_max_num_queries(6):
        response = admin_client.get(identities_url(environment))

    assert response.json()["count"] == 8


def test_retrieve_identity__member__200(member_client, identity):
    response = member_client.get(identities_url(identity.environment, identity))

    assert response.status_code == 200
    assert response.json()["identifier"] == "alice@example.com"


def test_update_identity__dashboard_alias__200(admin_client, identity):
    response = admin_client.patch(identities_url(identity.environment, identity), {"dashboard_alias": "Alice"})

    assert response.status_code == 200
    assert Identity.objects.get(pk=identity.pk).dashboard_alias == "Alice"


def test_update_identity__identifier__400_unchanged(admin_client, identity):
    response = admin_client.patch(identities_url(identity.environment, identity), {"identifier": "mallory"})

    assert response.status_code == 400
    assert "identifier" in response.json()
    assert Identity.objects.get(pk=identity.pk).identifier == "alice@example.com"


def test_delete_identity__with_override__204_and_environment_marked(admin_client, identity, override):
    before = version(identity.environment)

    response = admin_client.delete(identities_url(identity.environment, identity))

    assert response.status_code == 204
    assert not FeatureState.objects.filter(pk=override.pk).exists()
    assert version(identity.environment) > before


def test_delete_identity__without_overrides__environment_unchanged(admin_client, identity):
    before = version(identity.environment)

    assert admin_client.delete(identities_url(identity.environment, identity)).status_code == 204
    assert version(identity.environment) == before


def test_delete_identity__member__403(member_client, identity):
    assert member_client.delete(identities_url(identity.environment, identity)).status_code == 403
    assert Identity.objects.filter(pk=identity.pk).exists()


def test_identity__of_other_environment__404(admin_client, identity, project):
    other = EnvironmentFactory(project=project)

    assert admin_client.get(identities_url(other, identity)).status_code == 404
    assert admin_client.get(f"{identities_url(other, identity)}traits/").status_code == 404


def test_identities__outsider__404_anonymous__401(outsider_client, anon_client, identity):
    assert outsider_client.get(identities_url(identity.environment)).status_code == 404
    assert outsider_client.get(identities_url(identity.environment, identity)).status_code == 404
    assert anon_client.get(identities_url(identity.environment)).status_code == 401


# --- Traits --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "value_type"),
    [
        ("pro", "unicode"),
        (42, "int"),
        (2**63 - 1, "int"),
        (-(2**63), "int"),
        (1.5, "float"),
        (True, "bool"),
        (False, "bool"),
        ("", "unicode"),
    ],
)
def test_create_trait__typed_value__round_trips(admin_client, identity, value, value_type):
    response = admin_client.post(traits_url(identity), {"trait_key": "plan", "trait_value": value}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    columns = {"string_value", "integer_value", "float_value", "boolean_value"}
    assert set(body) == {"id", "trait_key", "trait_value", "value_type", "created_date", *columns}
    assert body["value_type"] == value_type
    # Flagsmith's typed columns too: the one of the type holds the value, the others are null.
    typed = {"unicode": "string_value", "int": "integer_value", "float": "float_value", "bool": "boolean_value"}
    assert {column: body[column] for column in columns} == {
        column: (value if column == typed[value_type] else None) for column in columns
    }
    assert body["trait_value"] == value and type(body["trait_value"]) is type(value)
    again = admin_client.get(traits_url(identity)).json()["results"][0]["trait_value"]
    assert again == value and type(again) is type(value)


@pytest.mark.parametrize(("value", "stored"), [({"a": 1}, "{'a': 1}"), ([1, 2], "[1, 2]")])
def test_create_trait__object_or_array__stored_as_text(admin_client, identity, value, stored):
    response = admin_client.post(traits_url(identity), {"trait_key": "blob", "trait_value": value}, format="json")

    assert response.status_code == 201
    assert (response.json()["trait_value"], response.json()["value_type"]) == (stored, "unicode")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"trait_key": "n", "trait_value": 2**63}, "trait_value"),
        ({"trait_key": "n", "trait_value": -(2**63) - 1}, "trait_value"),
        ({"trait_key": "s", "trait_value": "x" * 2001}, "trait_value"),
        ({"trait_key": "s", "trait_value": None}, "trait_value"),
        ({"trait_key": "s"}, "trait_value"),
        ({"trait_value": 1}, "trait_key"),
        ({"trait_key": "", "trait_value": 1}, "trait_key"),
        ({"trait_key": "k" * 201, "trait_value": 1}, "trait_key"),
    ],
)
def test_create_trait__bad_input__400_names_field_nothing_written(admin_client, identity, payload, field):
    response = admin_client.post(traits_url(identity), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Trait.objects.count() == 0


def test_create_trait__malformed_json__400(admin_client, identity):
    response = admin_client.post(traits_url(identity), '{"trait_key": ', content_type="application/json")

    assert response.status_code == 400
    assert Trait.objects.count() == 0


def test_create_trait__duplicate_key__400(admin_client, identity):
    TraitFactory(identity=identity, trait_key="plan")

    response = admin_client.post(traits_url(identity), {"trait_key": "plan", "trait_value": "x"}, format="json")

    assert response.status_code == 400
    assert "trait_key" in response.json()


def test_update_trait__value_changes_type(admin_client, identity):
    trait = TraitFactory(identity=identity, trait_key="age", string_value="ten")

    response = admin_client.patch(traits_url(identity, trait), {"trait_value": 10}, format="json")

    assert response.status_code == 200
    trait.refresh_from_db()
    assert (trait.value_type, trait.integer_value, trait.string_value) == ("int", 10, None)


def test_update_trait__key_to_existing_key__400(admin_client, identity):
    TraitFactory(identity=identity, trait_key="plan")
    trait = TraitFactory(identity=identity, trait_key="age")

    response = admin_client.patch(traits_url(identity, trait), {"trait_key": "plan"}, format="json")

    assert response.status_code == 400
    assert Trait.objects.get(pk=trait.pk).trait_key == "age"


def test_traits__member_reads_but_cannot_write(member_client, identity):
    trait = TraitFactory(identity=identity)

    assert member_client.get(traits_url(identity, trait)).status_code == 200
    assert member_client.post(traits_url(identity), {"trait_key": "a", "trait_value": 1}).status_code == 403
    assert member_client.delete(traits_url(identity, trait)).status_code == 403
    assert Trait.objects.count() == 1


def test_delete_trait__only_that_trait(admin_client, identity, environment):
    trait = TraitFactory(identity=identity, trait_key="plan")
    other = TraitFactory(identity=IdentityFactory(environment=environment), trait_key="plan")

    response = admin_client.delete(traits_url(identity, trait))

    assert response.status_code == 204
    assert list(Trait.objects.values_list("pk", flat=True)) == [other.pk]


def test_delete_trait__delete_all_matching__key_gone_from_environment_only(
    admin_client, identity, environment, project
):
    trait = TraitFactory(identity=identity, trait_key="plan")
    TraitFactory(identity=IdentityFactory(environment=environment), trait_key="plan")
    kept_other_key = TraitFactory(identity=identity, trait_key="age")
    kept_other_environment = TraitFactory(
        identity=IdentityFactory(environment=EnvironmentFactory(project=project)), trait_key="plan"
    )

    response = admin_client.delete(f"{traits_url(identity, trait)}?deleteAllMatchingTraits=true")

    assert response.status_code == 204
    assert set(Trait.objects.values_list("pk", flat=True)) == {kept_other_key.pk, kept_other_environment.pk}


# --- trait-keys/ and delete-traits/ --------------------------------------------------------------


def test_trait_keys__member__distinct_sorted_keys_of_environment(member_client, identity, environment):
    TraitFactory(identity=identity, trait_key="plan")
    TraitFactory(identity=identity, trait_key="age")
    TraitFactory(identity=IdentityFactory(environment=environment), trait_key="plan")
    TraitFactory(trait_key="elsewhere")

    response = member_client.get(f"/api/v1/environments/{environment.api_key}/trait-keys/")

    assert response.status_code == 200
    assert response.json() == {"keys": ["age", "plan"]}


def test_delete_traits__admin__key_gone_from_environment(admin_client, identity, environment):
    TraitFactory(identity=identity, trait_key="plan")
    TraitFactory(identity=IdentityFactory(environment=environment), trait_key="plan")
    kept = TraitFactory(identity=identity, trait_key="age")

    response = admin_client.post(f"/api/v1/environments/{environment.api_key}/delete-traits/", {"key": "plan"})

    assert response.status_code == 200
    assert response.json()["deleted"] == 2
    assert list(Trait.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.parametrize("payload", [{}, {"key": ""}, {"key": ["plan"]}])
def test_delete_traits__bad_input__400(admin_client, environment, payload):
    response = admin_client.post(f"/api/v1/environments/{environment.api_key}/delete-traits/", payload, format="json")

    assert response.status_code == 400
    assert "key" in response.json()


def test_delete_traits__member__403(member_client, identity, environment):
    TraitFactory(identity=identity, trait_key="plan")

    response = member_client.post(f"/api/v1/environments/{environment.api_key}/delete-traits/", {"key": "plan"})

    assert response.status_code == 403
    assert Trait.objects.count() == 1


# --- Identity overrides --------------------------------------------------------------------------


def test_create_override__admin__201_flagsmith_shape_and_environment_marked(admin_client, identity, feature):
    before = version(identity.environment)

    response = admin_client.post(
        overrides_url(identity), {"feature": feature.id, "enabled": True, "feature_state_value": 7}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["feature"] == feature.id
    assert (body["enabled"], body["feature_state_value"]) == (True, 7)
    assert (body["identity"], body["environment"], body["feature_segment"]) == (
        identity.id,
        identity.environment_id,
        None,
    )
    assert body["multivariate_feature_state_values"] == []
    assert {"id", "uuid", "created_at", "updated_at"} <= set(body)
    assert version(identity.environment) > before


@pytest.mark.parametrize("value", [42, True, "hello", "", None, 2**31 - 1])
def test_update_override__typed_value__round_trips(admin_client, identity, override, value):
    response = admin_client.patch(overrides_url(identity, override), {"feature_state_value": value}, format="json")

    assert response.status_code == 200, response.json()
    again = admin_client.get(overrides_url(identity, override)).json()["feature_state_value"]
    assert again == value and type(again) is type(value)


def test_update_override__environment_marked(admin_client, identity, override):
    before = version(identity.environment)

    response = admin_client.put(overrides_url(identity, override), {"enabled": False}, format="json")

    assert response.status_code == 200
    assert response.json()["enabled"] is False
    assert version(identity.environment) > before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"feature": "FEATURE", "feature_state_value": 2**31}, "feature_state_value"),
        ({"feature": "FEATURE", "feature_state_value": "x" * 20_001}, "feature_state_value"),
        ({"feature": "FEATURE", "feature_state_value": {"a": 1}}, "feature_state_value"),
        ({"feature": "FEATURE", "enabled": "perhaps"}, "enabled"),
        ({"feature": "FOREIGN"}, "feature"),
        ({"feature": 999999}, "feature"),
        ({"feature": "abc"}, "feature"),
        ({"enabled": True}, "feature"),
        (
            {"feature": "FEATURE", "multivariate_feature_state_values": [{"multivariate_feature_option": 1}]},
            "multivariate_feature_state_values",
        ),
    ],
)
def test_create_override__bad_input__400_names_field_nothing_written(
    admin_client, identity, feature, organisation, payload, field
):
    foreign = FeatureFactory(project=ProjectFactory(organisation=organisation))
    payload = {
        key: {"FEATURE": feature.id, "FOREIGN": foreign.id}.get(value, value) if isinstance(value, str) else value
        for key, value in payload.items()
    }
    before = (FeatureState.objects.count(), version(identity.environment))

    response = admin_client.post(overrides_url(identity), payload, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert (FeatureState.objects.count(), version(identity.environment)) == before


def test_create_override__duplicate__400(admin_client, identity, override, feature):
    response = admin_client.post(overrides_url(identity), {"feature": feature.id}, format="json")

    assert response.status_code == 400
    assert "feature" in response.json()
    assert FeatureState.objects.filter(identity=identity).count() == 1


def test_update_override__other_feature__400(admin_client, identity, override, project, admin_user):
    other = feature_services.create_feature(project, {"name": "other"}, admin_user)

    response = admin_client.patch(overrides_url(identity, override), {"feature": other.id}, format="json")

    assert response.status_code == 400
    assert FeatureState.objects.get(pk=override.pk).feature_id == override.feature_id


def test_list_overrides__only_this_identity(member_client, identity, override, feature, environment, admin_user):
    services.create_identity_override(IdentityFactory(environment=environment), feature, {}, admin_user)

    response = member_client.get(overrides_url(identity))

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [override.id]


def test_delete_override__admin__204_and_environment_marked(admin_client, identity, override):
    before = version(identity.environment)

    response = admin_client.delete(overrides_url(identity, override))

    assert response.status_code == 204
    assert not FeatureState.objects.filter(pk=override.pk).exists()
    assert not FeatureStateValue.objects.filter(feature_state_id=override.pk).exists()
    assert version(identity.environment) > before


def test_overrides__member_reads_but_cannot_write(member_client, identity, override, feature):
    assert member_client.get(overrides_url(identity, override)).status_code == 200
    assert member_client.patch(overrides_url(identity, override), {"enabled": False}).status_code == 403
    assert member_client.delete(overrides_url(identity, override)).status_code == 403
    assert FeatureState.objects.get(pk=override.pk).enabled is True


def test_environment_feature_states__identity_override_not_listed_nor_reachable(admin_client, identity, override):
    states_url = f"/api/v1/environments/{identity.environment.api_key}/featurestates/"

    listed = [item["id"] for item in admin_client.get(states_url).json()["results"]]

    assert override.id not in listed
    assert admin_client.get(f"{states_url}{override.id}/").status_code == 404


# --- clone-from-given-identity/ ------------------------------------------------------------------


def test_clone_overrides__replaces_target_overrides_with_copies(
    admin_client, identity, override, feature, environment, project, admin_user
):
    other_feature = feature_services.create_feature(project, {"name": "banner"}, admin_user)
    target = IdentityFactory(environment=environment)
    stale = services.create_identity_override(target, other_feature, {"enabled": True}, admin_user)
    before = version(environment)

    response = admin_client.post(
        f"{overrides_url(target)}clone-from-given-identity/", {"source_identity_id": identity.id}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(item["feature"], item["enabled"], item["feature_state_value"]) for item in body] == [
        (feature.id, True, "gold")
    ]
    assert not FeatureState.objects.filter(pk=stale.pk).exists()
    assert FeatureState.objects.filter(identity=identity).count() == 1
    assert version(environment) > before


@pytest.mark.parametrize("source", [{}, {"source_identity_id": "x"}, {"source_identity_id": 999999}, "SELF", "OTHER"])
def test_clone_overrides__bad_source__400_target_untouched(admin_client, identity, override, project, source):
    foreign = IdentityFactory(environment=EnvironmentFactory(project=project))
    source = (
        {"SELF": {"source_identity_id": identity.id}, "OTHER": {"source_identity_id": foreign.id}}.get(source, source)
        if isinstance(source, str)
        else source
    )

    response = admin_client.post(f"{overrides_url(identity)}clone-from-given-identity/", source, format="json")

    assert response.status_code == 400
    assert "source_identity_id" in response.json()
    assert list(FeatureState.objects.filter(identity=identity).values_list("pk", flat=True)) == [override.pk]


def test_clone_overrides__member__403(member_client, identity, override, environment):
    target = IdentityFactory(environment=environment)

    response = member_client.post(
        f"{overrides_url(target)}clone-from-given-identity/", {"source_identity_id": identity.id}, format="json"
    )

    assert response.status_code == 403
    assert not FeatureState.objects.filter(identity=target).exists()


# --- Django admin ----------------------------------------------------------------------------


def test_django_admin__identity_and_feature_segment_pages__200(client, identity, override, django_user_model):
    superuser = django_user_model.objects.create_superuser(email="root@example.com", password="x" * 12)
    client.force_login(superuser)
    TraitFactory(identity=identity)

    assert client.get("/admin/identities/identity/").status_code == 200
    assert client.get(f"/admin/identities/identity/{identity.id}/change/").status_code == 200
    assert client.get("/admin/features/featuresegment/").status_code == 200
