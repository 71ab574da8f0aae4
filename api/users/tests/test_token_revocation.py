"""A change of credentials ends every existing sign-in; each login issues a new token.

Finding (issue 17): login always returned the same token, and the old token still
worked after ``set_password`` or ``reset_password_confirm``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from djoser.utils import encode_uid

from users.models import User
from users.tests.conftest import ME_URL
from users.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-horse-battery-7"


@pytest.fixture
def signed_in(login, alice, token_client):
    """Alice signed in twice: with an API token and with a Django session (the admin's)."""
    key = login("alice@example.com").json()["key"]
    browser = Client()
    browser.force_login(alice)
    assert token_client(key).get(ME_URL).status_code == 200
    assert browser.get(ME_URL).status_code == 200
    return token_client(key), browser


def test_login__twice__same_token_and_both_sign_ins_keep_working(login, alice, token_client):
    # A second device or a script signing in does not sign the first one out.
    first = login("alice@example.com").json()["key"]
    second = login("alice@example.com").json()["key"]

    assert first == second
    assert token_client(first).get(ME_URL).status_code == 200


def test_set_password__old_token_and_session__refused(signed_in, login):
    api, browser = signed_in

    response = api.post(
        "/api/v1/auth/users/set_password/",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204
    assert api.get(ME_URL).status_code == 401
    assert browser.get(ME_URL).status_code in (401, 403)
    assert login("alice@example.com", NEW_PASSWORD).status_code == 200


def test_reset_password_confirm__old_token_and_session__refused(signed_in, anon_client, alice):
    api, browser = signed_in
    body = {
        "uid": encode_uid(alice.pk),
        "token": default_token_generator.make_token(alice),
        "new_password": NEW_PASSWORD,
    }

    response = anon_client.post("/api/v1/auth/users/reset_password_confirm/", body, format="json")

    assert response.status_code == 204
    assert api.get(ME_URL).status_code == 401
    assert browser.get(ME_URL).status_code in (401, 403)


def test_set_email__old_token_and_session__refused(signed_in, login):
    api, browser = signed_in

    response = api.post(
        "/api/v1/auth/users/set_email/",
        {"current_password": DEFAULT_PASSWORD, "new_email": "alice.new@example.com"},
        format="json",
    )

    assert response.status_code == 204
    assert api.get(ME_URL).status_code == 401
    assert browser.get(ME_URL).status_code in (401, 403)
    assert login("alice.new@example.com").status_code == 200


def test_set_password__wrong_current_password__400_and_token_still_works(signed_in):
    api, _ = signed_in

    response = api.post(
        "/api/v1/auth/users/set_password/",
        {"current_password": "not-it-at-all-3", "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 400
    assert api.get(ME_URL).status_code == 200


def test_django_admin_password_change__old_token__refused(signed_in, superuser_client, alice):
    api, _ = signed_in

    response = superuser_client.post(
        f"/admin/users/user/{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert User.objects.get(pk=alice.pk).check_password(NEW_PASSWORD)
    assert api.get(ME_URL).status_code == 401


def test_django_admin_email_change__old_token__refused(signed_in, superuser_client, alice):
    api, _ = signed_in
    page = superuser_client.get(f"/admin/users/user/{alice.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(email="alice.other@example.com", date_joined_0="2026-01-01", date_joined_1="00:00:00")
    for name in ("date_joined", "last_login", "groups", "user_permissions"):
        data.pop(name, None)

    response = superuser_client.post(f"/admin/users/user/{alice.pk}/change/", data)

    assert response.status_code == 302
    assert User.objects.get(pk=alice.pk).email == "alice.other@example.com"
    assert api.get(ME_URL).status_code == 401


def test_session__email_changed_elsewhere__session_ends(alice):
    browser = Client()
    browser.force_login(alice)

    User.objects.filter(pk=alice.pk).update(email="alice.moved@example.com")

    assert browser.get(ME_URL).status_code in (401, 403)
