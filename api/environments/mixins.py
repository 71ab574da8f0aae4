from __future__ import annotations

from django.shortcuts import get_object_or_404

from environments.models import Environment
from permissions.access import mark_visible


class EnvironmentNestedMixin:
    """For routes under ``environments/{environment_api_key}/``: the environment, scoped to the caller (else 404)."""

    def get_environment(self) -> Environment:
        if not hasattr(self, "_environment"):
            self._environment = get_object_or_404(
                Environment.objects.for_user(self.request.user).select_related("project__organisation"),  # type: ignore[attr-defined]
                api_key=self.kwargs["environment_api_key"],  # type: ignore[attr-defined]
            )
            mark_visible(self._environment, self.request.user)  # type: ignore[attr-defined]
        return self._environment

    def get_permission_target(self, obj: object = None) -> Environment:
        return self.get_environment()
