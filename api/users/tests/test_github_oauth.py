"""Sign-in with GitHub against a local stand-in of GitHub's token, user and emails endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs

import pyotp
import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import override_settings
from djoser.utils import encode_uid
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle

from tests.receivers import HTTPReceiver, ReceivedRequest, Reply
from users.models import MFAMethod, User
from users.tests.factories import DEFAULT_PASSWORD

URL = "/api/v1/auth/oauth/github/"
GOOD_CODE = "good-code"
EMAILS = [
    {"email": "old@example.com", "primary": False, "verified": True},
    {"email": "Octo@Example.com", "primary": True, "verified": True},
]


class GitHub:
    """What the stand-in answers; tests change the emails or the user."""

    def __init__(self) -> None:
        self.emails: list[dict] = list(EMAILS)
        self.user: dict = {"login": "octocat", "name": "Mona Octocat"}

    def __call__(self, request: ReceivedRequest) -> Reply:
        if request.path == "/login/oauth/access_token":
            form = parse_qs(request.body.decode())
            if form.get("code") == [GOOD_CODE] and form.get("client_secret") == ["secret"]:
                return Reply(200, {"access_token": "gho_token", "token_type": "bearer"})
            return Reply(200, {"error": "bad_verification_code"})  # GitHub's answer: a 200
        if request.headers.get("authorization") != "token gho_token":
            return Reply(401, {"message": "Bad credentials"})
        if request.path == "/api/user":
            return Reply(200, self.user)
        if request.path == "/api/user/emails":
            return Reply(200, self.emails)
        return Reply(404, {"message": "Not Found"})


@pytest.fixture
def github(db) -> Iterator[tuple[GitHub, HTTPReceiver]]:
    script = GitHub()
    with (
        HTTPReceiver(default=script) as receiver,
        override_settings(
            GITHUB_CLIENT_ID="client-id",
            GITHUB_CLIENT_SECRET="secret",
            GITHUB_OAUTH_TOKEN_URL=f"{receiver.url}/login/oauth/access_token",
            GITHUB_API_URL=f"{receiver.url}/api",
        ),
    ):
        yield script, receiver


def test_github__new_user__account_created_and_token_returned(anon_client, github) -> None:
    _, receiver = github

    response = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert response.status_code == 200
    user = User.objects.get(email__iexact="octo@example.com")
    assert response.json() == {"key": Token.objects.get(user=user).key}
    assert (user.first_name, user.last_name) == ("Mona", "Octocat")
    exchange = receiver.requests[0]
    assert exchange.method == "POST"
    assert exchange.headers["accept"] == "application/json"
    assert parse_qs(exchange.body.decode())["client_id"] == ["client-id"]
    # The token signs the dashboard in.
    me = anon_client.get("/api/v1/auth/users/me/", HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    assert me.status_code == 200


def test_github__existing_user_with_verified_email__same_account_and_token(anon_client, github, admin_user) -> None:
    script, _ = github
    script.emails = [{"email": admin_user.email.upper(), "primary": True, "verified": True}]
    User.objects.filter(pk=admin_user.pk).update(email_verified=True)

    response = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert response.status_code == 200
    assert response.json() == {"key": Token.objects.get(user=admin_user).key}
    assert User.objects.filter(email__iexact=admin_user.email).count() == 1


def test_github__existing_user_with_unverified_email__403_and_not_signed_in(anon_client, github) -> None:
    # Finding (issue 17): someone signs up first with the victim's address (sign-up does not
    # verify email by default); the victim's GitHub sign-in must not attach to that account.
    squatter = anon_client.post(
        "/api/v1/auth/users/",
        {"email": "octo@example.com", "password": "squatters-password-5", "first_name": "S", "last_name": "Q"},
        format="json",
    )
    assert squatter.status_code == 201

    response = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert response.status_code == 403
    assert "not been verified" in response.json()["detail"]
    assert set(response.json()) == {"detail"}
    user = User.objects.get(email="octo@example.com")
    assert not Token.objects.exclude(key=squatter.json()["key"]).filter(user=user).exists()


def test_github__account_it_created__signs_in_again(anon_client, github) -> None:
    first = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    again = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert first.status_code == again.status_code == 200
    assert User.objects.get(email="octo@example.com").email_verified
    assert again.json() == {"key": Token.objects.get(user__email="octo@example.com").key}


def test_github__account_verified_by_password_reset__signs_in(anon_client, github, alice) -> None:
    script, _ = github
    script.emails = [{"email": "alice@example.com", "primary": True, "verified": True}]
    assert anon_client.post(URL, {"access_token": GOOD_CODE}, format="json").status_code == 403
    reset = {
        "uid": encode_uid(alice.pk),
        "token": default_token_generator.make_token(alice),
        "new_password": "a-new-one-99x",
    }
    assert anon_client.post("/api/v1/auth/users/reset_password_confirm/", reset, format="json").status_code == 204

    response = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert response.status_code == 200


def test_github__email_changed_after_verification__no_longer_verified(anon_client, github, alice, token_client) -> None:
    User.objects.filter(pk=alice.pk).update(email_verified=True)
    key = anon_client.post("/api/v1/auth/login/", {"email": alice.email, "password": DEFAULT_PASSWORD}).json()["key"]
    changed = token_client(key).post(
        "/api/v1/auth/users/set_email/", {"current_password": DEFAULT_PASSWORD, "new_email": "octo@example.com"}
    )
    assert changed.status_code == 204

    response = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert response.status_code == 403


def test_github__bad_code__400_naming_the_field(anon_client, github) -> None:
    response = anon_client.post(URL, {"access_token": "expired"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"access_token": ["GitHub did not accept this code."]}
    assert not User.objects.exists()


def test_github__no_verified_primary_email__400_and_no_account(anon_client, github) -> None:
    script, _ = github
    script.emails = [{"email": "unverified@example.com", "primary": True, "verified": False}]

    response = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert response.status_code == 400
    assert "verified primary email" in response.json()["access_token"][0]
    assert not User.objects.exists()


@pytest.mark.parametrize("body", [{}, {"access_token": ""}, {"access_token": ["x"]}])
def test_github__missing_or_malformed_access_token__400_naming_it(anon_client, github, body) -> None:
    response = anon_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert "access_token" in response.json()


def test_github__registration_closed__403_for_a_stranger(anon_client, github) -> None:
    with override_settings(ALLOW_REGISTRATION_WITHOUT_INVITE=False):
        response = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert response.status_code == 403
    assert not User.objects.exists()


def test_github__inactive_account__403(anon_client, github, admin_user) -> None:
    script, _ = github
    script.emails = [{"email": admin_user.email, "primary": True, "verified": True}]
    admin_user.is_active = False
    admin_user.email_verified = True
    admin_user.save()

    assert anon_client.post(URL, {"access_token": GOOD_CODE}, format="json").status_code == 403


@override_settings(GITHUB_CLIENT_ID="", GITHUB_CLIENT_SECRET="")
def test_github__not_configured__404(anon_client, db) -> None:
    response = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "GitHub sign-in is not configured."}


def test_github__provider_unreachable__502_not_500(anon_client, db) -> None:
    with HTTPReceiver() as dead:
        dead_url = dead.url  # closed once the block ends: nothing listens there afterwards
    with override_settings(
        GITHUB_CLIENT_ID="client-id",
        GITHUB_CLIENT_SECRET="secret",
        GITHUB_OAUTH_TOKEN_URL=f"{dead_url}/login/oauth/access_token",
        OAUTH_PROVIDER_TIMEOUT_SECONDS=2,
    ):
        response = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert response.status_code == 502
    assert response.json() == {"detail": "GitHub could not be reached; try again."}


def test_github__over_login_throttle_rate__429(monkeypatch, anon_client, github) -> None:
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login", "2/min")

    statuses = [anon_client.post(URL, {"access_token": "expired"}, format="json").status_code for _ in range(3)]

    assert statuses == [400, 400, 429]


def test_github__account_with_two_factor__second_step_shape(anon_client, github) -> None:
    anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")
    user = User.objects.get(email="octo@example.com")
    MFAMethod.objects.create(user=user, secret=pyotp.random_base32(), is_active=True, is_primary=True)

    response = anon_client.post(URL, {"access_token": GOOD_CODE}, format="json")

    assert response.status_code == 200
    assert set(response.json()) == {"ephemeral_token", "method"}
