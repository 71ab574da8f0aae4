"""The Django admin: every registered model's pages load, users and server keys can be added."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import models
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token

from environments.models import EnvironmentAPIKey, hash_server_key
from organisations.models import UserOrganisation
from organisations.tests.factories import InviteFactory, InviteLinkFactory
from users.models import User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTERED_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
NEW_PASSWORD = "a-brand-new-passphrase-7"
SERVER_KEY = r"ser\.[A-Za-z0-9_\-]{20,}"  # a whole key; the 8-character preview does not match


def _changelist_url(model: type[models.Model]) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def _add_url(model: type[models.Model]) -> str:
    return f"{_changelist_url(model)}add/"


def _change_url(instance: models.Model) -> str:
    return f"{_changelist_url(type(instance))}{instance.pk}/change/"


@pytest.fixture
def populated(environment, server_key, admin_user, member_user, login) -> None:
    """At least one row in most admin lists, so list_display columns are rendered."""
    InviteFactory(organisation=environment.project.organisation, invited_by=admin_user)
    InviteLinkFactory(organisation=environment.project.organisation)
    Token.objects.create(user=member_user)
    login(member_user.email, "wrong-password-1")  # a django-axes AccessAttempt and AccessFailureLog
    login(member_user.email)  # a django-axes AccessLog


# --- Every registered model ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED_MODELS, ids=lambda model: model._meta.label)
def test_admin_changelist__superuser__200(superuser_client, populated, model):
    response = superuser_client.get(_changelist_url(model))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "model",
    [model for model in REGISTERED_MODELS if admin.site._registry[model].search_fields],
    ids=lambda model: model._meta.label,
)
def test_admin_changelist_search__superuser__200(superuser_client, populated, model):
    response = superuser_client.get(_changelist_url(model), {"q": "x"})

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED_MODELS, ids=lambda model: model._meta.label)
def test_admin_add_page__superuser__200_or_403_when_adding_is_not_offered(superuser_client, superuser, model):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    can_add = admin.site._registry[model].has_add_permission(request)

    response = superuser_client.get(_add_url(model))

    assert response.status_code == (200 if can_add else 403)


def test_admin_models__superuser__every_registered_model_listed_on_index(superuser_client):
    response = superuser_client.get("/admin/")

    assert response.status_code == 200
    content = response.content.decode()
    for model in REGISTERED_MODELS:
        assert _changelist_url(model) in content


# --- Change pages of the project's own objects -----------------------------------------------------------------------


@pytest.fixture
def membership(member_user) -> UserOrganisation:
    return UserOrganisation.objects.get(user=member_user)


@pytest.mark.parametrize(
    "fixture_name", ["member_user", "organisation", "membership", "project", "environment", "server_key"]
)
def test_admin_change_page__superuser__200(request, superuser_client, fixture_name):
    instance = request.getfixturevalue(fixture_name)

    response = superuser_client.get(_change_url(instance))

    assert response.status_code == 200


def test_admin_change_page__invite_and_invite_link__200(superuser_client, organisation):
    for instance in (InviteFactory(organisation=organisation), InviteLinkFactory(organisation=organisation)):
        assert superuser_client.get(_change_url(instance)).status_code == 200


def test_admin_user_change_page__password__shown_as_hash_summary_only(superuser_client, member_user):
    response = superuser_client.get(_change_url(member_user))

    assert member_user.password not in response.content.decode()


# --- Adding users ----------------------------------------------------------------------------------------------------


@pytest.fixture
def add_user(superuser_client):
    def _add_user(**overrides: str):
        data = {
            "email": "New.Admin@Example.com",
            "username": "",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        }
        data.update(overrides)
        return superuser_client.post(_add_url(User), data)

    return _add_user


def test_admin_add_user__valid_form__user_created_and_can_log_in(add_user, login):
    response = add_user()

    user = User.objects.get(email="new.admin@example.com")
    assert response.status_code == 302
    assert response["Location"] == _change_url(user)
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_staff
    assert login("new.admin@example.com", NEW_PASSWORD).status_code == 200


def test_admin_add_user__password_disabled__unusable_password(add_user):
    response = add_user(usable_password="false", password1="", password2="")

    assert response.status_code == 302
    assert not User.objects.get(email="new.admin@example.com").has_usable_password()


def test_admin_add_user__email_taken_in_other_case__form_error_no_user(add_user, member_user):
    response = add_user(email=member_user.email.upper())

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact=member_user.email).count() == 1


def test_admin_add_user__display_name_used_by_another_user__created(add_user):
    # ``username`` is only a display name: two people may share one.
    UserFactory(username="Sam")

    response = add_user(username="sam")

    assert response.status_code == 302
    assert User.objects.filter(username__iexact="sam").count() == 2


def test_admin_add_user__passwords_differ__form_error_no_user(add_user):
    response = add_user(password2="something-else-entirely-3")

    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="new.admin@example.com").exists()


def test_admin_add_user__weak_password__form_error_no_user(add_user):
    response = add_user(password1="password", password2="password")

    assert response.status_code == 200
    assert not User.objects.filter(email="new.admin@example.com").exists()


@pytest.fixture
def change_user(superuser_client):
    def _change_user(user: User, **overrides: str):
        data = {
            "email": user.email,
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_active": "on",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "00:00:00",
            "last_login_0": "",
            "last_login_1": "",
        }
        data.update(overrides)
        return superuser_client.post(_change_url(user), data)

    return _change_user


def test_admin_change_user__new_email_in_mixed_case__saved_lower_case(change_user, member_user):
    response = change_user(member_user, email="Renamed@Example.com", first_name="Renamed")

    assert response.status_code == 302
    member_user.refresh_from_db()
    assert (member_user.email, member_user.first_name) == ("renamed@example.com", "Renamed")
    assert member_user.check_password(DEFAULT_PASSWORD)


def test_admin_change_user__email_of_another_user_in_other_case__form_error(change_user, member_user, admin_user):
    original_email = member_user.email

    response = change_user(member_user, email=admin_user.email.upper())

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    member_user.refresh_from_db()
    assert member_user.email == original_email


def test_admin_change_password_page__superuser__sets_password(superuser_client, member_user, login):
    url = f"{_change_url(member_user).removesuffix('change/')}password/"
    assert superuser_client.get(url).status_code == 200

    response = superuser_client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert login(member_user.email, NEW_PASSWORD).status_code == 200


# --- Adding server-side keys -----------------------------------------------------------------------------------------


def test_admin_add_server_key__key_shown_once_and_only_hash_stored(superuser_client, environment):
    response = superuser_client.post(
        _add_url(EnvironmentAPIKey),
        {"environment": environment.pk, "name": "ci", "expires_at_0": "", "expires_at_1": "", "active": "on"},
        follow=True,
    )

    assert response.status_code == 200
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    keys = [match for message in messages for match in re.findall(SERVER_KEY, message)]
    assert len(keys) == 1
    key = keys[0]
    api_key = EnvironmentAPIKey.objects.get(name="ci")
    assert api_key.environment == environment
    assert api_key.key_hash == hash_server_key(key)
    assert api_key.key_preview == key[:8]
    stored = {field.attname: getattr(api_key, field.attname) for field in EnvironmentAPIKey._meta.fields}
    assert key not in {str(value) for value in stored.values()}
    assert EnvironmentAPIKey.objects.get_by_key(key) == api_key


def test_admin_add_server_key__change_page_afterwards__key_not_shown_again(superuser_client, environment):
    response = superuser_client.post(
        _add_url(EnvironmentAPIKey),
        {"environment": environment.pk, "name": "ci", "expires_at_0": "", "expires_at_1": "", "active": "on"},
        follow=True,
    )
    key = re.search(SERVER_KEY, " ".join(str(m) for m in get_messages(response.wsgi_request))).group(0)

    change_page = superuser_client.get(_change_url(EnvironmentAPIKey.objects.get(name="ci")))

    assert key not in change_page.content.decode()


def test_admin_change_server_key__deactivate__hash_unchanged(superuser_client, server_key):
    key_hash = server_key.key_hash

    response = superuser_client.post(
        _change_url(server_key),
        {"environment": server_key.environment_id, "name": "renamed", "expires_at_0": "", "expires_at_1": ""},
    )

    assert response.status_code == 302
    server_key.refresh_from_db()
    assert (server_key.name, server_key.active, server_key.key_hash) == ("renamed", False, key_hash)


# --- Who may enter ---------------------------------------------------------------------------------------------------


def test_admin_index__non_staff_user__redirected_to_login(member_user):
    client = Client()
    client.force_login(member_user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_changelist__anonymous__redirected_to_login():
    response = Client().get(_changelist_url(User))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_changelist__staff_without_permissions__403(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True))

    response = client.get(_changelist_url(User))

    assert response.status_code == 403


def test_admin_login_page__anonymous__asks_for_email(db):
    response = Client().get("/admin/login/")

    assert response.status_code == 200
    assert "Email address" in response.content.decode()


def test_admin_login__staff_user_with_password__session_reaches_admin(superuser):
    client = Client()
    client.post("/admin/login/", {"username": superuser.email, "password": DEFAULT_PASSWORD})

    response = client.get("/admin/")

    assert response.status_code == 200
