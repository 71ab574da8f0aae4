from django.urls import include, path
from rest_framework_nested import routers

from audit.views import AuditLogViewSet, OrganisationAuditLogViewSet, ProjectAuditLogViewSet
from organisations.views import OrganisationViewSet
from projects.views import ProjectViewSet

router = routers.SimpleRouter()
router.register("audit", AuditLogViewSet, basename="audit")

# The parents are registered only to nest under them.
parents = routers.SimpleRouter()
parents.register("projects", ProjectViewSet, basename="project")
parents.register("organisations", OrganisationViewSet, basename="organisation")
project_router = routers.NestedSimpleRouter(parents, "projects", lookup="project")
project_router.register("audit", ProjectAuditLogViewSet, basename="project-audit")
organisation_router = routers.NestedSimpleRouter(parents, "organisations", lookup="organisation")
organisation_router.register("audit", OrganisationAuditLogViewSet, basename="organisation-audit")

urlpatterns = [
    path("", include(router.urls)),
    path("", include(project_router.urls)),
    path("", include(organisation_router.urls)),
]
