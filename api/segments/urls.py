from django.urls import include, path
from rest_framework_nested import routers

from projects.views import ProjectViewSet
from segments.views import SegmentByUUIDView, SegmentViewSet

# The parent is registered only to nest under it; its own routes live in projects.urls.
parents = routers.SimpleRouter()
parents.register("projects", ProjectViewSet, basename="project")

project_router = routers.NestedSimpleRouter(parents, "projects", lookup="project")
project_router.register("segments", SegmentViewSet, basename="project-segment")

urlpatterns = [
    path("segments/get-by-uuid/<uuid:uuid>/", SegmentByUUIDView.as_view(), name="segment-get-by-uuid"),
    path("", include(project_router.urls)),
]
