"""Who may do what inside an organisation.

Visibility is handled by scoping querysets to the user's organisations (so an
outsider gets 404); these classes decide what a visible object's members may do:
every member reads, only an organisation ADMIN changes. Finer per-project and
per-environment permissions build on this (see the permissions issue).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from organisations.models import Organisation, OrganisationRole, UserOrganisation


def organisation_role(user: Any, organisation: Organisation | int) -> str | None:
    """The user's role in the organisation, or None if they are not a member."""
    if not user.is_authenticated:
        return None
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    return (
        UserOrganisation.objects.filter(user=user, organisation_id=organisation_id)
        .values_list("role", flat=True)
        .first()
    )


def is_organisation_admin(user: Any, organisation: Organisation | int) -> bool:
    return organisation_role(user, organisation) == OrganisationRole.ADMIN


class OrganisationPermission(BasePermission):
    message = "Only an organisation admin may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user.is_authenticated:
            return False
        if view.action == "create" and settings.RESTRICT_ORG_CREATE_TO_SUPERUSERS:
            self.message = "Only superusers may create organisations on this installation."
            return bool(request.user.is_superuser)
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Organisation) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return is_organisation_admin(request.user, obj)


class ChangedByOrganisationAdmin(BasePermission):
    """For objects inside an organisation: members read, ADMINs write.

    The view provides ``get_permission_organisation(obj=None)``.
    """

    message = "Only an organisation admin may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user.is_authenticated:
            return False
        organisation = view.get_permission_organisation()
        if organisation is None:  # top-level list/create: the object decides
            return True
        if request.method in SAFE_METHODS and not getattr(view, "admin_only", False):
            return True
        return is_organisation_admin(request.user, organisation)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS and not getattr(view, "admin_only", False):
            return True
        return is_organisation_admin(request.user, view.get_permission_organisation(obj))
