"""Two-factor sign-in with an authenticator app, on Flagsmith's paths and in its shapes."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from django.core import signing
from rest_framework.authtoken.models import Token

from core.throttling import ScopedRateThrottle
from users import mfa
from users.models import MFAMethod
from users.tests.conftest import ME_URL
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ACTIVATE = "/api/v1/auth/app/activate/"
CONFIRM = "/api/v1/auth/app/activate/confirm/"
DEACTIVATE = "/api/v1/auth/app/deactivate/"
CODE_LOGIN = "/api/v1/auth/login/code/"
ACTIVE_METHODS = "/api/v1/auth/mfa/user-active-methods/"


def code_at(secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or ``steps_ahead`` 30-second steps later)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


@pytest.fixture
def alice_api(login, alice, token_client):
    return token_client(login("alice@example.com").json()["key"])


@pytest.fixture
def enrolled(alice_api):
    """Alice with an active app method: (her secret, her backup codes)."""
    secret = alice_api.post(ACTIVATE).json()["secret"]
    codes = alice_api.post(CONFIRM, {"code": code_at(secret)}, format="json").json()["backup_codes"]
    return secret, codes


# --- enrolment -------------------------------------------------------------------------------------------------------


def test_activate__signed_in__qr_link_and_secret(alice_api, alice):
    response = alice_api.post(ACTIVATE)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"qr_link", "secret"}
    uri = urlparse(body["qr_link"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert "alice%40example.com" in uri.path
    assert parse_qs(uri.query)["secret"] == [body["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["Banderole"]
    assert not MFAMethod.objects.get(user=alice).is_active


def test_activate__anonymous__401(anon_client):
    assert anon_client.post(ACTIVATE).status_code == 401


def test_activate__other_method__404(alice_api):
    assert alice_api.post("/api/v1/auth/sms/activate/").status_code == 404


def test_activate__twice_before_confirming__new_secret(alice_api):
    first = alice_api.post(ACTIVATE).json()["secret"]
    second = alice_api.post(ACTIVATE).json()["secret"]

    assert first != second


def test_confirm__right_code__backup_codes_once_and_method_active(alice_api, alice):
    secret = alice_api.post(ACTIVATE).json()["secret"]

    response = alice_api.post(CONFIRM, {"code": code_at(secret)}, format="json")

    assert response.status_code == 200
    codes = response.json()["backup_codes"]
    assert len(codes) == 5 and len(set(codes)) == 5 and all(len(code) == 10 for code in codes)
    method = MFAMethod.objects.get(user=alice)
    assert method.is_active and method.is_primary
    assert not set(codes) & set(method.backup_codes)  # stored hashed only


def test_confirm__wrong_code__400_on_code_and_still_inactive(alice_api, alice):
    alice_api.post(ACTIVATE)

    response = alice_api.post(CONFIRM, {"code": "000000"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"code": ["Code invalid or expired."]}
    assert not MFAMethod.objects.get(user=alice).is_active


def test_confirm__without_activation__400(alice_api):
    response = alice_api.post(CONFIRM, {"code": "123456"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"code": ["Requested MFA method does not exist."]}


def test_confirm__missing_code__400_naming_it(alice_api):
    alice_api.post(ACTIVATE)

    response = alice_api.post(CONFIRM, {}, format="json")

    assert response.status_code == 400 and "code" in response.json()


def test_activate__already_active__400(alice_api, enrolled):
    response = alice_api.post(ACTIVATE)

    assert response.status_code == 400
    assert response.json() == {"error": "MFA method already active."}


def test_user_active_methods__enrolled__app_primary(alice_api, enrolled):
    assert alice_api.get(ACTIVE_METHODS).json() == [{"name": "app", "is_primary": True}]


def test_user_active_methods__not_enrolled__empty(alice_api):
    alice_api.post(ACTIVATE)  # pending, not active

    assert alice_api.get(ACTIVE_METHODS).json() == []


# --- signing in --------------------------------------------------------------------------------------------------------


def test_login__enrolled__ephemeral_token_and_no_api_token(login, alice, enrolled):
    Token.objects.filter(user=alice).delete()

    response = login("alice@example.com")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ephemeral_token", "method"}
    assert body["method"] == "app"
    assert not Token.objects.filter(user=alice).exists()


def test_login_code__right_code__token_that_works(login, anon_client, token_client, enrolled):
    secret, _ = enrolled
    ephemeral = login("alice@example.com").json()["ephemeral_token"]

    response = anon_client.post(CODE_LOGIN, {"ephemeral_token": ephemeral, "code": code_at(secret, 1)}, format="json")

    assert response.status_code == 200
    assert set(response.json()) == {"key"}
    assert token_client(response.json()["key"]).get(ME_URL).status_code == 200


def test_login_code__wrong_code__401_error(login, anon_client, enrolled):
    ephemeral = login("alice@example.com").json()["ephemeral_token"]

    response = anon_client.post(CODE_LOGIN, {"ephemeral_token": ephemeral, "code": "000000"}, format="json")

    assert response.status_code == 401
    assert response.json() == {"error": "Invalid or expired code."}


def test_login_code__same_code_twice__second_refused(login, anon_client, enrolled):
    secret, _ = enrolled
    code = code_at(secret, 1)
    first = anon_client.post(
        CODE_LOGIN, {"ephemeral_token": login("alice@example.com").json()["ephemeral_token"], "code": code}
    )

    again = anon_client.post(
        CODE_LOGIN, {"ephemeral_token": login("alice@example.com").json()["ephemeral_token"], "code": code}
    )

    assert first.status_code == 200
    assert again.status_code == 401


def test_login_code__code_used_to_confirm__refused(login, anon_client, alice_api):
    secret = alice_api.post(ACTIVATE).json()["secret"]
    code = code_at(secret)
    alice_api.post(CONFIRM, {"code": code}, format="json")

    response = anon_client.post(
        CODE_LOGIN, {"ephemeral_token": login("alice@example.com").json()["ephemeral_token"], "code": code}
    )

    assert response.status_code == 401


def test_login_code__ephemeral_token_used_once(login, anon_client, enrolled):
    secret, _ = enrolled
    ephemeral = login("alice@example.com").json()["ephemeral_token"]
    anon_client.post(CODE_LOGIN, {"ephemeral_token": ephemeral, "code": code_at(secret, 1)})

    response = anon_client.post(CODE_LOGIN, {"ephemeral_token": ephemeral, "code": code_at(secret, -1)})

    assert response.status_code == 401
    assert response.json() == {"error": "Invalid or expired token."}


@pytest.mark.parametrize("token", ["nonsense", "", "1-abc-def"])
def test_login_code__bad_ephemeral_token__401_or_400(anon_client, enrolled, token):
    response = anon_client.post(CODE_LOGIN, {"ephemeral_token": token, "code": "123456"}, format="json")

    assert response.status_code in (400, 401)
    assert response.status_code != 500


def test_login_code__expired_ephemeral_token__401(settings, login, anon_client, enrolled, monkeypatch):
    secret, _ = enrolled
    ephemeral = login("alice@example.com").json()["ephemeral_token"]
    settings.MFA_EPHEMERAL_TOKEN_SECONDS = 60
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 120)

    response = anon_client.post(CODE_LOGIN, {"ephemeral_token": ephemeral, "code": code_at(secret, 1)})

    assert response.status_code == 401
    assert response.json() == {"error": "Invalid or expired token."}


def test_login_code__token_of_another_user_cannot_be_forged(login, anon_client, enrolled):
    bob = UserFactory(email="bob@example.com")
    forged = signing.dumps({"u": bob.pk, "s": "x" * 32}, salt="wrong-salt")

    response = anon_client.post(CODE_LOGIN, {"ephemeral_token": forged, "code": "123456"})

    assert response.status_code == 401


def test_login_code__backup_code__works_once(login, anon_client, enrolled):
    _, codes = enrolled

    first = anon_client.post(
        CODE_LOGIN, {"ephemeral_token": login("alice@example.com").json()["ephemeral_token"], "code": codes[0]}
    )
    again = anon_client.post(
        CODE_LOGIN, {"ephemeral_token": login("alice@example.com").json()["ephemeral_token"], "code": codes[0]}
    )
    other = anon_client.post(
        CODE_LOGIN, {"ephemeral_token": login("alice@example.com").json()["ephemeral_token"], "code": codes[1]}
    )

    assert (first.status_code, again.status_code, other.status_code) == (200, 401, 200)


def test_login_code__too_many_wrong_codes__refused_even_with_right_one(settings, login, anon_client, enrolled):
    settings.MFA_CODE_FAILURE_LIMIT = 3
    secret, _ = enrolled
    for _ in range(3):
        ephemeral = login("alice@example.com").json()["ephemeral_token"]
        assert anon_client.post(CODE_LOGIN, {"ephemeral_token": ephemeral, "code": "000000"}).status_code == 401
    ephemeral = login("alice@example.com").json()["ephemeral_token"]

    response = anon_client.post(CODE_LOGIN, {"ephemeral_token": ephemeral, "code": code_at(secret, 1)})

    assert response.status_code == 401
    assert "Too many" in response.json()["error"]


def test_login_code__over_throttle_rate__429(monkeypatch, anon_client, enrolled):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "mfa_code", "2/min")

    statuses = [anon_client.post(CODE_LOGIN, {"ephemeral_token": "x", "code": "1"}).status_code for _ in range(3)]

    assert statuses[-1] == 429


def test_login__wrong_password_with_2fa__400_and_no_ephemeral_token(login, enrolled):
    response = login("alice@example.com", "wrong-password-1")

    assert response.status_code == 400
    assert "ephemeral_token" not in response.json()


def test_password_change__ephemeral_token_dies(login, anon_client, enrolled, alice):
    secret, _ = enrolled
    ephemeral = login("alice@example.com").json()["ephemeral_token"]
    alice.set_password("a-brand-new-pass-1")
    alice.save()

    response = anon_client.post(CODE_LOGIN, {"ephemeral_token": ephemeral, "code": code_at(secret, 1)})

    assert response.status_code == 401


# --- turning it off ----------------------------------------------------------------------------------------------------


def test_deactivate__enrolled__204_and_login_gives_a_token_again(alice_api, enrolled, login):
    response = alice_api.post(DEACTIVATE)

    assert response.status_code == 204
    assert set(login("alice@example.com").json()) == {"key"}
    assert not MFAMethod.objects.exists()


def test_deactivate__not_enrolled__400(alice_api):
    response = alice_api.post(DEACTIVATE)

    assert response.status_code == 400
    assert response.json() == {"error": "Requested MFA method does not exist."}


def test_deactivate__pending_only__400_not_enabled(alice_api):
    alice_api.post(ACTIVATE)

    response = alice_api.post(DEACTIVATE)

    assert response.status_code == 400
    assert response.json() == {"error": "2FA is not enabled."}


def test_deactivate__one_user__leaves_another_users_method(alice_api, enrolled, token_client):
    bob = UserFactory(email="bob@example.com")
    MFAMethod.objects.create(user=bob, secret=pyotp.random_base32(), is_active=True, is_primary=True)

    alice_api.post(DEACTIVATE)

    assert MFAMethod.objects.filter(user=bob, is_active=True).exists()


def test_matching_step__code_with_spaces__accepted(alice):
    method = MFAMethod(user=alice, secret=pyotp.random_base32())
    code = code_at(method.secret)

    assert mfa._matching_step(method, f"{code[:3]} {code[3:]}") is not None
    assert mfa._matching_step(method, "abcdef") is None
    assert mfa._matching_step(method, code_at(method.secret, 3)) is None


def test_default_password_still_signs_in_without_2fa(login, alice):
    assert set(login("alice@example.com", DEFAULT_PASSWORD).json()) == {"key"}
