"""The Unleash Frontend API (``/api/frontend``): Unleash's shapes, Banderole's evaluation.

Shapes and status codes follow Unleash's frontend API controller and schemas
(``frontendApiFeaturesSchema``; 401/403 as its token middleware answers); every
result must equal ``POST /api/v1/identities/`` for the same identifier and traits.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from analytics.models import FeatureEvaluationBucket
from environments.models import Environment
from environments.services import mark_environments_changed
from features import services as feature_services
from features.models import FeatureStateValue, MultivariateFeatureStateValue
from identities.models import Identity, Trait
from sdk.tests.conftest import add_override, sdk_client
from unleash import frontend
from unleash.authentication import MISSING_TOKEN, WRONG_TOKEN_TYPE
from unleash.serializers import MAX_COUNT
from unleash.tests.conftest import unleash_client

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/frontend", None),
    ("post", "/api/frontend", {"context": {}}),
    ("get", "/api/frontend/features/checkout", None),
    ("post", "/api/frontend/client/metrics", {"appName": "web"}),
    ("post", "/api/frontend/client/register", {"appName": "web", "interval": 1, "started": 0, "strategies": []}),
]
REGISTER = {
    "appName": "web",
    "instanceId": "browser-1",
    "sdkVersion": "unleash-js-sdk:3.8.2",
    "environment": "default",
    "interval": 30000,
    "started": "2026-01-01T00:00:00.000Z",
    "strategies": ["default"],
}


@pytest.fixture(autouse=True)
def _cold_variant_lookups():
    frontend.forget()
    yield
    frontend.forget()


@pytest.fixture
def browser(flags_environment: Environment) -> APIClient:
    """What unleash-proxy-client sends: the client key, raw, in ``Authorization``."""
    return unleash_client(flags_environment.api_key, spec=None)


def _toggles(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {toggle["name"]: toggle for toggle in response.json()["toggles"]}


def _identities(environment: Environment, identifier: str | None, traits: dict[str, str]) -> dict[str, dict]:
    body = {"transient": True, "traits": [{"trait_key": k, "trait_value": v} for k, v in traits.items()]}
    if identifier is not None:
        body["identifier"] = identifier
    response = sdk_client(environment.api_key).post("/api/v1/identities/", body, format="json")
    assert response.status_code == 200, response.content
    return {flag["feature"]["name"]: flag for flag in response.json()["flags"]}


# --- authentication -------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize("token", [None, "", "null", "unknown-key", "*:production.unknown"])
def test_frontend__missing_or_unknown_token__401_json(flags_environment, method, path, body, token):
    response = getattr(unleash_client(token, spec=None), method)(path, body, format="json")

    assert response.status_code == 401
    assert response.json() == {"message": MISSING_TOKEN}


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_frontend__server_side_key__403_wrong_token_type(flags_environment, server_key, method, path, body):
    response = getattr(unleash_client(server_key.plain_key, spec=None), method)(path, body, format="json")

    assert response.status_code == 403
    assert response.json() == {"message": WRONG_TOKEN_TYPE}


def test_client_api__client_key_in_unleash_token_form__still_403(flags_environment):
    response = unleash_client(f"*:production.{flags_environment.api_key}").get("/api/client/features")

    assert response.status_code == 403


@pytest.mark.parametrize("form", ["{key}", "Bearer {key}", "*:production.{key}", "12:development.{key}"])
def test_frontend__client_key_raw_bearer_or_in_unleash_token_form__200(flags_environment, form):
    response = unleash_client(form.format(key=flags_environment.api_key), spec=None).get("/api/frontend")

    assert response.status_code == 200


# --- the toggles ----------------------------------------------------------------------------------


def test_frontend__no_context__enabled_toggles_only_in_unleash_shape(browser):
    response = browser.get("/api/frontend")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    toggles = _toggles(response)
    # dormant is disabled, secret is for server-side keys only.
    assert list(toggles) == ["checkout", "banner"]
    assert toggles["checkout"] == {
        "name": "checkout",
        "enabled": True,
        "variant": {
            "name": "value",
            "enabled": True,
            "feature_enabled": True,
            "payload": {"type": "string", "value": "blue"},
        },
        "impressionData": False,
    }


def test_frontend__user_id_and_properties__segment_override_applies(browser):
    response = browser.get("/api/frontend", {"userId": "u-1", "properties[plan]": "pro"})

    assert _toggles(response)["checkout"]["variant"]["payload"] == {"type": "string", "value": "gold"}


def test_frontend__get_and_post__same_toggles(browser):
    got = browser.get("/api/frontend", {"userId": "u-2", "properties[plan]": "pro", "appName": "web"})
    posted = browser.post(
        "/api/frontend", {"context": {"userId": "u-2", "appName": "web", "properties": {"plan": "pro"}}}, format="json"
    )

    assert _toggles(got) == _toggles(posted)
    assert got["ETag"] == posted["ETag"]


def test_frontend__unknown_top_level_fields__are_properties_as_in_unleash(browser):
    response = browser.get("/api/frontend", {"userId": "u-3", "plan": "pro"})

    assert _toggles(response)["checkout"]["variant"]["payload"]["value"] == "gold"


def test_frontend__property_numbers_and_booleans__coerced_to_text(flags_environment, browser):
    posted = browser.post(
        "/api/frontend", {"context": {"userId": "u-4", "properties": {"age": 30, "beta": True}}}, format="json"
    )
    as_text = browser.get("/api/frontend", {"userId": "u-4", "properties[age]": "30", "properties[beta]": "true"})

    assert _toggles(posted) == _toggles(as_text)


def test_frontend__many_identities__equal_identities_endpoint(flags_environment, browser):
    mismatches = []
    for n in range(30):
        traits = {"plan": ["pro", "free"][n % 2]}
        identifier = f"visitor-{n}"
        toggles = _toggles(browser.get("/api/frontend", {"userId": identifier, "properties[plan]": traits["plan"]}))
        flags = _identities(flags_environment, identifier, traits)
        expected = {name for name, flag in flags.items() if flag["enabled"]}
        if set(toggles) != expected:
            mismatches.append((identifier, set(toggles), expected))
        for name in expected:
            payload = toggles[name]["variant"].get("payload")
            value = flags[name]["feature_state_value"]
            if (payload and payload["value"]) != (None if value is None else str(value)):
                mismatches.append((identifier, name, payload, value))

    assert not mismatches


def test_frontend__variant_names__as_the_client_api_translation_names_them(
    flags_environment, browser, banner, server_key
):
    keyless = MultivariateFeatureStateValue.objects.get(
        feature_state__feature=banner, feature_state__feature_segment=None, multivariate_feature_option__key=None
    )
    names: dict[str, set] = {}
    for n in range(40):
        variant = _toggles(browser.get("/api/frontend", {"userId": f"mv-{n}"}))["banner"]["variant"]
        names.setdefault(variant["name"], set()).add(variant["payload"]["value"])
        flag = _identities(flags_environment, f"mv-{n}", {})["banner"]
        assert variant["payload"]["value"] == flag["feature_state_value"]

    # The keyed option by its key, the keyless one by its share's id, the rest is control.
    assert names == {"variant_a": {"a"}, f"variant-{keyless.id}": {"b"}, "control": {"control"}}
    served = unleash_client(server_key.plain_key).get("/api/client/features/banner").json()
    assert {variant["name"] for variant in served["strategies"][0]["variants"]} == set(names)


def test_frontend__identity_override__applies_to_its_user_id(flags_environment, browser, checkout):
    identity = Identity.objects.create(environment=flags_environment, identifier="vip")
    add_override(checkout, flags_environment, identity=identity, value="platinum")

    vip = _toggles(browser.get("/api/frontend", {"userId": "vip"}))
    by_session = _toggles(browser.get("/api/frontend", {"sessionId": "vip"}))

    assert vip["checkout"]["variant"]["payload"]["value"] == "platinum"
    # A session id names a transient visitor, never a stored identity.
    assert by_session["checkout"]["variant"]["payload"]["value"] == "blue"


def test_frontend__session_id_without_user_id__the_identifier(flags_environment, browser):
    for n in range(20):
        toggles = _toggles(browser.get("/api/frontend", {"sessionId": f"s-{n}"}))
        flags = _identities(flags_environment, f"s-{n}", {})
        assert toggles["banner"]["variant"]["payload"]["value"] == flags["banner"]["feature_state_value"]


def test_frontend__neither_user_nor_session__identity_named_after_its_traits(flags_environment, browser):
    traits = {"plan": "pro", "country": "GB"}
    toggles = _toggles(browser.post("/api/frontend", {"context": {"properties": traits}}, format="json"))
    flags = _identities(flags_environment, None, traits)

    assert toggles["banner"]["variant"]["payload"]["value"] == flags["banner"]["feature_state_value"]
    assert toggles["checkout"]["variant"]["payload"]["value"] == "gold"


def test_frontend__enabled_flag_without_value__disabled_variant_of_an_enabled_feature(
    flags_environment, browser, sdk_project, admin_user
):
    feature_services.create_feature(sdk_project, {"name": "plain", "default_enabled": True}, admin_user)

    toggle = _toggles(browser.get("/api/frontend"))["plain"]

    assert toggle["variant"] == {"name": "disabled", "enabled": False, "feature_enabled": True}


def test_frontend__nothing_stored_for_users_or_traits(flags_environment, browser):
    browser.get("/api/frontend", {"userId": "new-user", "properties[plan]": "pro"})
    browser.post("/api/frontend", {"context": {"userId": "other", "properties": {"plan": "pro"}}}, format="json")

    assert not Identity.objects.exists()
    assert not Trait.objects.exists()


def test_frontend__query_budget__only_the_version_check_once_compiled(browser, django_assert_num_queries):
    browser.get("/api/frontend")

    with django_assert_num_queries(1):
        response = browser.get("/api/frontend", {"userId": "u", "properties[plan]": "pro"})

    assert response.status_code == 200


# --- ETag and 304 ---------------------------------------------------------------------------------


def test_frontend__if_none_match__empty_304_until_the_result_changes(browser):
    first = browser.get("/api/frontend", {"userId": "e-1"})
    etag = first["ETag"]

    again = browser.get("/api/frontend", {"userId": "e-1"}, HTTP_IF_NONE_MATCH=etag)
    other_context = browser.get("/api/frontend", {"userId": "e-1", "properties[plan]": "pro"}, HTTP_IF_NONE_MATCH=etag)
    posted = browser.post("/api/frontend", {"context": {"userId": "e-1"}}, format="json", HTTP_IF_NONE_MATCH=etag)

    assert first["Cache-Control"] == "private, no-cache"
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert other_context.status_code == 200 and other_context["ETag"] != etag
    assert posted.status_code == 304


def test_frontend__flag_changed__new_etag(flags_environment, browser, checkout):
    etag = browser.get("/api/frontend")["ETag"]
    FeatureStateValue.objects.filter(
        feature_state__feature=checkout, feature_state__feature_segment=None, feature_state__identity=None
    ).update(string_value="red")
    mark_environments_changed(environment_ids=[flags_environment.id])

    response = browser.get("/api/frontend", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert _toggles(response)["checkout"]["variant"]["payload"]["value"] == "red"


# --- malformed contexts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"context": "user-1"}, "/body/context"),
        ({"context": {"properties": ["pro"]}}, "/body/context/properties"),
        ({"context": {"properties": {"plan": {"tier": "pro"}}}}, "/body/context/properties/plan"),
        ({"context": {"userId": {"id": 1}}}, "/body/context/userId"),
        ({"context": {"currentTime": "yesterday"}}, "/body/context/currentTime"),
        ({"context": {"userId": "x" * 2001}}, "/body/context/userId"),
        ({"context": {"properties": {"k" * 201: "v"}}}, "/body/context/properties"),
        (["not", "an", "object"], "/body"),
    ],
)
def test_frontend__malformed_context__unleash_400_and_nothing_stored(browser, body, path):
    response = browser.post("/api/frontend", body, format="json")

    assert response.status_code == 400
    content = response.json()
    assert content["name"] == "BadDataError"
    assert content["details"][0]["path"] == path
    assert content["message"] == content["details"][0]["message"]
    assert not Identity.objects.exists()


def test_frontend__repeated_query_parameter__400(browser):
    response = browser.get("/api/frontend?userId=a&userId=b")

    assert response.status_code == 400
    assert response.json()["details"][0]["path"] == "/query/userId"


def test_frontend__body_not_json__400(flags_environment):
    response = Client().post(
        "/api/frontend", "{nope", content_type="application/json", HTTP_AUTHORIZATION=flags_environment.api_key
    )

    assert response.status_code == 400
    assert response.json()["name"] == "BadDataError"


def test_frontend__other_method__405_json(browser):
    response = browser.put("/api/frontend", {}, format="json")

    assert response.status_code == 405
    assert response.json()["name"] == "MethodNotAllowed"


# --- one feature ----------------------------------------------------------------------------------


def test_frontend_feature__enabled__the_toggle(browser):
    response = browser.get("/api/frontend/features/checkout", {"properties[plan]": "pro", "userId": "f"})

    assert response.status_code == 200
    assert response.json()["variant"]["payload"]["value"] == "gold"
    assert "ETag" in response


def test_frontend_feature__disabled__served_disabled(browser):
    response = browser.post("/api/frontend/features/dormant", {"context": {"userId": "f"}}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "name": "dormant",
        "enabled": False,
        "variant": {"name": "disabled", "enabled": False, "feature_enabled": False},
        "impressionData": False,
    }


@pytest.mark.parametrize("name", ["nope", "secret"])
def test_frontend_feature__unknown_or_server_key_only__404_not_found(browser, name):
    response = browser.get(f"/api/frontend/features/{name}")

    assert response.status_code == 404
    assert response.json() == {"name": "NotFoundError", "message": f"Could not find feature flag {name}"}


# --- metrics and registration ---------------------------------------------------------------------


def _metrics(toggles: dict) -> dict:
    return {
        "appName": "web",
        "instanceId": "browser-1",
        "bucket": {"start": "2026-01-01T00:00:00Z", "stop": "2026-01-01T00:01:00Z", "toggles": toggles},
    }


def test_frontend_metrics__counts__200_ok_and_recorded(flags_environment, browser):
    toggles = {"checkout": {"yes": 3, "no": 1, "variants": {"value": 3}}, "unknown": {"yes": 5, "no": 0}}

    response = browser.post("/api/frontend/client/metrics", _metrics(toggles), format="json")

    assert response.status_code == 200
    assert response.content == b"OK"
    recorded = {
        (bucket.feature_name, bucket.enabled_when_evaluated): bucket.count
        for bucket in FeatureEvaluationBucket.objects.filter(environment=flags_environment)
    }
    assert recorded == {("checkout", True): 3, ("checkout", False): 1}


@pytest.mark.parametrize("counts", [{"yes": MAX_COUNT + 1}, {"no": 10**30}, {"yes": -1}, {"variants": {"a": "x"}}])
def test_frontend_metrics__count_out_of_range__400_nothing_recorded(browser, counts):
    response = browser.post("/api/frontend/client/metrics", _metrics({"checkout": counts}), format="json")

    assert response.status_code == 400
    assert response.json()["name"] == "BadDataError"
    assert not FeatureEvaluationBucket.objects.exists()


def test_frontend_register__sdk_body__200_ok(browser):
    response = browser.post("/api/frontend/client/register", REGISTER, format="json")

    assert response.status_code == 200
    assert response.content == b"OK"


def test_frontend_register__empty__400_naming_each_required_field(browser):
    response = browser.post("/api/frontend/client/register", {}, format="json")

    assert response.status_code == 400
    assert {item["path"] for item in response.json()["details"]} == {
        "/body/appName",
        "/body/interval",
        "/body/started",
        "/body/strategies",
    }


# --- CORS -----------------------------------------------------------------------------------------


@override_settings(CORS_ALLOW_ALL_ORIGINS=False, CORS_ALLOWED_ORIGINS=["https://flags.example.com"])
def test_frontend__preflight_from_any_origin__allows_the_proxy_client_headers(db):
    response = Client().options(
        "/api/frontend",
        HTTP_ORIGIN="https://shop.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,unleash-sdk,unleash-appname,unleash-connection-id,if-none-match",
    )

    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    allowed = set(response["Access-Control-Allow-Headers"].split(", "))
    assert {"authorization", "unleash-sdk", "unleash-appname", "unleash-connection-id", "if-none-match"} <= allowed


def test_frontend__cross_origin_response__exposes_etag(browser):
    response = browser.get("/api/frontend", HTTP_ORIGIN="https://shop.example.com")

    assert response["Access-Control-Allow-Origin"] in ("*", "https://shop.example.com")
    assert "ETag" in response["Access-Control-Expose-Headers"]
