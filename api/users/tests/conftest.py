"""Fixtures for the account tests: people who can sign in, and ways to sign them in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from rest_framework.test import APIClient

from users.models import User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

LOGIN_URL = "/api/v1/auth/login/"
ME_URL = "/api/v1/auth/users/me/"
ADMIN_LOGIN_URL = "/admin/login/"


@pytest.fixture
def alice(db) -> User:
    return UserFactory(email="alice@example.com")


@pytest.fixture
def bob(db) -> User:
    return UserFactory(email="bob@example.com")


@pytest.fixture
def superuser(db) -> User:
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def login(anon_client: APIClient) -> Callable[..., object]:
    """POST the API login form; returns the response."""

    def _login(email: str, password: str = DEFAULT_PASSWORD):
        return anon_client.post(LOGIN_URL, {"email": email, "password": password}, format="json")

    return _login


@pytest.fixture
def admin_login() -> Callable[..., object]:
    """POST the Django admin login form, as a browser does (``username`` holds the email)."""

    def _admin_login(email: str, password: str = DEFAULT_PASSWORD):
        return Client().post(ADMIN_LOGIN_URL, {"username": email, "password": password, "next": "/admin/"})

    return _admin_login


@pytest.fixture
def token_client() -> Callable[[str], APIClient]:
    """An API client that sends ``Authorization: Token <key>``, as the dashboard does."""

    def _token_client(key: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return _token_client


@pytest.fixture
def superuser_client(superuser: User) -> Client:
    """A browser signed in to the Django admin as a superuser."""
    client = Client()
    client.force_login(superuser)
    return client
