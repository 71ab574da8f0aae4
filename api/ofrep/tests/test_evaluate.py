"""OFREP: single and bulk evaluation, every error case of the spec, keys, ETag (openapi.yaml 0.3.0)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from documents.evaluation import IdentityToEvaluate, evaluate_identity
from environments.models import Environment, EnvironmentAPIKey
from identities.models import Identity, Trait
from sdk.tests import conftest as sdk_fixtures

pytestmark = pytest.mark.django_db

# The SDK suite's environment with every kind of flag: checkout (value, segment override
# for plan=pro), banner (multivariate), secret (server-key only), dormant (disabled, valued).
sdk_project = sdk_fixtures.sdk_project
checkout = sdk_fixtures.checkout
banner = sdk_fixtures.banner
secret_feature = sdk_fixtures.secret_feature
disabled_feature = sdk_fixtures.disabled_feature
pro_segment = sdk_fixtures.pro_segment
flags_environment = sdk_fixtures.flags_environment

FLAG = "/ofrep/v1/evaluate/flags/{}"
BULK = "/ofrep/v1/evaluate/flags"


def ofrep_client(**headers: str) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(**headers)
    return client


@pytest.fixture
def server(flags_environment: Environment, server_key: EnvironmentAPIKey) -> APIClient:
    return ofrep_client(HTTP_AUTHORIZATION=f"Bearer {server_key.plain_key}")


@pytest.fixture
def client_key(flags_environment: Environment) -> APIClient:
    return ofrep_client(HTTP_X_API_KEY=flags_environment.api_key)


def _post(client: APIClient, path: str, context: dict | None = None, **extra):
    body = {} if context is None else {"context": context}
    return client.post(path, body, format="json", **extra)


# --- single flag ----------------------------------------------------------------------------------


def test_flag__segment_match__typed_value_targeting_match(server):
    response = _post(server, FLAG.format("checkout"), {"targetingKey": "u1", "plan": "pro"})

    assert response.status_code == 200
    assert response.json() == {"key": "checkout", "value": "gold", "reason": "TARGETING_MATCH", "variant": "gold"}


def test_flag__no_segment_match__default_reason(server):
    body = _post(server, FLAG.format("checkout"), {"targetingKey": "u1", "plan": "free"}).json()

    assert body == {"key": "checkout", "value": "blue", "reason": "DEFAULT", "variant": "blue"}


def test_flag__multivariate__variant_key_and_engine_reason(server):
    bodies = [_post(server, FLAG.format("banner"), {"targetingKey": f"u{n}"}).json() for n in range(40)]

    # The engine's reasons: SPLIT when a variant's share took the user, STATIC for the control value.
    assert {(body["variant"], body["reason"]) for body in bodies if body["variant"] == "variant_a"} == {
        ("variant_a", "SPLIT")
    }
    assert {body["reason"] for body in bodies if body["variant"] == "control"} == {"STATIC"}
    assert all(set(body) == {"key", "value", "reason", "variant"} for body in bodies)


def test_flag__without_value__boolean_on(server):
    body = _post(server, FLAG.format("secret"), {"targetingKey": "u1"}).json()

    assert body == {"key": "secret", "value": True, "reason": "STATIC", "variant": "on"}


def test_flag__disabled_with_value__no_value_so_the_code_default(server):
    body = _post(server, FLAG.format("dormant"), {"targetingKey": "u1"}).json()

    assert body == {"key": "dormant", "reason": "DISABLED", "variant": "disabled"}


def test_flag__percentage_split_segment__split_reason(server, sdk_project, checkout, flags_environment, admin_user):
    from sdk.tests.conftest import add_override
    from segments import services as segment_services

    rules = [{"type": "ALL", "conditions": [{"operator": "PERCENTAGE_SPLIT", "property": "", "value": "100"}]}]
    everyone = segment_services.create_segment(sdk_project, {"name": "all", "rules": rules}, admin_user)
    add_override(checkout, flags_environment, segment=everyone, value="split", priority=5)

    body = _post(server, FLAG.format("checkout"), {"targetingKey": "u1"}).json()

    assert body == {"key": "checkout", "value": "split", "reason": "SPLIT", "variant": "split"}


@pytest.mark.parametrize("body", [None, {}, {"context": {}}, {"context": None}])
def test_flag__no_targeting_key__environment_flag_static(server, body):
    response = server.post(FLAG.format("checkout"), body, format="json")

    assert response.status_code == 200
    assert response.json() == {"key": "checkout", "value": "blue", "reason": "STATIC", "variant": "blue"}


def test_flag__attributes_without_targeting_key__evaluated_as_a_transient_identity(server):
    body = _post(server, FLAG.format("checkout"), {"plan": "pro"}).json()

    assert body["value"] == "gold"
    assert not Identity.objects.exists()


def test_flag__attributes_keep_their_json_types(server, sdk_project, checkout, flags_environment, admin_user):
    from sdk.tests.conftest import add_override
    from segments import services as segment_services

    rules = [{"type": "ALL", "conditions": [{"operator": "GREATER_THAN", "property": "age", "value": "30"}]}]
    older = segment_services.create_segment(sdk_project, {"name": "older", "rules": rules}, admin_user)
    add_override(checkout, flags_environment, segment=older, value="older", priority=5)

    values = [
        _post(server, FLAG.format("checkout"), {"targetingKey": "u", "age": age}).json()["value"]
        for age in (31, 30.5, 29, True)
    ]

    assert values == ["older", "older", "blue", "blue"]


def test_flag__equals_identities_endpoint_for_the_same_identity(server, flags_environment):
    from documents.store import compiled_environment

    compiled = compiled_environment(flags_environment.id, flags_environment.updated_at)
    for n in range(30):
        traits = {"plan": ["pro", "free"][n % 2], "n": n}
        expected = {
            item["feature"]["name"]: (item["enabled"], item["feature_state_value"])
            for item in evaluate_identity(compiled, IdentityToEvaluate(f"user-{n}", traits), True)
        }
        for name, (enabled, value) in expected.items():
            body = _post(server, FLAG.format(name), {"targetingKey": f"user-{n}", **traits}).json()
            got = (body["reason"] != "DISABLED", body.get("value", value) if value is not None else None)
            assert got == (enabled, value), (n, name, body)


def test_flag__nothing_stored(server):
    _post(server, FLAG.format("checkout"), {"targetingKey": "new-user", "plan": "pro"})

    assert not Identity.objects.exists()
    assert not Trait.objects.exists()


# --- errors ---------------------------------------------------------------------------------------


def test_flag__unknown__404_flag_not_found(server):
    response = _post(server, FLAG.format("nope"), {"targetingKey": "u1"})

    assert response.status_code == 404
    assert response.json()["key"] == "nope"
    assert response.json()["errorCode"] == "FLAG_NOT_FOUND"


def test_flag__server_only_with_client_key__404(client_key):
    response = _post(client_key, FLAG.format("secret"), {"targetingKey": "u1"})

    assert response.status_code == 404
    assert response.json()["errorCode"] == "FLAG_NOT_FOUND"


def test_flag__hidden_disabled_flag__404(server, flags_environment):
    flags_environment.hide_disabled_flags = True
    flags_environment.save()

    assert _post(server, FLAG.format("dormant"), {"targetingKey": "u1"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        ("{not json", "application/json", "PARSE_ERROR"),
        ("[1, 2]", "application/json", "PARSE_ERROR"),
        ('"text"', "application/json", "PARSE_ERROR"),
        ("context=x", "text/plain", "PARSE_ERROR"),
        ('{"context": "x"}', "application/json", "INVALID_CONTEXT"),
        ('{"context": []}', "application/json", "INVALID_CONTEXT"),
        ('{"context": {"targetingKey": 5}}', "application/json", "INVALID_CONTEXT"),
        ('{"context": {"targetingKey": "u", "address": {"city": "x"}}}', "application/json", "INVALID_CONTEXT"),
        ('{"context": {"targetingKey": "u", "tags": ["a"]}}', "application/json", "INVALID_CONTEXT"),
        ('{"context": {"targetingKey": "u", "bio": "' + "x" * 2001 + '"}}', "application/json", "INVALID_CONTEXT"),
        ('{"context": {"targetingKey": "' + "x" * 2001 + '"}}', "application/json", "INVALID_CONTEXT"),
        ('{"context": {"' + "k" * 201 + '": 1}}', "application/json", "INVALID_CONTEXT"),
    ],
)
def test_flag_and_bulk__bad_request__400_with_the_error_code(server, body, content_type, code):
    single = server.generic("POST", FLAG.format("checkout"), body, content_type=content_type)
    bulk = server.generic("POST", BULK, body, content_type=content_type)

    assert single.status_code == 400
    assert single.json()["key"] == "checkout"
    assert single.json()["errorCode"] == code
    assert single.json()["errorDetails"]
    assert bulk.status_code == 400
    assert set(bulk.json()) == {"errorCode", "errorDetails"}
    assert bulk.json()["errorCode"] == code


@pytest.mark.parametrize("path", [FLAG.format("checkout"), BULK])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer nope"},
        {"HTTP_X_API_KEY": "ser.nope"},
        {"HTTP_AUTHORIZATION": "Token abc"},
        {"HTTP_AUTHORIZATION": "Bearer "},
    ],
)
def test_endpoints__missing_or_unknown_key__401(flags_environment, path, headers):
    response = _post(ofrep_client(**headers), path, {"targetingKey": "u1"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    assert response.json()["errorCode"] == "GENERAL"


@pytest.mark.parametrize("path", [FLAG.format("checkout"), BULK])
def test_endpoints__organisation_stopped_serving__403(server, organisation, path):
    organisation.stop_serving_flags = True
    organisation.save()

    assert _post(server, path, {"targetingKey": "u1"}).status_code == 403


def test_endpoints__revoked_server_key__401(server, server_key, flags_environment):
    server_key.active = False
    server_key.save()

    assert _post(server, BULK, {"targetingKey": "u1"}).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        lambda env, key: {"HTTP_AUTHORIZATION": f"Bearer {key}"},
        lambda env, key: {"HTTP_X_API_KEY": key},
        lambda env, key: {"HTTP_AUTHORIZATION": f"bearer {env}"},
        lambda env, key: {"HTTP_X_API_KEY": env},
    ],
)
def test_endpoints__either_scheme_either_key__200(flags_environment, server_key, headers):
    client = ofrep_client(**headers(flags_environment.api_key, server_key.plain_key))

    assert _post(client, FLAG.format("checkout"), {"targetingKey": "u1"}).status_code == 200


# --- bulk -----------------------------------------------------------------------------------------


def test_bulk__server_key__every_flag(server):
    response = _post(server, BULK, {"targetingKey": "u1", "plan": "pro"})

    assert response.status_code == 200
    flags = {item["key"]: item for item in response.json()["flags"]}
    assert set(flags) == {"checkout", "banner", "secret", "dormant"}
    assert flags["checkout"]["value"] == "gold"
    assert response["ETag"]


def test_bulk__client_key__no_server_only_flags(client_key):
    flags = {item["key"] for item in _post(client_key, BULK, {"targetingKey": "u1"}).json()["flags"]}

    assert flags == {"checkout", "banner", "dormant"}


def test_bulk__client_key_where_client_traits_are_off__traits_ignored(client_key, flags_environment):
    flags_environment.allow_client_traits = False
    flags_environment.save()

    flags = {
        item["key"]: item for item in _post(client_key, BULK, {"targetingKey": "u1", "plan": "pro"}).json()["flags"]
    }

    assert flags["checkout"]["value"] == "blue"


def test_bulk__if_none_match_same_context__304_empty(server):
    etag = _post(server, BULK, {"targetingKey": "u1", "plan": "pro"})["ETag"]

    response = _post(server, BULK, {"targetingKey": "u1", "plan": "pro"}, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""


def test_bulk__etag_of_another_context_with_other_results__200(server):
    etag = _post(server, BULK, {"targetingKey": "u1", "plan": "pro"})["ETag"]

    response = _post(server, BULK, {"targetingKey": "u1", "plan": "free"}, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_bulk__etag_changes_when_a_flag_changes(server, checkout, flags_environment, admin_user):
    from features import services as feature_services

    etag = _post(server, BULK, {"targetingKey": "u1"})["ETag"]
    state = checkout.feature_states.get(environment=flags_environment, feature_segment=None, identity=None)
    feature_services.update_feature_state(state, {"feature_state_value": "green"}, admin_user)

    response = _post(server, BULK, {"targetingKey": "u1"}, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200


def test_bulk__warm__at_most_the_version_check(server, django_assert_max_num_queries):
    _post(server, BULK, {"targetingKey": "u1", "plan": "pro"})

    with django_assert_max_num_queries(1):
        assert _post(server, BULK, {"targetingKey": "u1", "plan": "pro"}).status_code == 200


def test_flag__identity_override__applied_without_storing(server, checkout, flags_environment, admin_user):
    from identities.services import create_identity_override
    from identities.tests.factories import IdentityFactory

    create_identity_override(
        IdentityFactory(environment=flags_environment, identifier="vip"),
        checkout,
        {"enabled": True, "feature_state_value": "vip"},
        admin_user,
    )

    body = _post(server, FLAG.format("checkout"), {"targetingKey": "vip", "plan": "pro"}).json()

    assert body == {"key": "checkout", "value": "vip", "reason": "TARGETING_MATCH", "variant": "vip"}
    assert Identity.objects.count() == 1


def test_flag__legacy_hashing_environment__stored_identity_id_used(server, flags_environment):
    flags_environment.use_identity_composite_key_for_hashing = False
    flags_environment.save()
    identity = Identity.objects.create(environment=flags_environment, identifier="legacy")

    from documents.store import compiled_environment

    flags_environment.refresh_from_db()
    compiled = compiled_environment(flags_environment.id, flags_environment.updated_at)
    expected = next(
        item
        for item in evaluate_identity(compiled, IdentityToEvaluate("legacy", {}, identity.id), True)
        if item["feature"]["name"] == "banner"
    )

    body = _post(server, FLAG.format("banner"), {"targetingKey": "legacy"}).json()

    assert body["value"] == expected["feature_state_value"]
