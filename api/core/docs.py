from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated


def docs_permission_classes() -> list[type[BasePermission]]:
    return [IsAuthenticated] if settings.REQUIRE_AUTHENTICATION_FOR_API_DOCS else [AllowAny]
