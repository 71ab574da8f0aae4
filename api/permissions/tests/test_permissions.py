"""Grants, groups, my-permissions and organisation API keys, beyond the matrix's statuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from organisations.models import OrganisationAPIKey, OrganisationRole
from organisations.tests.factories import MembershipFactory
from organisations.throttling import MasterAPIKeyRateThrottle, UserRateThrottle
from permissions.models import (
    CREATE_FEATURE,
    CREATE_PROJECT,
    MANAGE_USER_GROUPS,
    UPDATE_FEATURE_STATE,
    VIEW_ENVIRONMENT,
    VIEW_PROJECT,
)
from permissions.tests.factories import UserPermissionGroupFactory, add_to_group, grant, make_api_key
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def bare_member(organisation):
    """A member with no grant at all."""
    return MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user


# --- Visibility -------------------------------------------------------------------------


def test_projects__member_without_view_project__not_listed_and_404(api_client_for, bare_member, project):
    client = api_client_for(bare_member)

    assert client.get("/api/v1/projects/").json() == []
    assert client.get(f"/api/v1/projects/{project.id}/").status_code == 404


def test_projects__view_through_group__listed(api_client_for, bare_member, organisation, project):
    group = UserPermissionGroupFactory(organisation=organisation)
    add_to_group(group, bare_member)
    grant(group, project, [VIEW_PROJECT])

    assert [item["id"] for item in api_client_for(bare_member).get("/api/v1/projects/").json()] == [project.id]


def test_project_admin__may_change_environments_of_the_project(api_client_for, bare_member, project, environment):
    grant(bare_member, project, [], admin=True)

    response = api_client_for(bare_member).patch(
        f"/api/v1/environments/{environment.api_key}/", {"name": "Renamed"}, format="json"
    )

    assert response.status_code == 200


def test_removed_member__grants_no_longer_count(admin_client, api_client_for, bare_member, organisation, project):
    grant(bare_member, project, [VIEW_PROJECT])

    admin_client.post(f"/api/v1/organisations/{organisation.id}/remove-users/", [{"id": bare_member.id}], format="json")

    assert api_client_for(bare_member).get(f"/api/v1/projects/{project.id}/").status_code == 404


def test_create_project__create_project_permission__201_unless_restricted(api_client_for, bare_member, organisation):
    grant(bare_member, organisation, [CREATE_PROJECT])
    client = api_client_for(bare_member)

    allowed = client.post("/api/v1/projects/", {"name": "Mine", "organisation": organisation.id}, format="json")
    organisation.restrict_project_create_to_admin = True
    organisation.save()
    refused = client.post("/api/v1/projects/", {"name": "Again", "organisation": organisation.id}, format="json")

    assert allowed.status_code == 201
    assert refused.status_code == 403


# --- my-permissions and listings --------------------------------------------------------


def test_my_permissions__project_and_environment__keys_held(member_client, member_user, project, environment):
    grant(member_user, ProjectFactory(organisation=project.organisation), [CREATE_FEATURE])  # another project

    project_perms = member_client.get(f"/api/v1/projects/{project.id}/my-permissions/").json()
    environment_perms = member_client.get(f"/api/v1/environments/{environment.api_key}/my-permissions/").json()

    assert project_perms == {"admin": False, "permissions": [VIEW_PROJECT]}
    assert environment_perms["admin"] is False and VIEW_ENVIRONMENT in environment_perms["permissions"]


def test_my_permissions__organisation_admin__admin_with_every_key(admin_client, organisation, project):
    organisation_perms = admin_client.get(f"/api/v1/organisations/{organisation.id}/my-permissions/").json()
    project_perms = admin_client.get(f"/api/v1/projects/{project.id}/my-permissions/").json()

    assert organisation_perms == {"admin": True, "permissions": [CREATE_PROJECT, MANAGE_USER_GROUPS]}
    assert project_perms["admin"] is True and CREATE_FEATURE in project_perms["permissions"]


def test_permission_listings__keys_with_descriptions(member_client):
    environment_keys = member_client.get("/api/v1/environments/permissions/").json()

    assert {item["key"] for item in environment_keys} >= {VIEW_ENVIRONMENT, UPDATE_FEATURE_STATE}
    assert all(item["description"] for item in environment_keys)


# --- Granting: bad input is a 400 naming the field --------------------------------------


def test_grant__unknown_key__400_names_permissions(admin_client, bare_member, project):
    response = admin_client.post(
        f"/api/v1/projects/{project.id}/user-permissions/",
        {"user": bare_member.id, "permissions": ["VIEW_ENVIRONMENT"]},  # an environment key
        format="json",
    )

    assert response.status_code == 400 and "permissions" in response.json()


def test_grant__user_of_another_organisation__400_names_user(admin_client, outsider_user, project):
    response = admin_client.post(
        f"/api/v1/projects/{project.id}/user-permissions/",
        {"user": outsider_user.id, "permissions": [VIEW_PROJECT]},
        format="json",
    )

    assert response.status_code == 400 and "user" in response.json()


def test_grant__twice__400_not_500(admin_client, member_user, project):
    response = admin_client.post(
        f"/api/v1/projects/{project.id}/user-permissions/",
        {"user": member_user.id, "permissions": [VIEW_PROJECT]},
        format="json",
    )

    assert response.status_code == 400 and "user" in response.json()


def test_grant__then_member_may_act(admin_client, member_client, member_user, project):
    grant_id = admin_client.get(f"/api/v1/projects/{project.id}/user-permissions/").json()[0]["id"]

    admin_client.patch(
        f"/api/v1/projects/{project.id}/user-permissions/{grant_id}/",
        {"permissions": [VIEW_PROJECT, CREATE_FEATURE]},
        format="json",
    )
    response = member_client.post(f"/api/v1/projects/{project.id}/features/", {"name": "allowed"}, format="json")

    assert response.status_code == 201


# --- Groups -----------------------------------------------------------------------------


def test_group_admin__adds_members_to_own_group_only(api_client_for, bare_member, organisation):
    own = UserPermissionGroupFactory(organisation=organisation)
    other = UserPermissionGroupFactory(organisation=organisation)
    add_to_group(own, bare_member, admin=True)
    newcomer = MembershipFactory(organisation=organisation).user
    client = api_client_for(bare_member)
    base = f"/api/v1/organisations/{organisation.id}/groups"

    added = client.post(f"{base}/{own.id}/add-users/", {"user_ids": [newcomer.id]}, format="json")
    refused = client.post(f"{base}/{other.id}/add-users/", {"user_ids": [newcomer.id]}, format="json")

    assert added.status_code == 200 and newcomer.id in [user["id"] for user in added.json()["users"]]
    assert refused.status_code == 403


def test_group_add_users__outsider_user__400_names_user_ids(admin_client, organisation, outsider_user):
    group = UserPermissionGroupFactory(organisation=organisation)

    response = admin_client.post(
        f"/api/v1/organisations/{organisation.id}/groups/{group.id}/add-users/",
        {"user_ids": [outsider_user.id]},
        format="json",
    )

    assert response.status_code == 400 and "user_ids" in response.json()


def test_group_name__taken__400(admin_client, organisation):
    UserPermissionGroupFactory(organisation=organisation, name="Team")

    response = admin_client.post(f"/api/v1/organisations/{organisation.id}/groups/", {"name": "Team"}, format="json")

    assert response.status_code == 400 and "name" in response.json()


# --- Organisation API keys --------------------------------------------------------------


def test_api_key__create__key_shown_once_and_stored_hashed(admin_client, organisation):
    base = f"/api/v1/organisations/{organisation.id}/master-api-keys/"

    created = admin_client.post(base, {"name": "terraform"}, format="json").json()
    listed = admin_client.get(base).json()
    stored = OrganisationAPIKey.objects.get(prefix=created["prefix"])

    assert created["key"].startswith(f"{created['prefix']}.")
    assert listed[0]["key"] is None
    assert created["key"] not in stored.key_hash and stored.matches(created["key"])


def test_api_key__admin_key__acts_as_organisation_admin(organisation, project):
    _, key = make_api_key(organisation)

    response = key_client(key).post(f"/api/v1/projects/{project.id}/features/", {"name": "by_key"}, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"revoked": True}, "revoked"),
        ({"expiry_date": timezone.now() - timedelta(minutes=1)}, "expired"),
    ],
)
def test_api_key__revoked_or_expired__401(organisation, project, fields, message):
    _, key = make_api_key(organisation, **fields)

    response = key_client(key).get(f"/api/v1/projects/{project.id}/")

    assert response.status_code == 401 and message in response.json()["detail"]


def test_api_key__wrong_secret_or_garbage__401(organisation, project):
    api_key, _ = make_api_key(organisation)

    wrong = key_client(f"{api_key.prefix}.not-the-secret").get("/api/v1/projects/")
    garbage = key_client("nonsense").get("/api/v1/projects/")

    assert wrong.status_code == 401 and garbage.status_code == 401


def test_api_key__other_organisation__404(other_organisation, project):
    _, key = make_api_key(other_organisation)

    assert key_client(key).get(f"/api/v1/projects/{project.id}/").status_code == 404


def test_api_key__non_admin__holds_its_groups_grants_only(organisation, project, environment):
    group = UserPermissionGroupFactory(organisation=organisation)
    grant(group, project, [VIEW_PROJECT])
    _, key = make_api_key(organisation, is_admin=False, group=group)
    client = key_client(key)

    assert client.get(f"/api/v1/projects/{project.id}/").status_code == 200
    assert client.post(f"/api/v1/projects/{project.id}/features/", {"name": "x"}, format="json").status_code == 403
    assert client.get(f"/api/v1/environments/{environment.api_key}/").status_code == 404


def test_api_key__non_admin_without_group__400_names_group(admin_client, organisation):
    response = admin_client.post(
        f"/api/v1/organisations/{organisation.id}/master-api-keys/", {"name": "ci", "is_admin": False}, format="json"
    )

    assert response.status_code == 400 and "group" in response.json()


def test_api_key__cannot_create_organisations(organisation):
    _, key = make_api_key(organisation)

    assert key_client(key).post("/api/v1/organisations/", {"name": "Mine"}, format="json").status_code == 403


def test_throttles__keys_and_users_counted_apart(monkeypatch, organisation, project, admin_client):
    monkeypatch.setitem(MasterAPIKeyRateThrottle.THROTTLE_RATES, "master_api_key", "2/min")
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "100/min")
    _, key = make_api_key(organisation)
    client = key_client(key)

    key_statuses = [client.get(f"/api/v1/projects/{project.id}/").status_code for _ in range(3)]
    user_status = admin_client.get(f"/api/v1/projects/{project.id}/").status_code

    assert key_statuses == [200, 200, 429]
    assert user_status == 200


@pytest.mark.parametrize("path", ["/api/v1/auth/users/me/", "/api/v1/auth/token/", "/api/v1/users/join/abc/"])
def test_api_key__user_account_endpoints__403_not_a_user(organisation, path):
    _, key = make_api_key(organisation)

    responses = [getattr(key_client(key), method)(path, {}, format="json") for method in ("get", "post", "delete")]

    assert {response.status_code for response in responses} == {403}
