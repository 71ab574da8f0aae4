"""Sign-up and the djoser account endpoints: registration rules, activation, passwords, users/me."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.sites.models import Site
from django.core import mail
from django.utils import timezone
from djoser.conf import settings as djoser_conf
from djoser.permissions import CurrentUserOrAdmin
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle

from organisations.tests.factories import InviteFactory, InviteLinkFactory
from users.models import User
from users.tests.conftest import ME_URL
from users.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP_URL = "/api/v1/auth/users/"
NEW_PASSWORD = "a-brand-new-passphrase-7"


@pytest.fixture
def signup(anon_client):
    """POST the sign-up form for ``new@example.com`` (or as given); returns the response."""

    def _signup(**overrides: str):
        payload = {"email": "new@example.com", "password": DEFAULT_PASSWORD, "first_name": "New", "last_name": "Person"}
        payload.update(overrides)
        return anon_client.post(SIGNUP_URL, payload, format="json")

    return _signup


@pytest.fixture
def djoser_settings(settings):
    """Change keys of settings.DJOSER; djoser reloads its settings on setting_changed."""

    def _change(**changes: object) -> None:
        settings.DJOSER = {**settings.DJOSER, **changes}

    return _change


@pytest.fixture
def email_activation(djoser_settings) -> None:
    # ENABLE_EMAIL_ACTIVATION is read into DJOSER once, at start-up; djoser only sees DJOSER.
    djoser_settings(SEND_ACTIVATION_EMAIL=True)


@pytest.fixture
def invite_only(settings) -> None:
    settings.ALLOW_REGISTRATION_WITHOUT_INVITE = False


@pytest.fixture
def prevent_signup(settings) -> None:
    settings.PREVENT_SIGNUP = True


@pytest.fixture
def site() -> Site:
    site = Site.objects.get(pk=1)
    site.domain = "dashboard.example.org"
    site.name = "Banderole"
    site.save()  # saving clears the Site cache
    return site


def _link_parts(body: str, prefix: str) -> tuple[str, str, str]:
    """(domain, uid, token) of the first ``http(s)://<domain>/<prefix>/<uid>/<token>`` link in an email."""
    match = re.search(rf"https?://([^/\s]+)/{prefix}/([^/\s]+)/([^/\s]+)", body)
    assert match, f"no {prefix} link in: {body}"
    return match.group(1), match.group(2), match.group(3)


# --- Sign-up ---------------------------------------------------------------------------------------------------------


def test_signup__open_registration__201_creates_user_with_token_key(signup):
    response = signup()

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "first_name", "last_name", "username", "key"}
    user = User.objects.get(email="new@example.com")
    assert body["id"] == user.id
    assert user.is_active
    assert not user.is_staff
    assert not user.is_superuser
    assert user.check_password(DEFAULT_PASSWORD)
    assert body["key"] == Token.objects.get(user=user).key
    assert len(body["key"]) == 40


def test_signup__returned_key__authenticates_as_new_user(signup, token_client):
    key = signup().json()["key"]

    response = token_client(key).get(ME_URL)

    assert response.status_code == 200
    assert response.json()["email"] == "new@example.com"


def test_signup__new_user__can_log_in(signup, login):
    signup()

    response = login("new@example.com")

    assert response.status_code == 200


def test_signup__mixed_case_email__stored_lower_case(signup):
    response = signup(email="New.Person@Example.COM")

    assert response.status_code == 201
    assert response.json()["email"] == "new.person@example.com"
    assert User.objects.get().email == "new.person@example.com"


def test_signup__duplicate_email_in_other_case__400_names_email(signup, alice):
    response = signup(email="ALICE@example.com")

    assert response.status_code == 400
    assert set(response.json()) == {"email"}
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


@pytest.mark.parametrize("password", ["password", "12345678", "short"], ids=["common", "numeric", "too-short"])
def test_signup__weak_password__400_names_password(signup, password):
    response = signup(password=password)

    assert response.status_code == 400
    assert set(response.json()) == {"password"}
    assert not User.objects.exists()


def test_signup__password_like_email__400_names_password(signup):
    response = signup(email="marmaduke.smith@example.com", password="marmaduke.smith")

    assert response.status_code == 400
    assert set(response.json()) == {"password"}


@pytest.mark.parametrize("missing", ["email", "password"])
def test_signup__missing_field__400_names_field(anon_client, missing):
    payload = {"email": "new@example.com", "password": DEFAULT_PASSWORD}
    del payload[missing]

    response = anon_client.post(SIGNUP_URL, payload, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {missing}


def test_signup__privileged_fields_in_body__ignored(signup):
    response = signup(is_superuser="true", is_staff="true", is_active="false")

    assert response.status_code == 201
    user = User.objects.get()
    assert (user.is_superuser, user.is_staff, user.is_active) == (False, False, True)


def test_signup__malformed_json__400_json(anon_client):
    response = anon_client.post(SIGNUP_URL, '{"email": ', content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_signup__over_signup_throttle_rate__429(monkeypatch, signup):
    # DRF binds the rates dict when the throttle class is defined, so override_settings cannot reach it.
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "signup", "2/min")
    assert signup(email="one@example.com").status_code == 201
    assert signup(email="two@example.com").status_code == 201

    response = signup(email="three@example.com")

    assert response.status_code == 429
    assert not User.objects.filter(email="three@example.com").exists()


def test_signup__throttle__does_not_limit_other_account_endpoints(monkeypatch, signup, member_client):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "signup", "1/min")
    signup()

    responses = [member_client.get(ME_URL) for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 200]


# --- Registration rules ----------------------------------------------------------------------------------------------


def test_signup__invite_only_without_invite__403_json(invite_only, signup):
    response = signup()

    assert response.status_code == 403
    assert "invite" in response.json()["detail"].lower()
    assert not User.objects.exists()


def test_signup__invite_only_with_email_invite__201(invite_only, signup):
    InviteFactory(email="New@Example.com")

    response = signup()

    assert response.status_code == 201
    assert User.objects.filter(email="new@example.com").exists()


def test_signup__invite_only_with_invite_for_other_email__403(invite_only, signup):
    InviteFactory(email="someone.else@example.com")

    response = signup()

    assert response.status_code == 403


def test_signup__invite_only_with_invite_link_hash__201(invite_only, signup):
    link = InviteLinkFactory()

    response = signup(invite_hash=link.hash)

    assert response.status_code == 201
    assert "invite_hash" not in response.json()


def test_signup__invite_only_with_never_expiring_link__201(invite_only, signup):
    link = InviteLinkFactory(expires_at=None)

    response = signup(invite_hash=link.hash)

    assert response.status_code == 201


def test_signup__invite_only_with_expired_link_hash__403(invite_only, signup):
    link = InviteLinkFactory(expires_at=timezone.now() - timedelta(minutes=1))

    response = signup(invite_hash=link.hash)

    assert response.status_code == 403
    assert not User.objects.exists()


def test_signup__invite_only_with_unknown_hash__403(invite_only, signup):
    response = signup(invite_hash="not-a-real-hash")

    assert response.status_code == 403


def test_signup__prevent_signup__403_json(prevent_signup, signup):
    response = signup()

    assert response.status_code == 403
    assert response.json()["detail"] == "Sign-up is disabled for this installation."
    assert not User.objects.exists()


def test_signup__prevent_signup_with_unknown_hash__403(prevent_signup, signup):
    response = signup(invite_hash="made-up")

    assert response.status_code == 403
    assert not User.objects.exists()


def test_signup__prevent_signup_with_expired_link_hash__403(prevent_signup, signup):
    link = InviteLinkFactory(expires_at=timezone.now() - timedelta(days=1))

    response = signup(invite_hash=link.hash)

    assert response.status_code == 403


def test_signup__prevent_signup_with_invite_link_hash__201(prevent_signup, signup):
    link = InviteLinkFactory()

    response = signup(invite_hash=link.hash)

    assert response.status_code == 201


def test_signup__prevent_signup_with_email_invite__201(prevent_signup, signup):
    InviteFactory(email="new@example.com")

    response = signup()

    assert response.status_code == 201


def test_signup__user_create_permission_current_user_or_admin__anonymous_refused(djoser_settings, settings, signup):
    djoser_settings(
        PERMISSIONS={**settings.DJOSER["PERMISSIONS"], "user_create": ["djoser.permissions.CurrentUserOrAdmin"]}
    )

    response = signup()

    assert response.status_code == 401
    assert not User.objects.exists()


def test_signup__user_create_permission_current_user_or_admin__signed_in_user_may_create(
    djoser_settings, settings, superuser, token_client
):
    djoser_settings(
        PERMISSIONS={**settings.DJOSER["PERMISSIONS"], "user_create": ["djoser.permissions.CurrentUserOrAdmin"]}
    )
    client = token_client(Token.objects.create(user=superuser).key)

    response = client.post(SIGNUP_URL, {"email": "staff.made@example.com", "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 201


def test_signup__djoser_override_undone__anonymous_sign_up_open_again(djoser_settings, settings, signup):
    # djoser caches its settings; they must follow override_settings both ways.
    original = settings.DJOSER
    djoser_settings(PERMISSIONS={**original["PERMISSIONS"], "user_create": ["djoser.permissions.CurrentUserOrAdmin"]})
    assert djoser_conf.PERMISSIONS.user_create == [CurrentUserOrAdmin]

    settings.DJOSER = original

    assert djoser_conf.PERMISSIONS.user_create == [AllowAny]
    assert signup().status_code == 201


# --- Email activation ------------------------------------------------------------------------------------------------


def test_signup__email_activation__inactive_user_no_key_and_activation_email(email_activation, signup, site):
    response = signup()

    assert response.status_code == 201
    assert response.json()["key"] is None
    user = User.objects.get(email="new@example.com")
    assert not user.is_active
    assert not Token.objects.filter(user=user).exists()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.com"]
    domain, _, _ = _link_parts(message.body, "activate")
    assert domain == "dashboard.example.org"


def test_signup__email_activation_with_flagsmith_domain__link_uses_it(settings, email_activation, signup, site):
    settings.FLAGSMITH_DOMAIN = "flags.example.com"

    signup()

    domain, _, _ = _link_parts(mail.outbox[0].body, "activate")
    assert domain == "flags.example.com"
    assert "flags.example.com/activate/" in mail.outbox[0].alternatives[0][0]


def test_signup__email_activation__inactive_user_cannot_log_in(email_activation, signup, login):
    signup()

    response = login("new@example.com")

    assert response.status_code == 400


def test_activation__uid_and_token_from_email__activates_user(email_activation, signup, anon_client, login):
    signup()
    _, uid, token = _link_parts(mail.outbox[0].body, "activate")

    response = anon_client.post("/api/v1/auth/users/activation/", {"uid": uid, "token": token}, format="json")

    assert response.status_code == 204
    assert User.objects.get(email="new@example.com").is_active
    assert login("new@example.com").status_code == 200


def test_activation__done__email_counts_as_verified(email_activation, signup, anon_client):
    signup()
    assert not User.objects.get(email="new@example.com").email_verified
    _, uid, token = _link_parts(mail.outbox[0].body, "activate")

    anon_client.post("/api/v1/auth/users/activation/", {"uid": uid, "token": token}, format="json")

    assert User.objects.get(email="new@example.com").email_verified


def test_activation__used_twice__403_stale(email_activation, signup, anon_client):
    signup()
    _, uid, token = _link_parts(mail.outbox[0].body, "activate")
    anon_client.post("/api/v1/auth/users/activation/", {"uid": uid, "token": token}, format="json")

    response = anon_client.post("/api/v1/auth/users/activation/", {"uid": uid, "token": token}, format="json")

    assert response.status_code == 403


def test_activation__wrong_token__400_names_token(email_activation, signup, anon_client):
    signup()
    _, uid, _ = _link_parts(mail.outbox[0].body, "activate")

    response = anon_client.post("/api/v1/auth/users/activation/", {"uid": uid, "token": "nope"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"token"}
    assert not User.objects.get(email="new@example.com").is_active


def test_resend_activation__email_in_other_case__new_activation_email(email_activation, signup, anon_client):
    signup()

    response = anon_client.post("/api/v1/auth/users/resend_activation/", {"email": "NEW@example.com"}, format="json")

    assert response.status_code == 204
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["new@example.com"]


def test_signup__activation_off__no_email_sent(signup):
    signup()

    assert mail.outbox == []


# --- users/me ----------------------------------------------------------------------------------------------------------


def test_me__get__own_profile(member_client, member_user):
    response = member_client.get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == member_user.id
    assert body["email"] == member_user.email
    assert body["is_superuser"] is False
    assert "password" not in body


def test_me__anonymous__401(anon_client):
    response = anon_client.get(ME_URL)

    assert response.status_code == 401


def test_me__patch_first_name__200_and_saved(member_client, member_user):
    response = member_client.patch(ME_URL, {"first_name": "Renamed"}, format="json")

    assert response.status_code == 200
    assert response.json()["first_name"] == "Renamed"
    member_user.refresh_from_db()
    assert member_user.first_name == "Renamed"


def test_me__patch_email_and_is_superuser__ignored(member_client, member_user):
    original_email = member_user.email

    response = member_client.patch(
        ME_URL, {"email": "hijack@example.com", "is_superuser": True, "is_staff": True}, format="json"
    )

    assert response.status_code == 200
    member_user.refresh_from_db()
    assert member_user.email == original_email
    assert not member_user.is_superuser
    assert not member_user.is_staff


def test_me__delete_with_current_password__204_user_gone(member_client, member_user):
    response = member_client.delete(ME_URL, {"current_password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 204
    assert not User.objects.filter(pk=member_user.pk).exists()


def test_me__delete_with_wrong_password__400_user_kept(member_client, member_user):
    response = member_client.delete(ME_URL, {"current_password": "wrong-password-1"}, format="json")

    assert response.status_code == 400
    assert User.objects.filter(pk=member_user.pk).exists()


def test_user_detail__another_user__404(member_client, admin_user):
    response = member_client.get(f"{SIGNUP_URL}{admin_user.id}/")

    assert response.status_code == 404


def test_user_list__non_staff__404(member_client, admin_user):
    response = member_client.get(SIGNUP_URL)

    assert response.status_code == 404


def test_user_list__anonymous__401(anon_client, admin_user):
    response = anon_client.get(SIGNUP_URL)

    assert response.status_code == 401


# --- Passwords -------------------------------------------------------------------------------------------------------


def test_set_password__right_current_password__204_and_new_password_works(member_client, member_user, login):
    response = member_client.post(
        "/api/v1/auth/users/set_password/",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204
    assert login(member_user.email, NEW_PASSWORD).status_code == 200
    assert login(member_user.email, DEFAULT_PASSWORD).status_code == 400


def test_set_password__wrong_current_password__400_names_current_password(member_client, member_user):
    response = member_client.post(
        "/api/v1/auth/users/set_password/",
        {"current_password": "wrong-password-1", "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"current_password"}
    member_user.refresh_from_db()
    assert member_user.check_password(DEFAULT_PASSWORD)


def test_set_password__weak_new_password__400_names_new_password(member_client):
    response = member_client.post(
        "/api/v1/auth/users/set_password/",
        {"current_password": DEFAULT_PASSWORD, "new_password": "password"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"new_password"}


def test_set_password__anonymous__401(anon_client):
    response = anon_client.post(
        "/api/v1/auth/users/set_password/",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 401


def test_reset_password__known_email__204_and_email_links_to_site_domain(anon_client, alice, site):
    response = anon_client.post("/api/v1/auth/users/reset_password/", {"email": "alice@example.com"}, format="json")

    assert response.status_code == 204
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    domain, _, _ = _link_parts(mail.outbox[0].body, "password-reset/confirm")
    assert domain == "dashboard.example.org"


def test_reset_password__flagsmith_domain_set__email_links_to_it(settings, anon_client, alice, site):
    settings.FLAGSMITH_DOMAIN = "flags.example.com"

    anon_client.post("/api/v1/auth/users/reset_password/", {"email": "alice@example.com"}, format="json")

    domain, _, _ = _link_parts(mail.outbox[0].body, "password-reset/confirm")
    assert domain == "flags.example.com"


def test_reset_password__unknown_email__204_and_no_email(anon_client, alice):
    response = anon_client.post("/api/v1/auth/users/reset_password/", {"email": "nobody@example.com"}, format="json")

    assert response.status_code == 204
    assert mail.outbox == []


def test_reset_password__email_in_other_case__email_sent(anon_client, alice):
    response = anon_client.post("/api/v1/auth/users/reset_password/", {"email": "Alice@Example.com"}, format="json")

    assert response.status_code == 204
    assert mail.outbox[0].to == ["alice@example.com"]


def test_reset_password__inactive_user__no_email(anon_client, alice):
    alice.is_active = False
    alice.save()

    anon_client.post("/api/v1/auth/users/reset_password/", {"email": "alice@example.com"}, format="json")

    assert mail.outbox == []


def test_reset_password_confirm__uid_and_token_from_email__sets_new_password(anon_client, alice, login):
    anon_client.post("/api/v1/auth/users/reset_password/", {"email": "alice@example.com"}, format="json")
    _, uid, token = _link_parts(mail.outbox[0].body, "password-reset/confirm")

    response = anon_client.post(
        "/api/v1/auth/users/reset_password_confirm/",
        {"uid": uid, "token": token, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204
    assert login("alice@example.com", NEW_PASSWORD).status_code == 200
    assert login("alice@example.com", DEFAULT_PASSWORD).status_code == 400


def test_reset_password_confirm__token_used_twice__400(anon_client, alice):
    anon_client.post("/api/v1/auth/users/reset_password/", {"email": "alice@example.com"}, format="json")
    _, uid, token = _link_parts(mail.outbox[0].body, "password-reset/confirm")
    payload = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    anon_client.post("/api/v1/auth/users/reset_password_confirm/", payload, format="json")

    response = anon_client.post(
        "/api/v1/auth/users/reset_password_confirm/", {**payload, "new_password": "yet-another-pass-8"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"token"}


def test_reset_password_confirm__bad_uid__400_names_uid(anon_client, alice):
    response = anon_client.post(
        "/api/v1/auth/users/reset_password_confirm/",
        {"uid": "bm9ib2R5", "token": "x", "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"uid"}
