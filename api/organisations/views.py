from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import probes, versions
from core.throttling import ScopedRateThrottle
from core.viewsets import ReplicaListMixin, UUIDLookupMixin
from organisations import services
from organisations.authentication import is_api_key_user
from organisations.models import (
    Invite,
    InviteLink,
    Organisation,
    OrganisationAPIKey,
    UserPermissionGroup,
    UserPermissionGroupMembership,
)
from organisations.serializers import (
    SELF_HOSTED_SUBSCRIPTION_METADATA,
    GroupUserIdsSerializer,
    InviteLinkSerializer,
    InviteSerializer,
    MultiInviteResponseSerializer,
    MultiInviteSerializer,
    OrganisationAPIKeySerializer,
    OrganisationMemberSerializer,
    OrganisationSerializer,
    RemoveUserSerializer,
    SubscriptionMetadataSerializer,
    UpdateRoleSerializer,
    UsageDataSerializer,
    UsageTotalCountSerializer,
    UserPermissionGroupSerializer,
    UserPermissionGroupSummarySerializer,
)
from permissions import checks
from permissions.access import ADMIN, MEMBER, HasPermission
from permissions.models import MANAGE_USER_GROUPS, PermissionType
from permissions.serializers import MyPermissionsSerializer, PermissionKeySerializer
from projects.models import Project
from projects.serializers import ProjectSerializer
from users.models import User


class OrganisationViewSet(UUIDLookupMixin, ReplicaListMixin, viewsets.ModelViewSet):
    """The caller's organisations: members read, organisation admins change."""

    serializer_class = OrganisationSerializer
    permission_classes = [HasPermission]
    permission_keys = {
        "retrieve": MEMBER,
        "get_by_uuid": MEMBER,
        "projects": MEMBER,
        "my_permissions": MEMBER,
        "update": ADMIN,
        "partial_update": ADMIN,
        "destroy": ADMIN,
        "remove_users": ADMIN,
        "invite": ADMIN,
        # Flagsmith: organisation admins only (OrganisationPermission, UsageDataPermission).
        "get_subscription_metadata": ADMIN,
        "usage_data": ADMIN,
        "usage_data_total_count": ADMIN,
        "integrations": MEMBER,
        "metadata_model_fields": MEMBER,
        "metadata_supported_content_types": MEMBER,
    }
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Organisation]:
        # num_seats in one query for a whole list.
        return (
            Organisation.objects.for_user(self.request.user)
            .annotate(member_count=Count("memberships"))
            # Meta.ordering does not apply to an aggregating query.
            .order_by("id")
        )

    def get_permission_target(self, obj: Organisation | None = None) -> Organisation | None:
        return obj

    def perform_create(self, serializer: OrganisationSerializer) -> None:
        if is_api_key_user(self.request.user):
            raise PermissionDenied("An organisation API key cannot create organisations.")
        if settings.RESTRICT_ORG_CREATE_TO_SUPERUSERS and not self.request.user.is_superuser:
            raise PermissionDenied("Only superusers may create organisations on this installation.")
        serializer.instance = services.create_organisation(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: OrganisationSerializer) -> None:
        serializer.instance = services.update_organisation(
            serializer.instance, serializer.validated_data, self.request.user
        )

    def perform_destroy(self, instance: Organisation) -> None:
        # One batch for the cascade: its per-row receivers would bump environments that are going away.
        with versions.batch():
            instance.delete()

    @extend_schema(responses=ProjectSerializer(many=True))
    @action(detail=True, methods=["get"])
    def projects(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The organisation's projects the caller may see."""
        organisation = self.get_object()
        projects = Project.objects.for_user(request.user).filter(organisation=organisation)
        return Response(ProjectSerializer(projects, many=True, context=self.get_serializer_context()).data)

    @extend_schema(responses=MyPermissionsSerializer)
    @action(detail=True, methods=["get"], url_path="my-permissions", pagination_class=None)
    def my_permissions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        admin, keys = checks.organisation_permissions(request.user, self.get_object())
        return Response({"admin": admin, "permissions": sorted(keys)})

    @extend_schema(responses=PermissionKeySerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def permissions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The organisation-level permission keys."""
        from permissions.views import permission_keys_response

        return permission_keys_response(PermissionType.ORGANISATION)

    @extend_schema(responses=SubscriptionMetadataSerializer)
    @action(detail=True, methods=["get"], url_path="get-subscription-metadata")
    def get_subscription_metadata(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The plan's limits, as Flagsmith answers them: null where there is none (all, here)."""
        self.get_object()
        return Response(SubscriptionMetadataSerializer(SELF_HOSTED_SUBSCRIPTION_METADATA).data)

    @extend_schema(responses=UsageDataSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="usage-data", pagination_class=None)
    def usage_data(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """API usage by day: none recorded, as a Flagsmith without an analytics database answers."""
        self.get_object()
        return Response([])

    @extend_schema(responses=UsageTotalCountSerializer)
    @action(detail=True, methods=["get"], url_path="usage-data/total-count", pagination_class=None)
    def usage_data_total_count(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.get_object()
        return Response({"count": 0})

    # Flagsmith's dashboard asks for these on its ordinary pages; none exist here.
    @extend_schema(responses=probes.EmptyListSerializer)
    @action(detail=True, methods=["get"], url_path=probes.INTEGRATION_PATH, pagination_class=None)
    def integrations(self, request: Request, *args: Any, integration: str, **kwargs: Any) -> Response:
        """A kind of Flagsmith integration (github…): none configured here."""
        self.get_object()
        return probes.empty_list()

    @extend_schema(responses=probes.EmptyPageSerializer)
    @action(detail=True, methods=["get"], url_path="metadata-model-fields")
    def metadata_model_fields(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Flagsmith's metadata fields attached to kinds of objects: none here."""
        self.get_object()
        return probes.empty_page()

    @extend_schema(responses=probes.EmptyListSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path="metadata-model-fields/supported-content-types",
        pagination_class=None,
    )
    def metadata_supported_content_types(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The kinds of objects metadata could be attached to: none here."""
        self.get_object()
        return probes.empty_list()

    def get_throttles(self) -> list[Any]:
        if self.action == "invite":
            # Each invite sends an email: INVITE_THROTTLE_RATE, as InviteViewSet's create.
            self.throttle_scope = "invite"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(request=MultiInviteSerializer, responses={201: MultiInviteResponseSerializer})
    @action(detail=True, methods=["post"])
    def invite(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Flagsmith's dashboard invites several people at once, here."""
        organisation = self.get_object()
        body = MultiInviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invites = services.create_invites(
            organisation=organisation,
            invited_by=None if is_api_key_user(request.user) else request.user,
            invites=body.validated_data["invites"],
        )
        return Response({"invites": InviteSerializer(invites, many=True).data}, status=status.HTTP_201_CREATED)

    @extend_schema(request=RemoveUserSerializer(many=True), responses={204: None})
    @action(detail=True, methods=["post"], url_path="remove-users")
    def remove_users(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organisation = self.get_object()
        serializer = RemoveUserSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        services.remove_members(
            organisation=organisation,
            user_ids={item["id"] for item in serializer.validated_data},
            actor=request.user,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrganisationNestedMixin:
    """For routes under ``organisations/{organisation_pk}/``: an outsider gets 404."""

    kwargs: dict[str, Any]
    request: Request

    def get_organisation(self) -> Organisation:
        if not hasattr(self, "_organisation"):
            self._organisation = get_object_or_404(
                Organisation.objects.for_user(self.request.user), pk=self.kwargs["organisation_pk"]
            )
        return self._organisation

    def get_permission_target(self, obj: Any = None) -> Organisation:
        return self.get_organisation()


class OrganisationUserViewSet(OrganisationNestedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The members of one organisation, with their roles: members read, admins change roles."""

    serializer_class = OrganisationMemberSerializer
    permission_classes = [HasPermission]
    permission_keys = {"list": MEMBER, "update_role": ADMIN}
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[User]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no organisation
            return User.objects.none()
        return User.objects.filter(memberships__organisation=self.get_organisation()).annotate(
            role=F("memberships__role")
        )

    @extend_schema(request=UpdateRoleSerializer, responses=OrganisationMemberSerializer)
    @action(detail=True, methods=["post"], url_path="update-role")
    def update_role(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        serializer = UpdateRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_member_role(
            organisation=self.get_organisation(),
            user=user,
            role=serializer.validated_data["role"],
            actor=request.user,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=user.pk)).data)


class InviteViewSet(
    OrganisationNestedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = InviteSerializer
    permission_classes = [HasPermission]
    permission_keys = dict.fromkeys(("list", "retrieve", "create", "destroy", "resend"), ADMIN)
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "invite"
    lookup_value_regex = "[0-9]+"

    def get_throttles(self) -> list[Any]:
        return super().get_throttles() if self.action in ("create", "resend") else []

    def get_queryset(self) -> QuerySet[Invite]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no organisation
            return Invite.objects.none()
        return Invite.objects.filter(organisation=self.get_organisation()).select_related("invited_by")

    def perform_create(self, serializer: InviteSerializer) -> None:
        (serializer.instance,) = services.create_invites(
            organisation=self.get_organisation(),
            invited_by=None if is_api_key_user(self.request.user) else self.request.user,
            invites=[serializer.validated_data],
        )

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.send_invite_email(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class InviteLinkViewSet(
    OrganisationNestedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = InviteLinkSerializer
    permission_classes = [HasPermission]
    permission_keys = dict.fromkeys(("list", "retrieve", "create", "destroy", "resend"), ADMIN)
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[InviteLink]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no organisation
            return InviteLink.objects.none()
        return InviteLink.objects.filter(organisation=self.get_organisation())

    def perform_create(self, serializer: InviteLinkSerializer) -> None:
        serializer.save(organisation=self.get_organisation())


class MetadataFieldsView(APIView):
    """``GET metadata/fields/?organisation={id}``: Flagsmith's custom metadata fields of an
    organisation, which Flagsmith's dashboard lists in its settings; none exist here.
    """

    @extend_schema(
        parameters=[OpenApiParameter("organisation", int, required=True)],
        responses=probes.EmptyPageSerializer,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organisation_id = request.query_params.get("organisation", "")
        if not organisation_id.isdigit():
            return Response({"organisation": ["An organisation id is required."]}, status=400)
        get_object_or_404(Organisation.objects.for_user(request.user), pk=int(organisation_id))
        return probes.empty_page()


class JoinOrganisationView(APIView):
    """``users/join/{hash}/``: accept an email invite as the signed-in user."""

    @extend_schema(request=None, responses=OrganisationSerializer)
    def post(self, request: Request, hash: str, **kwargs: Any) -> Response:
        organisation = services.accept_invite(user=request.user, invite_hash=hash)
        return Response(OrganisationSerializer(organisation, context={"request": request}).data, status=201)


class JoinOrganisationWithLinkView(APIView):
    """``users/join/link/{hash}/``: join through a shared invite link."""

    @extend_schema(request=None, responses=OrganisationSerializer)
    def post(self, request: Request, hash: str, **kwargs: Any) -> Response:
        organisation = services.accept_invite_link(user=request.user, link_hash=hash)
        return Response(OrganisationSerializer(organisation, context={"request": request}).data, status=201)


class UserPermissionGroupViewSet(OrganisationNestedMixin, viewsets.ModelViewSet):
    """User groups of one organisation.

    Organisation admins and holders of MANAGE_USER_GROUPS manage every group; a group's
    admins add and remove its members; other members see the groups they belong to.
    """

    serializer_class = UserPermissionGroupSerializer
    permission_classes = [HasPermission]
    permission_keys = {
        "list": MEMBER,
        "retrieve": MEMBER,
        "my_groups": MEMBER,
        "summaries": MEMBER,
        "create": MANAGE_USER_GROUPS,
        "update": MANAGE_USER_GROUPS,
        "partial_update": MANAGE_USER_GROUPS,
        "destroy": MANAGE_USER_GROUPS,
        "make_admin": MANAGE_USER_GROUPS,
        "remove_admin": MANAGE_USER_GROUPS,
    }
    lookup_value_regex = "[0-9]+"

    def get_required_permission(self, obj: UserPermissionGroup | None = None) -> str | None:
        if self.action in ("add_users", "remove_users"):
            # Group admins may change their own group's members.
            if obj is not None and self._is_group_admin(obj):
                return MEMBER
            return MEMBER if obj is None else MANAGE_USER_GROUPS
        return self.permission_keys.get(self.action)

    def _is_group_admin(self, group: UserPermissionGroup) -> bool:
        user = self.request.user
        return not is_api_key_user(user) and group.memberships.filter(user=user, group_admin=True).exists()

    def _manages_groups(self) -> bool:
        return checks.has_organisation_permission(self.request.user, self.get_organisation(), MANAGE_USER_GROUPS)

    def get_queryset(self) -> QuerySet[UserPermissionGroup]:
        if getattr(self, "swagger_fake_view", False):
            return UserPermissionGroup.objects.none()
        groups = UserPermissionGroup.objects.filter(organisation=self.get_organisation()).prefetch_related(
            Prefetch("memberships", queryset=UserPermissionGroupMembership.objects.select_related("user"))
        )
        if self.action in ("list", "retrieve") and not self._manages_groups():
            user = self.request.user
            return groups.none() if is_api_key_user(user) else groups.filter(memberships__user=user)
        return groups

    def perform_create(self, serializer: UserPermissionGroupSerializer) -> None:
        group = UserPermissionGroup(organisation=self.get_organisation())
        serializer.instance = services.save_group(group, serializer.validated_data, self.request.user)

    def perform_update(self, serializer: UserPermissionGroupSerializer) -> None:
        serializer.instance = services.save_group(serializer.instance, serializer.validated_data, self.request.user)

    def perform_destroy(self, instance: UserPermissionGroup) -> None:
        services.delete_group(instance, self.request.user)

    def _fresh(self, group: UserPermissionGroup) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=group.pk)).data)

    @extend_schema(responses=UserPermissionGroupSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="my-groups", pagination_class=None)
    def my_groups(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The groups the caller belongs to."""
        groups = self.get_queryset()
        groups = groups.none() if is_api_key_user(request.user) else groups.filter(memberships__user=request.user)
        return Response(self.get_serializer(groups, many=True).data)

    @extend_schema(responses=UserPermissionGroupSummarySerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def summaries(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Every group of the organisation, names only (for pickers)."""
        groups = UserPermissionGroup.objects.filter(organisation=self.get_organisation())
        return Response(UserPermissionGroupSummarySerializer(groups, many=True).data)

    def _refuse_own_membership_change(self, user_ids: list[int], verb: str) -> None:
        # MANAGE_USER_GROUPS manages other people's membership: joining a group would hand
        # its holder whatever the group is granted (project admin, say). Organisation admins
        # hold everything already. Flagsmith 2.265 refuses the same, in the same words.
        user = self.request.user
        if is_api_key_user(user) or user.pk not in user_ids:
            return
        if checks.is_organisation_admin(user, self.get_organisation()):
            return
        raise PermissionDenied(f"Non-admin users cannot {verb} themselves {'to' if verb == 'add' else 'from'} a group.")

    @extend_schema(request=GroupUserIdsSerializer, responses=UserPermissionGroupSerializer)
    @action(detail=True, methods=["post"], url_path="add-users")
    def add_users(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        group = self.get_object()
        serializer = GroupUserIdsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._refuse_own_membership_change(serializer.validated_data["user_ids"], "add")
        services.change_group_members(group, add=set(serializer.validated_data["user_ids"]), user=request.user)
        return self._fresh(group)

    @extend_schema(request=GroupUserIdsSerializer, responses=UserPermissionGroupSerializer)
    @action(detail=True, methods=["post"], url_path="remove-users")
    def remove_users(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        group = self.get_object()
        serializer = GroupUserIdsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._refuse_own_membership_change(serializer.validated_data["user_ids"], "remove")
        services.change_group_members(group, remove=set(serializer.validated_data["user_ids"]), user=request.user)
        return self._fresh(group)

    @extend_schema(request=None, responses=UserPermissionGroupSerializer)
    @action(detail=True, methods=["post"], url_path=r"users/(?P<user_pk>[0-9]+)/make-admin")
    def make_admin(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        group = self.get_object()
        services.set_group_admin(group, int(kwargs["user_pk"]), True, request.user)
        return self._fresh(group)

    @extend_schema(request=None, responses=UserPermissionGroupSerializer)
    @action(detail=True, methods=["post"], url_path=r"users/(?P<user_pk>[0-9]+)/remove-admin")
    def remove_admin(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        group = self.get_object()
        services.set_group_admin(group, int(kwargs["user_pk"]), False, request.user)
        return self._fresh(group)


class OrganisationAPIKeyViewSet(OrganisationNestedMixin, viewsets.ModelViewSet):
    """``master-api-keys/``: organisation API keys, addressed by prefix; organisation admins only."""

    serializer_class = OrganisationAPIKeySerializer
    permission_classes = [HasPermission]
    permission_keys = dict.fromkeys(("list", "retrieve", "create", "update", "partial_update", "destroy"), ADMIN)
    lookup_field = "prefix"
    lookup_value_regex = "[0-9a-f]+"
    pagination_class = None

    def get_queryset(self) -> QuerySet[OrganisationAPIKey]:
        if getattr(self, "swagger_fake_view", False):
            return OrganisationAPIKey.objects.none()
        return OrganisationAPIKey.objects.filter(organisation=self.get_organisation())

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["organisation"] = self.get_organisation()
        return context

    def perform_create(self, serializer: OrganisationAPIKeySerializer) -> None:
        serializer.instance = services.create_api_key(
            self.get_organisation(), serializer.validated_data, self.request.user
        )

    def perform_update(self, serializer: OrganisationAPIKeySerializer) -> None:
        serializer.instance = services.update_api_key(serializer.instance, serializer.validated_data, self.request.user)

    def perform_destroy(self, instance: OrganisationAPIKey) -> None:
        services.delete_api_key(instance, self.request.user)


@extend_schema_view(make_admin=extend_schema(exclude=True), remove_admin=extend_schema(exclude=True))
class UnslashedGroupAdminViewSet(UserPermissionGroupViewSet):
    """``make-admin`` and ``remove-admin`` without the trailing slash, as Flagsmith routes them
    and its dashboard calls them; the schema has them once, with the slash.
    """
