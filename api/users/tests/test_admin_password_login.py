"""``ENABLE_ADMIN_ACCESS_USER_PASS``: password login to the Django admin, on by default."""

from __future__ import annotations

import pytest
from django.test import Client

from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def root(db):
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


def _post_login(client: Client, email: str, password: str = DEFAULT_PASSWORD):
    client.get(LOGIN)  # the CSRF cookie, as a browser gets it
    return client.post(
        LOGIN,
        {"username": email, "password": password, "next": "/admin/"},
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value if "csrftoken" in client.cookies else "",
    )


def test_admin_login__default__superuser_logs_in_with_password(root) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.get(LOGIN).status_code == 200

    response = _post_login(client, root.email)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.session.get("_auth_user_id") == str(root.pk)


def test_admin_login__disabled__form_refused_and_correct_password_does_not_log_in(settings, root) -> None:
    settings.ENABLE_ADMIN_ACCESS_USER_PASS = False
    client = Client()

    form = client.get(LOGIN)
    assert form.status_code == 403
    assert b"Password login to the admin is disabled" in form.content
    assert b'type="password"' not in form.content

    response = client.post(LOGIN, {"username": root.email, "password": DEFAULT_PASSWORD, "next": "/admin/"})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    index = client.get("/admin/")
    assert index.status_code == 302
    assert index["Location"].startswith("/admin/login/")


def test_admin_login__disabled__api_password_login_unaffected(settings, root) -> None:
    settings.ENABLE_ADMIN_ACCESS_USER_PASS = False
    response = Client().post(
        "/api/v1/auth/login/", {"email": root.email, "password": DEFAULT_PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["key"]
