"""URL-path API versions: ``/api/v1/`` and ``/api/v2/`` serve, anything else is a JSON 404."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from organisations.tests.factories import MembershipFactory
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_organisation_list__allowed_version__200(member_client: APIClient, version: str) -> None:
    response = member_client.get(f"/api/{version}/organisations/")

    assert response.status_code == 200
    assert [item["name"] for item in response.json()["results"]] == ["Acme"]


@pytest.mark.parametrize("version", ["v3", "v1000", "v0"])
def test_organisation_list__unknown_version__404_json_invalid_version(member_client: APIClient, version: str) -> None:
    response = member_client.get(f"/api/{version}/organisations/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "Invalid version" in response.json()["detail"]


def test_organisation_list__unknown_version_anonymous__404_not_401(anon_client: APIClient) -> None:
    response = anon_client.get("/api/v3/organisations/")

    assert response.status_code == 404
    assert "Invalid version" in response.json()["detail"]


def test_unknown_route__unknown_version__404_json_invalid_version(member_client: APIClient) -> None:
    response = member_client.get("/api/v3/anything-unknown/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "Invalid version" in response.json()["detail"]


def test_unknown_route__allowed_version__404_json_not_found(member_client: APIClient) -> None:
    response = member_client.get("/api/v1/anything-unknown/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_unversioned_api_path__unknown__404_json_not_found(anon_client: APIClient) -> None:
    response = anon_client.get("/api/client/unknown")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_unversioned_api_path__unleash_client_features__served_not_versioned(anon_client: APIClient) -> None:
    # /api/client/ is the Unleash client API (unleash/): unversioned, asking for a token.
    response = anon_client.get("/api/client/features")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


@override_settings(DEBUG=True)
def test_unknown_route__debug_on__still_404_json(anon_client: APIClient) -> None:
    response = anon_client.get("/api/v1/anything-unknown/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_organisation_list__more_than_one_page__next_link_keeps_request_version(
    member_user: User, member_client: APIClient, version: str
) -> None:
    MembershipFactory.create_batch(10, user=member_user)  # 11 with Acme

    first = member_client.get(f"/api/{version}/organisations/", {"page_size": 10})
    second = member_client.get(first.json()["next"])

    assert first.json()["count"] == 11
    assert len(first.json()["results"]) == 10
    assert f"/api/{version}/organisations/" in first.json()["next"]
    assert second.status_code == 200
    assert len(second.json()["results"]) == 1
    assert f"/api/{version}/organisations/" in second.json()["previous"]


def test_unknown_route__post_with_csrf_checks__404_json_not_a_csrf_page(db) -> None:
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/api/v1/anything-unknown/", {}, content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
