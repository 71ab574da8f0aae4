from django.urls import include, path
from rest_framework_nested import routers

from organisations.views import (
    InviteLinkViewSet,
    InviteViewSet,
    JoinOrganisationView,
    JoinOrganisationWithLinkView,
    OrganisationUserViewSet,
    OrganisationViewSet,
)

router = routers.SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")

organisation_router = routers.NestedSimpleRouter(router, "organisations", lookup="organisation")
organisation_router.register("users", OrganisationUserViewSet, basename="organisation-user")
organisation_router.register("invites", InviteViewSet, basename="organisation-invite")
organisation_router.register("invite-links", InviteLinkViewSet, basename="organisation-invite-link")

urlpatterns = [
    path("", include(router.urls)),
    path("", include(organisation_router.urls)),
    path("users/join/link/<str:hash>/", JoinOrganisationWithLinkView.as_view(), name="join-organisation-link"),
    path("users/join/<str:hash>/", JoinOrganisationView.as_view(), name="join-organisation"),
]
