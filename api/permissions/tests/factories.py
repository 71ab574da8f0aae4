"""Granting permissions in tests: ``grant(user_or_group, target, keys, admin=False)``."""

from __future__ import annotations

from typing import Any

import factory

from environments.models import Environment
from organisations.models import (
    Organisation,
    OrganisationAPIKey,
    UserPermissionGroup,
    UserPermissionGroupMembership,
)
from organisations.tests.factories import OrganisationFactory
from permissions.models import EnvironmentPermission, OrganisationPermission, ProjectPermission
from projects.models import Project


class UserPermissionGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserPermissionGroup

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


def add_to_group(group: UserPermissionGroup, user: Any, admin: bool = False) -> UserPermissionGroupMembership:
    return UserPermissionGroupMembership.objects.create(group=group, user=user, group_admin=admin)


def grant(grantee: Any, target: Organisation | Project | Environment, keys: list[str], admin: bool = False) -> Any:
    """Grant ``keys`` (and optionally admin) on the target to a user or a group."""
    who = {"group": grantee} if isinstance(grantee, UserPermissionGroup) else {"user": grantee}
    if isinstance(target, Organisation):
        permission = OrganisationPermission.objects.create(organisation=target, **who)
    elif isinstance(target, Project):
        permission = ProjectPermission.objects.create(project=target, admin=admin, **who)
    else:
        permission = EnvironmentPermission.objects.create(environment=target, admin=admin, **who)
    permission.permissions.set(keys)
    return permission


def make_api_key(organisation: Organisation, **fields: Any) -> tuple[OrganisationAPIKey, str]:
    """An organisation API key and its plain text."""
    api_key = OrganisationAPIKey(organisation=organisation, name=fields.pop("name", "ci"), **fields)
    prefix, key = OrganisationAPIKey.generate_key()
    api_key.set_key(prefix, key)
    api_key.save()
    return api_key, key
