"""Routes mounted under every API version (``/api/v1/``, ``/api/v2/``).

Views branch on ``request.version`` where a contract differs between versions.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView, SpectacularYAMLAPIView

from core.docs import docs_permission_classes

urlpatterns = [
    # First: the SDK endpoints take nearly all the traffic, and Django tries patterns in order.
    path("", include("sdk.urls")),
    path("", include("documents.urls")),
    path("", include("users.urls")),
    path("", include("organisations.urls")),
    path("", include("projects.urls")),
    path("", include("environments.urls")),
    path("", include("identities.urls")),
    path("", include("features.urls")),
    path("", include("versioning.urls")),
    path("", include("segments.urls")),
    path("", include("audit.urls")),
    path("", include("webhooks.urls")),
    path("", include("analytics.urls")),
    path(
        "swagger.json",
        SpectacularJSONAPIView.as_view(permission_classes=docs_permission_classes()),
        name="schema-json",
    ),
    path(
        "swagger.yaml",
        SpectacularYAMLAPIView.as_view(permission_classes=docs_permission_classes()),
        name="schema-yaml",
    ),
    path(
        "docs/",
        # The split view serves its start-up script as a file: the Content-Security-Policy allows no inline script.
        SpectacularSwaggerSplitView.as_view(url_name="schema-json", permission_classes=docs_permission_classes()),
        name="swagger-ui",
    ),
]
