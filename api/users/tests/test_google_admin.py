"""Google sign-in to the Django admin (``OAUTH_CLIENT_ID``, ``OAUTH_CLIENT_SECRET``).

Google's authorization, token and userinfo endpoints are played by a real HTTP
stand-in on 127.0.0.1 (``tests.receivers.HTTPReceiver``); the browser is Django's
test client, following the flow by hand.
"""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.receivers import HTTPReceiver, ReceivedRequest, Reply
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD_CODE = "good-code"
TOKEN = "ya29.stand-in-token"
CALLBACK = "http://testserver/admin/oauth/google/callback/"


def _google(email: str, verified: bool = True):
    def respond(request: ReceivedRequest) -> Reply:
        if request.path == "/token":
            form = parse_qs(request.body.decode())
            if form.get("code") == [GOOD_CODE]:
                return Reply(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3599})
            return Reply(400, {"error": "invalid_grant"})
        if request.path == "/userinfo" and request.headers.get("authorization") == f"Bearer {TOKEN}":
            return Reply(200, {"sub": "1", "email": email, "email_verified": verified})
        return Reply(401, {"error": "invalid_token"})

    return respond


@pytest.fixture
def staff(db):
    return UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def configure(settings):
    def _configure(base_url: str) -> None:
        settings.OAUTH_CLIENT_ID = "client-id.apps.googleusercontent.com"
        settings.OAUTH_CLIENT_SECRET = "client-secret"
        settings.GOOGLE_OAUTH_AUTH_URL = f"{base_url}/auth"
        settings.GOOGLE_OAUTH_TOKEN_URL = f"{base_url}/token"
        settings.GOOGLE_OAUTH_USERINFO_URL = f"{base_url}/userinfo"
        settings.OAUTH_PROVIDER_TIMEOUT_SECONDS = 2

    return _configure


def _start(client: Client, next_url: str = "/admin/users/user/") -> dict[str, str]:
    response = client.get("/admin/oauth/google/login/", {"next": next_url})
    assert response.status_code == 302
    query = {name: values[0] for name, values in parse_qs(urlsplit(response["Location"]).query).items()}
    return query


def test_google_admin__staff_account__signed_in_and_sent_to_next(configure, staff) -> None:
    client = Client()
    with HTTPReceiver(default=_google("OPS@example.com")) as google:
        configure(google.url)
        login_page = client.get("/admin/login/?next=/admin/")
        assert login_page.status_code == 200
        assert b'id="google-login"' in login_page.content

        query = _start(client)
        assert query["client_id"] == "client-id.apps.googleusercontent.com"
        assert query["redirect_uri"] == CALLBACK
        assert query["response_type"] == "code"
        assert "email" in query["scope"].split()

        response = client.get("/admin/oauth/google/callback/", {"code": GOOD_CODE, "state": query["state"]})

        token_call, userinfo_call = google.requests
    assert response.status_code == 302
    assert response["Location"] == "/admin/users/user/"
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/admin/").status_code == 200
    form = parse_qs(token_call.body.decode())
    assert token_call.method == "POST" and token_call.path == "/token"
    assert form == {
        "code": [GOOD_CODE],
        "client_id": ["client-id.apps.googleusercontent.com"],
        "client_secret": ["client-secret"],
        "redirect_uri": [CALLBACK],
        "grant_type": ["authorization_code"],
    }
    assert userinfo_call.headers["authorization"] == f"Bearer {TOKEN}"


def test_google_admin__password_login_disabled__google_still_signs_in(settings, configure, staff) -> None:
    settings.ENABLE_ADMIN_ACCESS_USER_PASS = False
    client = Client()
    with HTTPReceiver(default=_google(staff.email)) as google:
        configure(google.url)
        page = client.get("/admin/login/?next=/admin/")
        assert page.status_code == 403
        assert b'id="google-login"' in page.content
        query = _start(client, "/admin/")
        response = client.get("/admin/oauth/google/callback/", {"code": GOOD_CODE, "state": query["state"]})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("email", "verified", "user_kwargs"),
    [
        ("member@example.com", True, {"is_staff": False}),
        ("gone@example.com", True, {"is_staff": True, "is_active": False}),
        ("ops@example.com", False, {"is_staff": True}),
        ("stranger@example.com", True, None),
    ],
    ids=["not-staff", "inactive", "unverified", "no-account"],
)
def test_google_admin__not_an_active_staff_verified_account__403_not_signed_in(
    configure, email, verified, user_kwargs
) -> None:
    if user_kwargs is not None:
        UserFactory(email=email, **user_kwargs)
    client = Client()
    with HTTPReceiver(default=_google(email, verified)) as google:
        configure(google.url)
        query = _start(client)
        response = client.get("/admin/oauth/google/callback/", {"code": GOOD_CODE, "state": query["state"]})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_google_admin__bad_code_or_wrong_state__refused(configure, staff) -> None:
    client = Client()
    with HTTPReceiver(default=_google(staff.email)) as google:
        configure(google.url)
        query = _start(client)
        assert (
            client.get("/admin/oauth/google/callback/", {"code": "forged", "state": query["state"]}).status_code == 403
        )
        query = _start(client)
        wrong_state = client.get("/admin/oauth/google/callback/", {"code": GOOD_CODE, "state": "not-" + query["state"]})
        assert wrong_state.status_code == 400
        # The state is used once: replaying the right one after that fails too.
        replay = client.get("/admin/oauth/google/callback/", {"code": GOOD_CODE, "state": query["state"]})
        assert replay.status_code == 400
    assert "_auth_user_id" not in client.session


def test_google_admin__next_elsewhere__ignored(configure, staff) -> None:
    client = Client()
    with HTTPReceiver(default=_google(staff.email)) as google:
        configure(google.url)
        query = _start(client, "https://evil.example.com/")
        response = client.get("/admin/oauth/google/callback/", {"code": GOOD_CODE, "state": query["state"]})
    assert response["Location"] == "/admin/"


def test_google_admin__google_unreachable__502(configure, staff) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure(f"http://127.0.0.1:{port}")
    client = Client()
    query = _start(client)
    response = client.get("/admin/oauth/google/callback/", {"code": GOOD_CODE, "state": query["state"]})
    assert response.status_code == 502
    assert "_auth_user_id" not in client.session


def test_google_admin__not_configured__404_and_no_link(settings, staff) -> None:
    settings.OAUTH_CLIENT_ID = ""
    settings.OAUTH_CLIENT_SECRET = ""
    client = Client()
    assert client.get("/admin/oauth/google/login/").status_code == 404
    assert client.get("/admin/oauth/google/callback/?code=x&state=y").status_code == 404
    assert b"google-login" not in client.get("/admin/login/").content
