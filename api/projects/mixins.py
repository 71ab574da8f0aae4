from __future__ import annotations

from django.shortcuts import get_object_or_404

from permissions.access import mark_visible
from projects.models import Project


class ProjectNestedMixin:
    """For routes under ``projects/{project_pk}/``: the project, scoped to the caller (else 404)."""

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            self._project = get_object_or_404(
                Project.objects.for_user(self.request.user).select_related("organisation"),  # type: ignore[attr-defined]
                pk=self.kwargs["project_pk"],  # type: ignore[attr-defined]
            )
            mark_visible(self._project, self.request.user)  # type: ignore[attr-defined]
        return self._project

    def get_permission_target(self, obj: object = None) -> Project:
        return self.get_project()
