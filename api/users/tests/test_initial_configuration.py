"""First run: the /api/v1/users/config/init/ form, createsuperuser, and the start-up hint."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from users.models import User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

INIT_URL = "/api/v1/users/config/init/"
FIELDS = ("username", "email", "password", "site_name", "site_domain")


@pytest.fixture
def browser() -> Client:
    return Client()


@pytest.fixture
def form_data() -> dict[str, str]:
    return {
        "username": "The Admin",
        "email": "Admin@Example.com",
        "password": DEFAULT_PASSWORD,
        "site_name": "Acme Flags",
        "site_domain": "flags.acme.example",
    }


@pytest.fixture
def configured(browser, form_data) -> User:
    """An installation set up through the form."""
    response = browser.post(INIT_URL, form_data, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    return User.objects.get()


def _site() -> Site:
    return Site.objects.get(pk=1)


# --- The form --------------------------------------------------------------------------------------------------------


def test_initial_configuration_get__no_users__200_form_with_five_fields(browser):
    response = browser.get(INIT_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    for field in FIELDS:
        assert f'name="{field}"' in content
    assert 'type="password"' in content
    assert 'name="csrfmiddlewaretoken"' in content


def test_initial_configuration_post__json_accept__201_creates_superuser_and_names_site(browser, form_data):
    response = browser.post(INIT_URL, form_data, HTTP_ACCEPT="application/json")

    assert response.status_code == 201
    assert response.json() == {"message": "INSTALLATION CONFIGURED SUCCESSFULLY", "email": "admin@example.com"}
    user = User.objects.get()
    assert user.email == "admin@example.com"
    assert user.username == "The Admin"
    assert user.is_superuser
    assert user.is_staff
    assert user.is_active
    assert user.check_password(DEFAULT_PASSWORD)
    site = _site()
    assert (site.name, site.domain) == ("Acme Flags", "flags.acme.example")


def test_initial_configuration_post__no_accept_header__201_json(browser, form_data):
    response = browser.post(INIT_URL, form_data)

    assert response.status_code == 201
    assert response.json()["message"] == "INSTALLATION CONFIGURED SUCCESSFULLY"


def test_initial_configuration_post__html_accept__200_success_page(browser, form_data):
    response = browser.post(INIT_URL, form_data, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "Installation configured successfully" in content
    assert "admin@example.com" in content
    assert User.objects.filter(email="admin@example.com", is_superuser=True).exists()


def test_initial_configuration_post__html_accept__success_page_leads_to_the_dashboard_first(browser, form_data):
    content = browser.post(INIT_URL, form_data, HTTP_ACCEPT="text/html").content.decode()

    links = re.findall(r'href="([^"]+)"', content)
    assert links[0] == "/"
    assert "/admin/" in links[1:]


def test_initial_configuration_post__site_row_missing__created_with_given_name(browser, form_data):
    Site.objects.all().delete()

    response = browser.post(INIT_URL, form_data)

    assert response.status_code == 201
    assert (_site().name, _site().domain) == ("Acme Flags", "flags.acme.example")


def test_initial_configuration__new_superuser__can_log_in_through_api_and_admin(configured, login, admin_login):
    assert login("admin@example.com").status_code == 200
    assert admin_login("admin@example.com").status_code == 302


def test_initial_configuration__with_csrf_enforced__form_round_trip_works(form_data):
    browser = Client(enforce_csrf_checks=True)
    browser.get(INIT_URL)
    token = browser.cookies["csrftoken"].value

    response = browser.post(INIT_URL, {**form_data, "csrfmiddlewaretoken": token}, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert User.objects.filter(is_superuser=True).count() == 1


def test_initial_configuration_post__csrf_enforced_without_token__403_no_user(form_data):
    response = Client(enforce_csrf_checks=True).post(INIT_URL, form_data)

    assert response.status_code == 403
    assert not User.objects.exists()


# --- Closed once used, or when switched off --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_initial_configuration__after_configuration__404_json(browser, configured, form_data, method):
    response = getattr(browser, method)(INIT_URL, {**form_data, "email": "second@example.com"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert list(User.objects.values_list("email", flat=True)) == ["admin@example.com"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_initial_configuration__user_exists_from_start__404_and_site_untouched(browser, form_data, method):
    UserFactory(email="existing@example.com")
    site_before = (_site().name, _site().domain)

    response = getattr(browser, method)(INIT_URL, form_data)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert User.objects.count() == 1
    assert (_site().name, _site().domain) == site_before


def test_initial_configuration__only_inactive_user_exists__404(browser):
    UserFactory(is_active=False)

    response = browser.get(INIT_URL)

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_initial_configuration__initiation_via_url_disabled__404(settings, browser, form_data, method):
    settings.ALLOW_ADMIN_INITIATION_VIA_URL = False

    response = getattr(browser, method)(INIT_URL, form_data)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert not User.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_initial_configuration__v2_path__404(browser, form_data, method):
    response = getattr(browser, method)("/api/v2/users/config/init/", form_data)

    assert response.status_code == 404
    assert not User.objects.exists()


# --- Invalid input ---------------------------------------------------------------------------------------------------


def test_initial_configuration_post__bad_email_and_short_password__400_names_fields(browser, form_data):
    site_before = (_site().name, _site().domain)

    response = browser.post(
        INIT_URL, {**form_data, "email": "not-an-email", "password": "short"}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}
    assert not User.objects.exists()
    assert (_site().name, _site().domain) == site_before


@pytest.mark.parametrize("password", ["password", "87654321987"], ids=["common", "numeric"])
def test_initial_configuration_post__weak_password__400_names_password(browser, form_data, password):
    response = browser.post(INIT_URL, {**form_data, "password": password})

    assert response.status_code == 400
    assert set(response.json()) == {"password"}
    assert not User.objects.exists()


def test_initial_configuration_post__empty__400_names_all_fields(browser):
    response = browser.post(INIT_URL, {})

    assert response.status_code == 400
    assert set(response.json()) == set(FIELDS)


def test_initial_configuration_post__site_name_too_long__400_names_site_name(browser, form_data):
    response = browser.post(INIT_URL, {**form_data, "site_name": "x" * 51})

    assert response.status_code == 400
    assert set(response.json()) == {"site_name"}


def test_initial_configuration_post__invalid_with_html_accept__400_form_with_errors(browser, form_data):
    response = browser.post(INIT_URL, {**form_data, "email": "nope"}, HTTP_ACCEPT="text/html")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert 'class="errorlist' in content
    assert 'name="site_domain"' in content
    assert not User.objects.exists()


def test_initial_configuration_post__invalid__form_stays_open(browser, form_data):
    browser.post(INIT_URL, {**form_data, "email": "nope"})

    response = browser.post(INIT_URL, form_data)

    assert response.status_code == 201


# --- createsuperuser and the start-up hint ---------------------------------------------------------------------------


@pytest.fixture
def superuser_env(monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Ops@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", DEFAULT_PASSWORD)


def test_createsuperuser_noinput__env_credentials__superuser_created(superuser_env):
    call_command("createsuperuser", interactive=False, stdout=StringIO())

    user = User.objects.get()
    assert user.email == "ops@example.com"
    assert user.is_superuser
    assert user.is_staff
    assert user.check_password(DEFAULT_PASSWORD)


def test_createsuperuser_noinput__new_superuser__can_log_in_via_api(superuser_env, login, token_client):
    call_command("createsuperuser", interactive=False, stdout=StringIO())

    response = login("ops@example.com")

    assert response.status_code == 200
    me = token_client(response.json()["key"]).get("/api/v1/auth/users/me/").json()
    assert me["is_superuser"] is True


def test_createsuperuser_noinput__email_taken_in_other_case__command_error(superuser_env):
    UserFactory(email="ops@example.com")

    with pytest.raises(CommandError, match="already taken"):
        call_command("createsuperuser", interactive=False, stdout=StringIO(), stderr=StringIO())

    assert User.objects.count() == 1


def test_createsuperuser_noinput__closes_initial_configuration(superuser_env, browser):
    call_command("createsuperuser", interactive=False, stdout=StringIO())

    assert browser.get(INIT_URL).status_code == 404


def test_first_run_hint__no_users__points_at_initial_configuration():
    out = StringIO()

    call_command("first_run_hint", "--url", "http://flags.local:8000", stdout=out)

    assert "http://flags.local:8000/api/v1/users/config/init/" in out.getvalue()
    assert "createsuperuser" in out.getvalue()
    assert "dashboard at http://flags.local:8000/" in out.getvalue()


def test_first_run_hint__user_exists__points_at_sign_in(alice):
    out = StringIO()

    call_command("first_run_hint", stdout=out)

    assert "config/init" not in out.getvalue()
    assert out.getvalue().index("http://127.0.0.1:8000/ ") < out.getvalue().index("/admin/")
    assert "/api/v1/auth/login/" in out.getvalue()
