"""Signing in and out through the API and the Django admin, and django-axes lockout."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle

from users.tests.conftest import LOGIN_URL, ME_URL
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = "not-the-password-1"


@pytest.fixture
def failure_limit(settings) -> int:
    settings.AXES_FAILURE_LIMIT = 3
    return 3


# --- API login -------------------------------------------------------------------------------------------------------


def test_login__right_credentials__200_with_token_key(login, alice):
    response = login("alice@example.com")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"key"}
    assert len(body["key"]) == 40
    assert Token.objects.get(user=alice).key == body["key"]


def test_login__returned_token__authenticates_current_user(login, alice, token_client):
    key = login("alice@example.com").json()["key"]

    response = token_client(key).get(ME_URL)

    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.com"


def test_login__email_in_other_case__200(login, alice):
    response = login("  ALICE@Example.COM ")

    assert response.status_code == 200
    assert response.json()["key"] == Token.objects.get(user=alice).key


def test_login__success__records_last_login(login, alice):
    assert alice.last_login is None

    login("alice@example.com")

    alice.refresh_from_db()
    assert alice.last_login is not None


def test_login__wrong_password__400_non_field_errors(login, alice):
    response = login("alice@example.com", WRONG_PASSWORD)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert not Token.objects.filter(user=alice).exists()


def test_login__unknown_email__400_same_answer_as_wrong_password(login, alice):
    response = login("nobody@example.com")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_login__inactive_user__400(login, alice):
    alice.is_active = False
    alice.save()

    response = login("alice@example.com")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


@pytest.mark.parametrize(
    ("payload", "missing"),
    [
        ({"password": DEFAULT_PASSWORD}, {"email"}),
        ({"email": "alice@example.com"}, {"password"}),
        ({}, {"email", "password"}),
    ],
    ids=["no-email", "no-password", "empty"],
)
def test_login__missing_field__400_names_field(anon_client, alice, payload, missing):
    response = anon_client.post(LOGIN_URL, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == missing
    for field in missing:
        assert body[field] == ["This field is required."]


def test_login__email_not_an_email__400_names_email(login, alice):
    response = login("alice")

    assert response.status_code == 400
    assert set(response.json()) == {"email"}


def test_login__malformed_json__400_json(anon_client, alice):
    response = anon_client.post(LOGIN_URL, '{"email": "alice@example.com", ', content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "JSON parse error" in response.json()["detail"]


def test_login__form_encoded__200(anon_client, alice):
    response = anon_client.post(
        LOGIN_URL, {"email": "alice@example.com", "password": DEFAULT_PASSWORD}, format="multipart"
    )

    assert response.status_code == 200


def test_login__get__405(anon_client):
    response = anon_client.get(LOGIN_URL)

    assert response.status_code == 405


def test_login__over_login_throttle_rate__429(monkeypatch, login, alice):
    # DRF binds the rates dict when the throttle class is defined, so override_settings cannot reach it.
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login", "2/min")
    login("alice@example.com")
    login("alice@example.com")

    response = login("alice@example.com")

    assert response.status_code == 429
    assert "detail" in response.json()


# --- Logout ----------------------------------------------------------------------------------------------------------


def test_logout__with_token__204_and_token_no_longer_works(login, alice, token_client):
    key = login("alice@example.com").json()["key"]
    client = token_client(key)

    response = client.post("/api/v1/auth/logout/")

    assert response.status_code == 204
    assert not Token.objects.filter(key=key).exists()
    assert client.get(ME_URL).status_code == 401


def test_logout__then_login__new_token(login, alice, token_client):
    old_key = login("alice@example.com").json()["key"]
    token_client(old_key).post("/api/v1/auth/logout/")

    new_key = login("alice@example.com").json()["key"]

    assert new_key != old_key
    assert token_client(new_key).get(ME_URL).status_code == 200


def test_delete_token__with_token__204_and_token_no_longer_works(login, alice, token_client):
    key = login("alice@example.com").json()["key"]
    client = token_client(key)

    response = client.delete("/api/v1/auth/token/")

    assert response.status_code == 204
    assert client.get(ME_URL).status_code == 401


def test_logout__anonymous__401(anon_client):
    response = anon_client.post("/api/v1/auth/logout/")

    assert response.status_code == 401


def test_request__unknown_token__401_json(token_client, alice):
    response = token_client("0" * 40).get(ME_URL)

    assert response.status_code == 401
    assert "detail" in response.json()


# --- django-axes lockout through the API -----------------------------------------------------------------------------


def test_login__failures_reach_limit__locked_even_with_right_password(login, alice, failure_limit):
    for _ in range(failure_limit - 1):
        assert login("alice@example.com", WRONG_PASSWORD).status_code == 400
    assert login("alice@example.com", WRONG_PASSWORD).status_code == 403

    response = login("alice@example.com")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "too many failed login attempts" in response.json()["detail"].lower()
    assert not Token.objects.filter(user=alice).exists()


def test_login__failures_below_limit__right_password_still_works(login, alice, failure_limit):
    for _ in range(failure_limit - 1):
        login("alice@example.com", WRONG_PASSWORD)

    response = login("alice@example.com")

    assert response.status_code == 200


def test_login__success_between_failures__resets_the_count(login, alice, failure_limit):
    for _ in range(failure_limit - 1):
        login("alice@example.com", WRONG_PASSWORD)
    assert login("alice@example.com").status_code == 200
    for _ in range(failure_limit - 1):
        login("alice@example.com", WRONG_PASSWORD)

    response = login("alice@example.com")

    assert response.status_code == 200


def test_login__failures_with_varied_email_case__counted_for_one_account(login, alice, failure_limit):
    for email in ["ALICE@example.com", "Alice@Example.com", "alice@EXAMPLE.com"][:failure_limit]:
        login(email, WRONG_PASSWORD)

    response = login("alice@example.com")

    assert response.status_code == 403
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"alice@example.com"}


def test_login__user_locked_with_username_parameter__other_user_from_same_ip_unaffected(
    settings, login, alice, bob, failure_limit
):
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    for _ in range(failure_limit):
        login("alice@example.com", WRONG_PASSWORD)

    assert login("alice@example.com").status_code == 403
    assert login("bob@example.com").status_code == 200


def test_login__locked_with_ip_parameter__other_user_from_same_ip_locked_too(
    settings, login, alice, bob, failure_limit
):
    # AXES_ONLY_USER_FAILURES=false maps onto this: lock by address or by account.
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
    for _ in range(failure_limit):
        login("alice@example.com", WRONG_PASSWORD)

    assert login("bob@example.com").status_code == 403


def test_login__axes_disabled__no_lockout(settings, login, alice, failure_limit):
    settings.AXES_ENABLED = False
    for _ in range(failure_limit + 1):
        login("alice@example.com", WRONG_PASSWORD)

    response = login("alice@example.com")

    assert response.status_code == 200


# --- Django admin login and lockout ----------------------------------------------------------------------------------


def test_admin_login__staff_right_password__redirects_into_admin(admin_login, superuser):
    response = admin_login("root@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_admin_login__email_in_other_case__redirects_into_admin(admin_login, superuser):
    response = admin_login("ROOT@Example.com")

    assert response.status_code == 302


def test_admin_login__wrong_password__form_shown_again(admin_login, superuser):
    response = admin_login("root@example.com", WRONG_PASSWORD)

    assert response.status_code == 200
    assert b"Please enter the correct email address and password" in response.content


def test_admin_login__failures__recorded_by_axes(admin_login, superuser):
    admin_login("root@example.com", WRONG_PASSWORD)

    attempt = AccessAttempt.objects.get()
    assert attempt.username == "root@example.com"
    assert attempt.failures_since_start == 1


def test_admin_login__failures_reach_limit__locked_even_with_right_password(admin_login, superuser, failure_limit):
    for _ in range(failure_limit):
        admin_login("root@example.com", WRONG_PASSWORD)

    response = admin_login("root@example.com")

    assert response.status_code == 403
    assert b"Too many failed login attempts" in response.content


def test_admin_login__locked_through_api__admin_locked_too(login, admin_login, superuser, failure_limit):
    for _ in range(failure_limit):
        login("root@example.com", WRONG_PASSWORD)

    assert admin_login("root@example.com").status_code == 403


def test_api_login__locked_through_admin__api_locked_too(login, admin_login, superuser, failure_limit):
    for _ in range(failure_limit):
        admin_login("ROOT@example.com", WRONG_PASSWORD)

    assert login("root@example.com").status_code == 403


def test_admin_login__user_locked__other_staff_user_unaffected(settings, admin_login, superuser, failure_limit):
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    other = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    for _ in range(failure_limit):
        admin_login("root@example.com", WRONG_PASSWORD)

    assert admin_login(other.email).status_code == 302


def test_admin_login__non_staff_user__not_let_in(admin_login, alice):
    response = admin_login("alice@example.com")

    assert response.status_code == 200
    assert b"Please enter the correct email address and password for a staff account" in response.content
