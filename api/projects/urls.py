from django.urls import include, path
from rest_framework_nested import routers

from permissions.views import ProjectGroupPermissionViewSet, ProjectUserPermissionViewSet
from projects.views import ProjectViewSet

router = routers.SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")

project_router = routers.NestedSimpleRouter(router, "projects", lookup="project")
project_router.register("user-permissions", ProjectUserPermissionViewSet, basename="project-user-permission")
project_router.register("user-group-permissions", ProjectGroupPermissionViewSet, basename="project-group-permission")

urlpatterns = [path("", include(router.urls)), path("", include(project_router.urls))]
