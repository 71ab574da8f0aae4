"""The SDK suite's environment (every kind of flag) and Unleash clients for it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from environments.models import Environment, EnvironmentAPIKey
from sdk.tests import conftest as sdk_fixtures
from unleash.services import forget_translations

# The SDK suite's environment with every kind of flag, shared rather than rebuilt.
sdk_project = sdk_fixtures.sdk_project
checkout = sdk_fixtures.checkout
banner = sdk_fixtures.banner
secret_feature = sdk_fixtures.secret_feature
disabled_feature = sdk_fixtures.disabled_feature
pro_segment = sdk_fixtures.pro_segment
flags_environment = sdk_fixtures.flags_environment


@pytest.fixture(autouse=True)
def _fresh_translations():
    forget_translations()
    yield
    forget_translations()


def unleash_client(token: str | None, *, spec: str | None = "6.1.0") -> APIClient:
    """An API client sending what the Python Unleash SDK sends: the raw token and its client spec."""
    client = APIClient()
    headers = {}
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = token
    if spec is not None:
        headers["HTTP_UNLEASH_CLIENT_SPEC"] = spec
    client.credentials(**headers)
    return client


@pytest.fixture
def unleash(flags_environment: Environment, server_key: EnvironmentAPIKey) -> APIClient:
    return unleash_client(server_key.plain_key)


@pytest.fixture
def unleash_inline(flags_environment: Environment, server_key: EnvironmentAPIKey) -> APIClient:
    """An SDK older than client spec 4.2.0: segment constraints inlined."""
    return unleash_client(server_key.plain_key, spec=None)
