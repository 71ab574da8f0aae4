"""The DRF permission class every admin viewset uses, driven by what the view declares.

A view declares ``permission_keys``: action name → the key it needs, one of the
``permissions.models`` keys or ``ADMIN`` (an admin of the target) or ``MEMBER`` (any
member of the target's organisation). It provides ``get_permission_target(obj=None)``:
the organisation, project or environment the key is checked on, or None when only the
object can tell (a top-level create or list, checked in the view).

Nested routes scope their parent to what the principal can see first (404 otherwise),
so a 403 here only ever tells a principal about an object it can already see.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from environments.models import Environment
from organisations.models import Organisation
from permissions import checks
from permissions.models import VIEW_ENVIRONMENT, VIEW_PROJECT
from projects.models import Project

ADMIN = "ADMIN"
MEMBER = "MEMBER"


VISIBLE_TO = "_visible_to"


def mark_visible(target: Project | Environment, principal: Any) -> None:
    """Note that ``target`` was fetched through ``for_user(principal)``: its view key is already checked."""
    setattr(target, VISIBLE_TO, principal)


def holds(principal: Any, target: Organisation | Project | Environment, key: str) -> bool:
    """Whether the principal holds ``key`` (or ADMIN, or MEMBER) on the target."""
    if key in (VIEW_PROJECT, VIEW_ENVIRONMENT) and getattr(target, VISIBLE_TO, None) is principal:
        return True
    if isinstance(target, Organisation):
        if key == MEMBER:
            return checks.is_organisation_member(principal, target)
        if key == ADMIN:
            return checks.is_organisation_admin(principal, target)
        return checks.has_organisation_permission(principal, target, key)
    if isinstance(target, Project):
        if key == ADMIN:
            return checks.is_project_admin(principal, target)
        if key == MEMBER:
            return checks.is_organisation_member(principal, target.organisation_id)
        return checks.has_project_permission(principal, target, key)
    if key == ADMIN:
        return checks.is_environment_admin(principal, target)
    if key == MEMBER:
        return checks.is_organisation_member(principal, target.project.organisation_id)
    return checks.has_environment_permission(principal, target, key)


def required_key(view: Any, obj: Any = None) -> str | None:
    custom = getattr(view, "get_required_permission", None)
    if custom is not None:
        return custom(obj)
    return view.permission_keys.get(view.action)


class HasPermission(BasePermission):
    message = "You do not have permission to do this."

    def _allowed(self, request: Request, view: Any, obj: Any = None) -> bool:
        key = required_key(view, obj)
        if key is None:
            return True
        target = view.get_permission_target(obj)
        if target is None:
            return True
        if not holds(request.user, target, key):
            self.message = (
                f"You need the {key} permission here." if key not in (ADMIN, MEMBER) else ("Only an admin may do this.")
            )
            return False
        return True

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        return self._allowed(request, view)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return self._allowed(request, view, obj)
