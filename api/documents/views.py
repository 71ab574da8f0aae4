"""Admin endpoints that show the read model: the compiled document and an identity's effective flags.

They live here, above the domain apps, because they read what ``documents`` compiles;
their routes sit under ``environments/{key}/`` beside the environment's own.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from documents.compiler import dumps_json
from documents.evaluation import IdentityToEvaluate, effective_flags
from documents.store import get_compiled_environment
from environments.models import Environment
from identities.models import Trait
from identities.views import IdentityNestedMixin
from permissions.access import HasPermission, holds
from permissions.models import VIEW_IDENTITIES


class EnvironmentDocumentView(APIView):
    """The environment document SDKs download for local evaluation, for members to inspect."""

    # environments/{api_key}/document/: VIEW_ENVIRONMENT, which is also who sees the environment;
    # identity overrides only with VIEW_IDENTITIES too.
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["environments"], responses={200: dict})
    def get(self, request: Request, version: str, api_key: str) -> HttpResponse:
        environment = get_object_or_404(
            Environment.objects.for_user(request.user).select_related("project__organisation"), api_key=api_key
        )
        compiled = get_compiled_environment(environment)
        if holds(request.user, environment, VIEW_IDENTITIES):
            return HttpResponse(compiled.document_json, content_type="application/json")
        # Identity overrides name identities and their values: only for who may see identities.
        document = json.loads(compiled.document_json)
        document["identity_overrides"] = []
        return HttpResponse(dumps_json(document), content_type="application/json")


_ENVIRONMENT_KEY = OpenApiParameter("environment_api_key", str, OpenApiParameter.PATH)
_IDENTITY_ID = OpenApiParameter("identity_pk", int, OpenApiParameter.PATH)


class IdentityEffectiveFlagsView(IdentityNestedMixin, APIView):
    """Every flag as this identity gets it now, with ``overridden_by`` (IDENTITY, SEGMENT or null)."""

    # environments/{key}/identities/{id}/featurestates/all/: VIEW_IDENTITIES on the environment.
    permission_classes = [HasPermission]
    permission_keys = {"all": VIEW_IDENTITIES}
    action = "all"

    @extend_schema(tags=["environments"], parameters=[_ENVIRONMENT_KEY, _IDENTITY_ID], responses={200: dict})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        identity = self.get_identity()
        compiled = get_compiled_environment(self.get_environment())
        traits = {
            trait.trait_key: trait.trait_value for trait in Trait.objects.filter(identity=identity).order_by("id")
        }
        evaluated = IdentityToEvaluate(identity.identifier, traits, identity.id)
        return Response(effective_flags(compiled, evaluated))
