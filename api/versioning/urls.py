"""Flagsmith's versioning routes (features/versioning/urls.py), and Banderole's schedules list."""

from django.urls import include, path
from rest_framework_nested import routers

from versioning.views import (
    ChangeRequestViewSet,
    CreateChangeRequestView,
    DisableV2VersioningView,
    EnableV2VersioningView,
    EnvironmentFeatureVersionFeatureStatesViewSet,
    EnvironmentFeatureVersionRetrieveAPIView,
    EnvironmentFeatureVersionViewSet,
    ListChangeRequestsView,
    ScheduledChangesView,
)

version_router = routers.SimpleRouter()
version_router.register("versions", EnvironmentFeatureVersionViewSet, basename="environment-feature-versions")
state_router = routers.NestedSimpleRouter(version_router, "versions", lookup="environment_feature_version")
state_router.register(
    "featurestates",
    EnvironmentFeatureVersionFeatureStatesViewSet,
    basename="environment-feature-version-featurestates",
)

change_request_router = routers.SimpleRouter()
change_request_router.register("features/workflows/change-requests", ChangeRequestViewSet, basename="change-request")

urlpatterns = [
    path("", include(change_request_router.urls)),
    path(
        "environments/<str:environment_api_key>/create-change-request/",
        CreateChangeRequestView.as_view(),
        name="environment-create-change-request",
    ),
    path(
        "environments/<str:environment_api_key>/list-change-requests/",
        ListChangeRequestsView.as_view(),
        name="environment-list-change-requests",
    ),
    path("environments/<int:environment_pk>/features/<int:feature_pk>/", include(version_router.urls)),
    path("environments/<int:environment_pk>/features/<int:feature_pk>/", include(state_router.urls)),
    path(
        "environment-feature-versions/<str:uuid>/",
        EnvironmentFeatureVersionRetrieveAPIView.as_view(),
        name="get-efv-by-uuid",
    ),
    path(
        "environments/<str:environment_api_key>/enable-v2-versioning/",
        EnableV2VersioningView.as_view(),
        name="environment-enable-v2-versioning",
    ),
    path(
        "environments/<str:environment_api_key>/disable-v2-versioning/",
        DisableV2VersioningView.as_view(),
        name="environment-disable-v2-versioning",
    ),
    path(
        "environments/<str:environment_api_key>/scheduled-changes/",
        ScheduledChangesView.as_view(),
        name="environment-scheduled-changes",
    ),
]
