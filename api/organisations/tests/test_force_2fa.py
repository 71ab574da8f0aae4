"""``force_2fa``: an organisation's admins require two-factor sign-in of its members."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from organisations.models import Organisation, OrganisationRole
from organisations.tests.factories import MembershipFactory, OrganisationFactory
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def forced(organisation) -> Organisation:
    Organisation.objects.filter(pk=organisation.pk).update(force_2fa=True)
    return organisation


def _enrol(client: APIClient) -> None:
    secret = client.post("/api/v1/auth/app/activate/").json()["secret"]
    assert (
        client.post("/api/v1/auth/app/activate/confirm/", {"code": pyotp.TOTP(secret).at(time.time())}).status_code
        == 200
    )


def test_admin__sets_force_2fa__200_and_shown(admin_client, organisation):
    response = admin_client.patch(f"/api/v1/organisations/{organisation.id}/", {"force_2fa": True}, format="json")

    assert response.status_code == 200
    assert response.json()["force_2fa"] is True
    assert Organisation.objects.get(pk=organisation.pk).force_2fa


def test_member__sets_force_2fa__403(member_client, organisation):
    response = member_client.patch(f"/api/v1/organisations/{organisation.id}/", {"force_2fa": True}, format="json")

    assert response.status_code == 403
    assert not Organisation.objects.get(pk=organisation.pk).force_2fa


def test_member_without_2fa__organisation_data__403_saying_why(forced, member_user, project):
    client = _token_client(member_user)

    response = client.get(f"/api/v1/projects/{project.id}/")

    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]
    assert client.get("/api/v1/projects/").status_code == 403


def test_member_without_2fa__account_and_organisation_list__still_open(forced, member_user):
    client = _token_client(member_user)

    organisations = client.get("/api/v1/organisations/")

    assert organisations.status_code == 200
    assert organisations.json()["results"][0]["force_2fa"] is True
    assert client.get("/api/v1/auth/users/me/").status_code == 200
    assert client.get("/api/v1/auth/mfa/user-active-methods/").status_code == 200
    assert client.post("/api/v1/organisations/", {"name": "Mine"}, format="json").status_code == 403


def test_member_without_2fa__enrols__organisation_data_open(forced, member_user, project):
    client = _token_client(member_user)

    _enrol(client)

    assert client.get(f"/api/v1/projects/{project.id}/").status_code == 200


def test_member_without_2fa__session__403_too(forced, member_user, project):
    browser = Client()
    browser.force_login(member_user)

    response = browser.get(f"/api/v1/projects/{project.id}/")

    assert response.status_code == 403


def test_organisation_without_force__members_unaffected(organisation, member_user, project):
    assert _token_client(member_user).get(f"/api/v1/projects/{project.id}/").status_code == 200


def test_member_of_a_forced_and_a_free_organisation__held_back_everywhere_until_enrolled(forced, member_user):
    # As Flagsmith's dashboard does: any organisation that requires it sends the member to enrol first.
    free = OrganisationFactory(name="Free")
    MembershipFactory(organisation=free, user=member_user, role=OrganisationRole.ADMIN)
    free_project = ProjectFactory(organisation=free)

    assert _token_client(member_user).get(f"/api/v1/projects/{free_project.id}/").status_code == 403


def test_token_authentication__still_one_query(forced, member_user, django_assert_num_queries):
    client = _token_client(member_user)

    with django_assert_num_queries(2):  # the token with both checks, then the view's list
        client.get("/api/v1/auth/mfa/user-active-methods/")
