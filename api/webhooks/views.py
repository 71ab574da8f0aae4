"""Webhook settings per environment and organisation, and ``POST /webhooks/test/``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from environments.mixins import EnvironmentNestedMixin
from environments.models import Environment
from organisations.models import Organisation
from organisations.views import OrganisationNestedMixin
from permissions.access import ADMIN, HasPermission, holds
from webhooks import crud as services_crud
from webhooks import services
from webhooks.models import EnvironmentWebhook, OrganisationWebhook
from webhooks.serializers import (
    EnvironmentWebhookSerializer,
    OrganisationWebhookSerializer,
    TestWebhookResultSerializer,
    TestWebhookSerializer,
    WebhookDeliverySerializer,
)

CRUD_ACTIONS = ("list", "retrieve", "create", "update", "partial_update", "destroy")
# How many of a webhook's deliveries ``deliveries/`` lists, newest first.
RECENT_DELIVERIES = 20


class DeliveriesMixin:
    """``GET …/webhooks/{id}/deliveries/``: the webhook's latest deliveries (Banderole's own; not in Flagsmith)."""

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        webhook = self.get_object()  # type: ignore[attr-defined]
        recent = webhook.deliveries.order_by("-id")[:RECENT_DELIVERIES]
        return Response(WebhookDeliverySerializer(recent, many=True).data)


@extend_schema_view(
    **{
        action: extend_schema(parameters=[OpenApiParameter("environment_api_key", str, OpenApiParameter.PATH)])
        for action in (*CRUD_ACTIONS, "deliveries")
    }
)
class EnvironmentWebhookViewSet(DeliveriesMixin, EnvironmentNestedMixin, viewsets.ModelViewSet):
    """Webhooks of one environment (FLAG_UPDATED, FLAG_DELETED); environment admins only, as they hold secrets."""

    serializer_class = EnvironmentWebhookSerializer
    permission_classes = [HasPermission]
    permission_keys = dict.fromkeys((*CRUD_ACTIONS, "deliveries"), ADMIN)
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[EnvironmentWebhook]:
        if getattr(self, "swagger_fake_view", False):
            return EnvironmentWebhook.objects.none()
        return EnvironmentWebhook.objects.filter(environment=self.get_environment())

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services_crud.save(
            EnvironmentWebhook(environment=self.get_environment()), serializer.validated_data, self.request.user
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services_crud.save(serializer.instance, serializer.validated_data, self.request.user)

    def perform_destroy(self, instance: EnvironmentWebhook) -> None:
        services_crud.delete(instance, self.request.user)


@extend_schema_view(
    **{
        action: extend_schema(parameters=[OpenApiParameter("organisation_pk", int, OpenApiParameter.PATH)])
        for action in (*CRUD_ACTIONS, "deliveries")
    }
)
class OrganisationWebhookViewSet(DeliveriesMixin, OrganisationNestedMixin, viewsets.ModelViewSet):
    """Webhooks of one organisation (AUDIT_LOG_CREATED); organisation admins only."""

    serializer_class = OrganisationWebhookSerializer
    permission_classes = [HasPermission]
    permission_keys = dict.fromkeys((*CRUD_ACTIONS, "deliveries"), ADMIN)
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[OrganisationWebhook]:
        if getattr(self, "swagger_fake_view", False):
            return OrganisationWebhook.objects.none()
        return OrganisationWebhook.objects.filter(organisation=self.get_organisation())

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services_crud.save(
            OrganisationWebhook(organisation=self.get_organisation()), serializer.validated_data, self.request.user
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services_crud.save(serializer.instance, serializer.validated_data, self.request.user)

    def perform_destroy(self, instance: OrganisationWebhook) -> None:
        services_crud.delete(instance, self.request.user)


class TestWebhookView(APIView):
    """Send a sample event to a URL now and say what it answered (admins of the scope only)."""

    permission_classes = [IsAuthenticated]

    def _scope_target(self, scope: dict[str, str]) -> Organisation | Environment:
        user = self.request.user
        if scope["type"] == "organisation":
            target: Any = (
                Organisation.objects.for_user(user).filter(pk=scope["id"]).first() if scope["id"].isdigit() else None
            )
        else:
            target = Environment.objects.for_user(user).select_related("project").filter(api_key=scope["id"]).first()
        if target is None:
            raise Http404
        return target

    @extend_schema(
        request=TestWebhookSerializer,
        responses={200: TestWebhookResultSerializer, 400: TestWebhookResultSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = TestWebhookSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        target = self._scope_target(data["scope"])
        if not holds(request.user, target, ADMIN):
            return Response({"detail": "Only an admin may do this."}, status=status.HTTP_403_FORBIDDEN)
        result = services.send_test(data["webhook_url"], data["secret"], data["scope"]["type"])
        if result.status_code is None:
            return Response(
                {
                    "detail": "Could not connect to webhook URL",
                    "body": "Please check the URL, and ensure it is valid and accessible from the server.",
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        if not 200 <= result.status_code < 300:
            return Response(
                {
                    "detail": "Webhook returned invalid status",
                    "body": "Please check the webhook endpoint to validate it returns a 200 OK.",
                    "status": result.status_code,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"detail": "Webhook test successful", "status": result.status_code})
