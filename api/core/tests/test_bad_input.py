"""Bad input is a 400 with a JSON body, never a 500: deep nesting, NUL characters, an email case clash."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from identities.models import Identity, Trait
from identities.tests.factories import IdentityFactory
from users.models import User

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_login__json_nested_deep__400_json(anon_client, depth) -> None:
    body = "[" * depth + "]" * depth
    response = anon_client.post("/api/v1/auth/login/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_sdk_and_admin_endpoints__json_nested_deep__400(admin_client, environment, project) -> None:
    sdk = APIClient()
    sdk.credentials(HTTP_X_ENVIRONMENT_KEY=environment.api_key)
    for client, path in [
        (sdk, "/api/v1/identities/"),
        (sdk, "/api/v1/analytics/flags/"),
        (admin_client, f"/api/v1/projects/{project.id}/features/"),
        (admin_client, "/api/v1/organisations/"),
    ]:
        response = client.post(path, DEEP, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
        assert response.json()["detail"].startswith("JSON parse error")


@pytest.fixture
def sdk(environment) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_ENVIRONMENT_KEY=environment.api_key)
    return client


def test_identities__nul_in_identifier_query__400_json(sdk) -> None:
    response = sdk.get("/api/v1/identities/?identifier=a%00b")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert not Identity.objects.exists()


def test_older_sdk_path__nul_in_identifier_path__400(sdk) -> None:
    response = sdk.get("/api/v1/identities/a%00b/")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize("value", ["a\x00b", "\x00"])
def test_sdk_trait_writes__nul_in_trait_value__400_nothing_stored(sdk, value) -> None:
    for method, path, body in [
        ("post", "/api/v1/identities/", {"identifier": "u", "traits": [{"trait_key": "k", "trait_value": value}]}),
        ("post", "/api/v1/traits/", {"identity": {"identifier": "u"}, "trait_key": "k", "trait_value": value}),
        ("put", "/api/v1/traits/bulk/", [{"identity": {"identifier": "u"}, "trait_key": "k", "trait_value": value}]),
    ]:
        response = getattr(sdk, method)(path, json.dumps(body), content_type="application/json")
        assert response.status_code == 400, (path, response.content)
        assert "NUL" in json.dumps(response.json()) or "null" in json.dumps(response.json()).lower()
    assert not Trait.objects.exists()


def test_identifier__nul_in_body__400(sdk) -> None:
    response = sdk.post("/api/v1/identities/", {"identifier": "a\x00b"}, format="json")
    assert response.status_code == 400
    assert not Identity.objects.exists()


def test_admin_traits__nul_in_value__400(admin_client, environment) -> None:
    identity = IdentityFactory(environment=environment, identifier="admin-u")
    path = f"/api/v1/environments/{environment.api_key}/identities/{identity.id}/traits/"
    response = admin_client.post(path, {"trait_key": "k", "trait_value": "x\x00"}, format="json")
    assert response.status_code == 400, response.content
    assert "NUL" in json.dumps(response.json())
    assert not Trait.objects.exists()


def test_set_email__another_users_address_in_other_case__400(admin_client, admin_user, outsider_user) -> None:
    admin_user.set_password("current-pass-123")
    admin_user.save()
    response = admin_client.post(
        "/api/v1/auth/users/set_email/",
        {"new_email": outsider_user.email.upper(), "current_password": "current-pass-123"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "already exists" in json.dumps(response.json())
    assert User.objects.get(pk=admin_user.pk).email == admin_user.email


def test_set_email__free_address_any_case__stored_lowercase(admin_client, admin_user) -> None:
    admin_user.set_password("current-pass-123")
    admin_user.save()
    response = admin_client.post(
        "/api/v1/auth/users/set_email/",
        {"new_email": "New.Address@Example.COM", "current_password": "current-pass-123"},
        format="json",
    )
    assert response.status_code == 204, response.content
    assert User.objects.get(pk=admin_user.pk).email == "new.address@example.com"


@pytest.mark.parametrize("uid", [5, True, {}, [], None, "\x00", "AAAA"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/users/activation/",
        "/api/v1/auth/users/reset_password_confirm/",
        "/api/v1/auth/users/reset_email_confirm/",
    ],
)
def test_account_links__uid_not_text__400(anon_client, path, uid) -> None:
    """Found by schemathesis: djoser read ``uid`` from the raw body, and a number was a 500."""
    body = {"uid": uid, "token": "x", "new_password": "a-long-password-1!", "new_email": "a@example.com"}
    response = anon_client.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()


@pytest.mark.parametrize("traits", [[None], [None, None], [{"trait_key": "a", "trait_value": 1}, None]])
def test_identify__null_trait_items__400(sdk, traits) -> None:
    """Found by schemathesis: ``traits: [null, null]`` was a 500."""
    response = sdk.post("/api/v1/identities/", {"identifier": "u", "traits": traits}, format="json")
    assert response.status_code == 400, response.content
    assert "traits" in response.json()
    assert not Identity.objects.exists()


def test_reset_email__known_address__204_and_link_mailed(anon_client, admin_user, mailoutbox) -> None:
    """Found by schemathesis: djoser had no confirm URL to mail, and answered 500."""
    response = anon_client.post("/api/v1/auth/users/reset_email/", {"email": admin_user.email}, format="json")
    assert response.status_code == 204, response.content
    (message,) = mailoutbox
    assert "email-reset/confirm/" in message.body


@pytest.mark.parametrize(
    "query",
    ["until=0304-02-19T12:35:14%2B20:49", "since=2026-01-01T00:00:00-23:59", "until=0001-01-01T00:00:00%2B05:00"],
)
def test_audit_log__time_with_offset_postgres_refuses__answered(admin_client, organisation, query) -> None:
    """Found by schemathesis: an ISO 8601 offset past 15:59 was a 500 on PostgreSQL."""
    response = admin_client.get(f"/api/v1/organisations/{organisation.id}/audit/?{query}")
    assert response.status_code == 200, response.content
