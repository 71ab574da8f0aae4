from django.urls import include, path
from rest_framework_nested import routers

from environments.views import EnvironmentAPIKeyViewSet, EnvironmentViewSet
from permissions.views import EnvironmentGroupPermissionViewSet, EnvironmentUserPermissionViewSet

router = routers.SimpleRouter()
router.register("environments", EnvironmentViewSet, basename="environment")

environment_router = routers.NestedSimpleRouter(router, "environments", lookup="environment")
environment_router.register("api-keys", EnvironmentAPIKeyViewSet, basename="environment-api-key")
environment_router.register(
    "user-permissions", EnvironmentUserPermissionViewSet, basename="environment-user-permission"
)
environment_router.register(
    "user-group-permissions", EnvironmentGroupPermissionViewSet, basename="environment-group-permission"
)

urlpatterns = [
    path("", include(router.urls)),
    path("", include(environment_router.urls)),
]
