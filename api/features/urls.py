from django.urls import include, path
from rest_framework_nested import routers

from environments.views import EnvironmentViewSet
from features.views import (
    CreateSegmentOverrideView,
    EnvironmentMetricsView,
    FeatureByUUIDView,
    FeatureSegmentViewSet,
    FeatureStateByUUIDView,
    FeatureStateViewSet,
    FeatureViewSet,
    MultivariateFeatureOptionViewSet,
    MultivariateOptionByUUIDView,
    SimpleFeatureStateViewSet,
    TagViewSet,
)
from projects.views import ProjectViewSet

# The parents are registered only to nest under them; their own routes live in
# projects.urls and environments.urls.
parents = routers.SimpleRouter()
parents.register("projects", ProjectViewSet, basename="project")
parents.register("environments", EnvironmentViewSet, basename="environment")

project_router = routers.NestedSimpleRouter(parents, "projects", lookup="project")
project_router.register("features", FeatureViewSet, basename="project-feature")
project_router.register("tags", TagViewSet, basename="project-tag")

feature_router = routers.NestedSimpleRouter(project_router, "features", lookup="feature")
feature_router.register("mv-options", MultivariateFeatureOptionViewSet, basename="project-feature-mv-option")

environment_router = routers.NestedSimpleRouter(parents, "environments", lookup="environment")
environment_router.register("featurestates", FeatureStateViewSet, basename="environment-featurestate")

feature_segment_router = routers.SimpleRouter()
feature_segment_router.register("features/feature-segments", FeatureSegmentViewSet, basename="feature-segment")
feature_segment_router.register("features/featurestates", SimpleFeatureStateViewSet, basename="featurestate")

urlpatterns = [
    # Flagsmith's uuid lookups (its Terraform provider keeps objects by uuid).
    path("features/get-by-uuid/<uuid:uuid>/", FeatureByUUIDView.as_view(), name="feature-get-by-uuid"),
    path(
        "features/featurestates/get-by-uuid/<uuid:uuid>/",
        FeatureStateByUUIDView.as_view(),
        name="featurestate-get-by-uuid",
    ),
    path(
        "multivariate/options/get-by-uuid/<uuid:uuid>/",
        MultivariateOptionByUUIDView.as_view(),
        name="multivariate-option-get-by-uuid",
    ),
    path("", include(project_router.urls)),
    path("", include(feature_router.urls)),
    path("", include(environment_router.urls)),
    path("", include(feature_segment_router.urls)),
    path(
        "environments/<str:environment_api_key>/metrics/",
        EnvironmentMetricsView.as_view(),
        name="environment-metrics",
    ),
    path(
        "environments/<str:environment_api_key>/features/<int:feature_pk>/create-segment-override/",
        CreateSegmentOverrideView.as_view(),
        name="environment-feature-create-segment-override",
    ),
]
