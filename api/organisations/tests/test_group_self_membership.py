"""``MANAGE_USER_GROUPS`` without organisation admin: managing other people's membership, not one's own.

Finding (issue 17): holding only ``MANAGE_USER_GROUPS``, a member could add themselves
to a group that holds project admin. Decided: refused, as Flagsmith 2.265 refuses it
(``api/users/views.py``, ``add_users``/``remove_users``: "Non-admin users cannot add
themselves to a group."); docs/security.md says what the permission still allows.
"""

from __future__ import annotations

import pytest

from organisations.models import OrganisationRole, UserPermissionGroupMembership
from organisations.tests.factories import MembershipFactory
from permissions.models import MANAGE_USER_GROUPS
from permissions.tests.factories import UserPermissionGroupFactory, add_to_group, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins_group(organisation, project):
    group = UserPermissionGroupFactory(organisation=organisation, name="Project admins")
    grant(group, project, [], admin=True)
    return group


@pytest.fixture
def group_manager(organisation):
    """A plain member holding MANAGE_USER_GROUPS and nothing else."""
    user = MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user
    grant(user, organisation, [MANAGE_USER_GROUPS])
    return user


def _url(organisation, group, verb: str) -> str:
    return f"/api/v1/organisations/{organisation.id}/groups/{group.id}/{verb}/"


def test_add_users__manager_adds_self_to_admin_group__403_and_not_a_member(
    api_client_for, organisation, admins_group, group_manager, project
):
    client = api_client_for(group_manager)

    response = client.post(
        _url(organisation, admins_group, "add-users"), {"user_ids": [group_manager.id]}, format="json"
    )

    assert response.status_code == 403
    assert "themselves" in response.json()["detail"]
    assert not UserPermissionGroupMembership.objects.filter(group=admins_group, user=group_manager).exists()
    assert client.delete(f"/api/v1/projects/{project.id}/").status_code in (403, 404)


def test_add_users__manager_adds_self_among_others__403_and_nobody_added(
    api_client_for, organisation, admins_group, group_manager
):
    other = MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user

    response = api_client_for(group_manager).post(
        _url(organisation, admins_group, "add-users"), {"user_ids": [other.id, group_manager.id]}, format="json"
    )

    assert response.status_code == 403
    assert not admins_group.memberships.exists()


def test_add_users__manager_adds_another_member__200(api_client_for, organisation, admins_group, group_manager):
    other = MembershipFactory(organisation=organisation, role=OrganisationRole.USER).user

    response = api_client_for(group_manager).post(
        _url(organisation, admins_group, "add-users"), {"user_ids": [other.id]}, format="json"
    )

    assert response.status_code == 200
    assert admins_group.memberships.filter(user=other).exists()


def test_remove_users__manager_removes_self__403_as_in_flagsmith(
    api_client_for, organisation, admins_group, group_manager
):
    add_to_group(admins_group, group_manager)

    response = api_client_for(group_manager).post(
        _url(organisation, admins_group, "remove-users"), {"user_ids": [group_manager.id]}, format="json"
    )

    assert response.status_code == 403
    assert admins_group.memberships.filter(user=group_manager).exists()


def test_add_users__organisation_admin_adds_self__200(admin_client, admin_user, organisation, admins_group):
    response = admin_client.post(
        _url(organisation, admins_group, "add-users"), {"user_ids": [admin_user.id]}, format="json"
    )

    assert response.status_code == 200
    assert admins_group.memberships.filter(user=admin_user).exists()
