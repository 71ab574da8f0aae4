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
    UnslashedGroupAdminViewSet,
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
    # Flagsmith routes these two without a trailing slash, and its dashboard calls them so.
    path(
        "organisations/<int:organisation_pk>/groups/<int:pk>/users/<int:user_pk>/make-admin",
        UnslashedGroupAdminViewSet.as_view({"post": "make_admin"}),
        name="organisation-group-make-admin",
    ),
    path(
        "organisations/<int:organisation_pk>/groups/<int:pk>/users/<int:user_pk>/remove-admin",
        UnslashedGroupAdminViewSet.as_view({"post": "remove_admin"}),
        name="organisation-group-remove-admin",
    ),
    path("users/join/link/<str:hash>/", JoinOrganisationWithLinkView.as_view(), name="join-organisation-link"),
    path("users/join/<str:hash>/", JoinOrganisationView.as_view(), name="join-organisation"),
]
