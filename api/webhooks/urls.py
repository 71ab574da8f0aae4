from django.urls import include, path
from rest_framework_nested import routers

from environments.views import EnvironmentViewSet
from organisations.views import OrganisationViewSet
from webhooks.views import EnvironmentWebhookViewSet, OrganisationWebhookViewSet, TestWebhookView

# The parents are registered only to nest under them.
parents = routers.SimpleRouter()
parents.register("environments", EnvironmentViewSet, basename="environment")
parents.register("organisations", OrganisationViewSet, basename="organisation")
environment_router = routers.NestedSimpleRouter(parents, "environments", lookup="environment")
environment_router.register("webhooks", EnvironmentWebhookViewSet, basename="environment-webhook")
organisation_router = routers.NestedSimpleRouter(parents, "organisations", lookup="organisation")
organisation_router.register("webhooks", OrganisationWebhookViewSet, basename="organisation-webhook")

urlpatterns = [
    path("", include(environment_router.urls)),
    path("", include(organisation_router.urls)),
    path("webhooks/test/", TestWebhookView.as_view(), name="webhook-test"),
]
