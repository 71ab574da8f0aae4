"""Base classes shared by the admin API's viewsets."""

from __future__ import annotations

from typing import Any

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
