from django.urls import include, path
from rest_framework_nested import routers

from environments.views import EnvironmentAPIKeyViewSet, EnvironmentViewSet

router = routers.SimpleRouter()
router.register("environments", EnvironmentViewSet, basename="environment")

environment_router = routers.NestedSimpleRouter(router, "environments", lookup="environment")
environment_router.register("api-keys", EnvironmentAPIKeyViewSet, basename="environment-api-key")

urlpatterns = [
    path("", include(router.urls)),
    path("", include(environment_router.urls)),
    path("", include("environments.identities.urls")),
]
