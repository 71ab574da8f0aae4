from django.urls import include, path
from rest_framework_nested import routers

from projects.views import ProjectViewSet
from segments.views import SegmentViewSet

# The parent is registered only to nest under it; its own routes live in projects.urls.
parents = routers.SimpleRouter()
parents.register("projects", ProjectViewSet, basename="project")

project_router = routers.NestedSimpleRouter(parents, "projects", lookup="project")
project_router.register("segments", SegmentViewSet, basename="project-segment")

urlpatterns = [
    path("", include(project_router.urls)),
]
