"""``GET /ofrep/v1/configuration``: OFREP's ``configurationResponse``, behind the same keys as evaluation."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from environments.models import Environment

pytestmark = pytest.mark.django_db

URL = "/ofrep/v1/configuration"


@pytest.fixture
def provider(environment: Environment) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=environment.api_key)
    return client


def test_configuration__client_key__name_polling_and_types(provider):
    response = provider.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "name": "Banderole",
        "capabilities": {
            "cacheInvalidation": {"polling": {"enabled": True, "minPollingIntervalMs": 1000}},
            "flagEvaluation": {"supportedTypes": ["boolean", "string", "int"]},
        },
    }


@override_settings(OFREP_MIN_POLLING_INTERVAL_MS=30000)
def test_configuration__minimum_poll_configured__served(provider):
    polling = provider.get(URL).json()["capabilities"]["cacheInvalidation"]["polling"]

    assert polling["minPollingIntervalMs"] == 30000


def test_configuration__if_none_match__empty_304(provider):
    etag = provider.get(URL)["ETag"]

    response = provider.get(URL, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.parametrize("headers", [{}, {"HTTP_X_API_KEY": "unknown"}, {"HTTP_AUTHORIZATION": "Bearer ser.nope"}])
def test_configuration__missing_or_unknown_key__401(environment, headers):
    client = APIClient()
    client.credentials(**headers)

    response = client.get(URL)

    assert response.status_code == 401
    assert response.json()["errorCode"] == "GENERAL"


def test_configuration__post__405(provider):
    assert provider.post(URL, {}, format="json").status_code == 405
