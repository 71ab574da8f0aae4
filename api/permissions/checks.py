"""Who may see and do what: the one place that answers it for users and API keys.

A *principal* is an authenticated ``User`` or an ``APIKeyUser``. Rules, as Flagsmith's:

- An organisation ADMIN (or an admin API key) may do everything in the organisation.
- A project admin grant implies every project and environment permission in that project.
- An environment admin grant implies every environment permission there.
- Otherwise a principal holds the keys granted to it directly or through its groups
  (a non-admin API key: through its one group). Grants count only while the user is
  still a member of the organisation.

Visibility is a permission too: VIEW_PROJECT to see a project, VIEW_ENVIRONMENT to see
an environment. Querysets are scoped with these, so an invisible object is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from environments.models import Environment
from organisations.authentication import is_api_key_user
from organisations.models import Organisation, OrganisationRole, UserOrganisation, UserPermissionGroup
from permissions.models import (
    VIEW_ENVIRONMENT,
    VIEW_PROJECT,
    EnvironmentPermission,
    OrganisationPermission,
    PermissionType,
    ProjectPermission,
    keys_of,
)
from projects.models import Project


def _organisation_ids(principal: Any, *, admin: bool) -> Any:
    """The organisations the principal belongs to (or administers), as a subquery or a list."""
    if not getattr(principal, "is_authenticated", False):
        return []
    if is_api_key_user(principal):
        return [principal.organisation_id] if (principal.is_admin or not admin) else []
    memberships = UserOrganisation.objects.filter(user=principal)
    if admin:
        memberships = memberships.filter(role=OrganisationRole.ADMIN)
    return memberships.values("organisation_id")


def member_organisation_ids(principal: Any) -> Any:
    return _organisation_ids(principal, admin=False)


def admin_organisation_ids(principal: Any) -> Any:
    return _organisation_ids(principal, admin=True)


def _grantee(principal: Any) -> Q:
    """Grants that apply to the principal: its own and its groups'."""
    if is_api_key_user(principal):
        return Q(group_id=principal.group_id) if principal.group_id else Q(pk__in=[])
    return Q(user=principal) | Q(group__in=UserPermissionGroup.objects.filter(users=principal).values("pk"))


def organisations_for(principal: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=member_organisation_ids(principal))


def is_organisation_admin(principal: Any, organisation: Organisation | int) -> bool:
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    if not getattr(principal, "is_authenticated", False):
        return False
    if is_api_key_user(principal):
        return principal.is_admin and principal.organisation_id == organisation_id
    return UserOrganisation.objects.filter(
        user=principal, organisation_id=organisation_id, role=OrganisationRole.ADMIN
    ).exists()


def is_organisation_member(principal: Any, organisation: Organisation | int) -> bool:
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    return organisations_for(principal).filter(pk=organisation_id).exists()


def organisation_permissions(principal: Any, organisation: Organisation) -> tuple[bool, set[str]]:
    """``(admin, keys)`` the principal holds on the organisation."""
    if is_organisation_admin(principal, organisation):
        return True, set(keys_of(PermissionType.ORGANISATION))
    if not is_organisation_member(principal, organisation):
        return False, set()
    keys = OrganisationPermission.objects.filter(_grantee(principal), organisation=organisation).values_list(
        "permissions", flat=True
    )
    return False, {key for key in keys if key}


def has_organisation_permission(principal: Any, organisation: Organisation, key: str) -> bool:
    admin, keys = organisation_permissions(principal, organisation)
    return admin or key in keys


def _project_grants(principal: Any, key: str | None) -> QuerySet[ProjectPermission]:
    grants = ProjectPermission.objects.filter(_grantee(principal))
    return grants.filter(admin=True) if key is None else grants.filter(Q(admin=True) | Q(permissions=key))


def projects_for(principal: Any, key: str = VIEW_PROJECT) -> QuerySet[Project]:
    """Projects on which the principal holds ``key`` (VIEW_PROJECT: the projects it can see)."""
    if not getattr(principal, "is_authenticated", False):
        return Project.objects.none()
    return Project.objects.filter(
        Q(organisation_id__in=admin_organisation_ids(principal))
        | Q(pk__in=_project_grants(principal, key).values("project_id")),
        organisation_id__in=member_organisation_ids(principal),
    )


def environments_for(principal: Any, key: str = VIEW_ENVIRONMENT) -> QuerySet[Environment]:
    """Environments on which the principal holds ``key`` (VIEW_ENVIRONMENT: the ones it can see)."""
    if not getattr(principal, "is_authenticated", False):
        return Environment.objects.none()
    environment_grants = EnvironmentPermission.objects.filter(_grantee(principal)).filter(
        Q(admin=True) | Q(permissions=key)
    )
    return Environment.objects.filter(
        Q(project__organisation_id__in=admin_organisation_ids(principal))
        | Q(project_id__in=_project_grants(principal, None).values("project_id"))
        | Q(pk__in=environment_grants.values("environment_id")),
        project__organisation_id__in=member_organisation_ids(principal),
    )


def has_project_permission(principal: Any, project: Project, key: str) -> bool:
    return projects_for(principal, key).filter(pk=project.pk).exists()


def is_project_admin(principal: Any, project: Project) -> bool:
    if is_organisation_admin(principal, project.organisation_id):
        return True
    return (
        is_organisation_member(principal, project.organisation_id)
        and _project_grants(principal, None).filter(project=project).exists()
    )


def has_environment_permission(principal: Any, environment: Environment, key: str) -> bool:
    return environments_for(principal, key).filter(pk=environment.pk).exists()


def is_environment_admin(principal: Any, environment: Environment) -> bool:
    if is_project_admin(principal, environment.project):
        return True
    return (
        is_organisation_member(principal, environment.project.organisation_id)
        and EnvironmentPermission.objects.filter(_grantee(principal), environment=environment, admin=True).exists()
    )


def project_permissions(principal: Any, project: Project) -> tuple[bool, set[str]]:
    """``(admin, keys)`` the principal holds on the project, for ``my-permissions/``."""
    if is_project_admin(principal, project):
        return True, set(keys_of(PermissionType.PROJECT))
    if not is_organisation_member(principal, project.organisation_id):
        return False, set()
    keys = ProjectPermission.objects.filter(_grantee(principal), project=project).values_list("permissions", flat=True)
    return False, {key for key in keys if key}


def environment_permissions(principal: Any, environment: Environment) -> tuple[bool, set[str]]:
    if is_environment_admin(principal, environment):
        return True, set(keys_of(PermissionType.ENVIRONMENT))
    if not is_organisation_member(principal, environment.project.organisation_id):
        return False, set()
    keys = EnvironmentPermission.objects.filter(_grantee(principal), environment=environment).values_list(
        "permissions", flat=True
    )
    return False, {key for key in keys if key}
