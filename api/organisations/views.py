from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.viewsets import ReplicaListMixin
from organisations import services
from organisations.models import Invite, InviteLink, Organisation
from organisations.permissions import ChangedByOrganisationAdmin, OrganisationPermission
from organisations.serializers import (
    InviteLinkSerializer,
    InviteSerializer,
    OrganisationMemberSerializer,
    OrganisationSerializer,
    RemoveUserSerializer,
    UpdateRoleSerializer,
)
from projects.models import Project
from projects.serializers import ProjectSerializer
from users.models import User


class OrganisationViewSet(ReplicaListMixin, viewsets.ModelViewSet):
    serializer_class = OrganisationSerializer
    permission_classes = [OrganisationPermission]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Organisation]:
        return Organisation.objects.for_user(self.request.user)

    def perform_create(self, serializer: OrganisationSerializer) -> None:
        serializer.instance = services.create_organisation(user=self.request.user, **serializer.validated_data)

    @extend_schema(responses=ProjectSerializer(many=True))
    @action(detail=True, methods=["get"])
    def projects(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organisation = self.get_object()
        projects = Project.objects.filter(organisation=organisation)
        return Response(ProjectSerializer(projects, many=True, context=self.get_serializer_context()).data)

    @extend_schema(request=RemoveUserSerializer(many=True), responses={204: None})
    @action(detail=True, methods=["post"], url_path="remove-users")
    def remove_users(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organisation = self.get_object()
        serializer = RemoveUserSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        services.remove_members(organisation=organisation, user_ids={item["id"] for item in serializer.validated_data})
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

    def get_permission_organisation(self, obj: Any = None) -> Organisation:
        return self.get_organisation()


class OrganisationUserViewSet(OrganisationNestedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The members of one organisation, with their roles."""

    serializer_class = OrganisationMemberSerializer
    permission_classes = [ChangedByOrganisationAdmin]
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
            organisation=self.get_organisation(), user=user, role=serializer.validated_data["role"]
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
    permission_classes = [ChangedByOrganisationAdmin]
    admin_only = True
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
            organisation=self.get_organisation(), invited_by=self.request.user, invites=[serializer.validated_data]
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
    permission_classes = [ChangedByOrganisationAdmin]
    admin_only = True
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[InviteLink]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no organisation
            return InviteLink.objects.none()
        return InviteLink.objects.filter(organisation=self.get_organisation())

    def perform_create(self, serializer: InviteLinkSerializer) -> None:
        serializer.save(organisation=self.get_organisation())


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
