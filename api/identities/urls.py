from django.urls import include, path
from rest_framework_nested import routers

from environments.views import EnvironmentViewSet
from identities.views import (
    EnvironmentTraitViewSet,
    IdentityFeatureStateViewSet,
    IdentityViewSet,
    TraitViewSet,
)

# The parent is registered only to nest under it; its own routes live in environments.urls.
parents = routers.SimpleRouter()
parents.register("environments", EnvironmentViewSet, basename="environment")

environment_router = routers.NestedSimpleRouter(parents, "environments", lookup="environment")
environment_router.register("identities", IdentityViewSet, basename="environment-identity")

identity_router = routers.NestedSimpleRouter(environment_router, "identities", lookup="identity")
identity_router.register("traits", TraitViewSet, basename="environment-identity-trait")
identity_router.register("featurestates", IdentityFeatureStateViewSet, basename="environment-identity-featurestate")

urlpatterns = [
    path("", include(environment_router.urls)),
    path("", include(identity_router.urls)),
    path(
        "environments/<str:environment_api_key>/trait-keys/",
        EnvironmentTraitViewSet.as_view({"get": "trait_keys"}),
        name="environment-trait-keys",
    ),
    path(
        "environments/<str:environment_api_key>/delete-traits/",
        EnvironmentTraitViewSet.as_view({"post": "delete_traits"}),
        name="environment-delete-traits",
    ),
]
