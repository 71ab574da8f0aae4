from django.urls import include, path
from rest_framework_nested import routers

from organisations.views import (
    InviteLinkViewSet,
    InviteViewSet,
    JoinOrganisationView,
    JoinOrganisationWithLinkView,
    MetadataFieldsView,
    OrganisationAPIKeyViewSet,
    OrganisationUserViewSet,
    OrganisationViewSet,
    UserPermissionGroupViewSet,
)
from permissions.views import OrganisationGroupPermissionViewSet, OrganisationUserPermissionViewSet

router = routers.SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")

organisation_router = routers.NestedSimpleRouter(router, "organisations", lookup="organisation")
organisation_router.register("users", OrganisationUserViewSet, basename="organisation-user")
organisation_router.register("invites", InviteViewSet, basename="organisation-invite")
organisation_router.register("invite-links", InviteLinkViewSet, basename="organisation-invite-link")
organisation_router.register("groups", UserPermissionGroupViewSet, basename="organisation-group")
organisation_router.register("master-api-keys", OrganisationAPIKeyViewSet, basename="organisation-master-api-key")
organisation_router.register(
    "user-permissions", OrganisationUserPermissionViewSet, basename="organisation-user-permission"
)
organisation_router.register(
    "user-group-permissions", OrganisationGroupPermissionViewSet, basename="organisation-group-permission"
)

urlpatterns = [
    path("", include(router.urls)),
    path("", include(organisation_router.urls)),
    path("metadata/fields/", MetadataFieldsView.as_view(), name="metadata-fields"),
    path("users/join/link/<str:hash>/", JoinOrganisationWithLinkView.as_view(), name="join-organisation-link"),
    path("users/join/<str:hash>/", JoinOrganisationView.as_view(), name="join-organisation"),
]
