"""Base classes shared by the admin API's viewsets."""

from __future__ import annotations

from typing import Any

from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.replicas import replica_reads


class ReplicaListMixin:
    """Serve ``list`` from a read replica when one is configured and healthy.

    Lists tolerate a little replication lag; everything else (and any request
    that has written) stays on the primary.
    """

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with replica_reads():
            return super().list(request, *args, **kwargs)  # type: ignore[misc]


class UUIDLookupMixin:
    """``get-by-uuid/<uuid>/`` beside a viewset's list: the object with that uuid in its scoped queryset.

    Flagsmith's clients (its Terraform provider) keep objects by uuid. An object the
    caller cannot see is a 404, as on the id route; the view's read permission
    applies to the object found.
    """

    @action(
        detail=False,
        methods=["get"],
        url_path=r"get-by-uuid/(?P<uuid>[0-9a-fA-F-]+)",
    )
    def get_by_uuid(self, request: Request, uuid: str, *args: Any, **kwargs: Any) -> Response:
        obj = get_object_or_404(self.get_queryset(), uuid=uuid)  # type: ignore[attr-defined]
        self.check_object_permissions(request, obj)  # type: ignore[attr-defined]
        return Response(self.get_serializer(obj).data)  # type: ignore[attr-defined]


class UUIDLookupView(GenericAPIView):
    """A standalone ``…/get-by-uuid/<uuid>/``: subclasses declare the queryset the caller may see."""

    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list[Any] = []

    def get(self, request: Request, uuid: str, *args: Any, **kwargs: Any) -> Response:
        obj = get_object_or_404(self.get_queryset(), uuid=uuid)
        return Response(self.get_serializer(obj).data)
