"""The Unleash client API (``/api/client/``) as Unleash SDKs use it, the Frontend API
(``/api/frontend``) for its browser and mobile SDKs, and what Unleash Edge asks (``/edge/``).

Status codes, bodies and headers follow a real Unleash 8.2 server
(``shared/reference/unleash-ofrep.md`` §2): errors are ``{"message"}`` (401/403)
or ``{"name", "message", "details"}`` (400/404); register and metrics answer 202
with an empty body; features carry an ``ETag`` and answer ``If-None-Match`` with
an empty 304.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.http import body_etag, conditional_response
from documents.compiler import CompiledEnvironment, dumps_json
from documents.store import get_compiled_environment
from environments.models import Environment
from unleash import frontend, services, translation
from unleash.authentication import FrontendTokenAuthentication, UnleashTokenAuthentication
from unleash.serializers import (
    BulkMetricsSerializer,
    FrontendContextSerializer,
    FrontendRegisterSerializer,
    MetricsSerializer,
    RegisterSerializer,
    TokenListSerializer,
)

# The first client spec whose SDKs read top-level ``segments`` instead of inlined constraints.
SEGMENTS_SPEC = (4, 2, 0)
_SPEC_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?$")
MAX_FILTER_LENGTH = 255


def _unleash_error(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Unleash's error bodies instead of DRF's ``{"detail"}``."""
    if isinstance(exc, (exceptions.AuthenticationFailed, exceptions.NotAuthenticated)):
        response = Response({"message": str(exc.detail)}, status=status.HTTP_401_UNAUTHORIZED)
        response["WWW-Authenticate"] = 'Bearer realm="unleash"'
        return response
    if isinstance(exc, exceptions.PermissionDenied):
        return Response({"message": str(exc.detail)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, exceptions.NotFound):
        return Response({"name": "NotFoundError", "message": str(exc.detail)}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return Response({"name": "MethodNotAllowed", "message": str(exc.detail)}, status=exc.status_code)
    if isinstance(exc, exceptions.APIException) and exc.status_code == status.HTTP_400_BAD_REQUEST:
        details = _given_details(exc.detail) or _details(exc.detail)
        message = details[0]["message"] if details else "Bad request"
        return Response(
            {"name": "BadDataError", "message": message, "details": details}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, exceptions.APIException):
        return Response({"message": str(exc.detail)}, status=exc.status_code)
    return None


def _given_details(detail: Any) -> list[dict[str, str]] | None:
    """Details raised already in Unleash's ``[{path, message}]`` form (a malformed frontend context)."""
    if (
        isinstance(detail, list)
        and detail
        and all(isinstance(item, dict) and set(item) == {"path", "message"} for item in detail)
    ):
        return [{"path": str(item["path"]), "message": str(item["message"])} for item in detail]
    return None


def _details(detail: Any, path: str = "/body") -> list[dict[str, str]]:
    """DRF validation errors as Unleash's ``[{path, message}]``."""
    if isinstance(detail, dict):
        return [item for key, value in detail.items() for item in _details(value, f"{path}/{key}")]
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{"path": path, "message": f"The `{path}` property: {item}"} for item in detail]
        return [item for index, value in enumerate(detail) for item in _details(value, f"{path}/{index}")]
    return [{"path": path, "message": str(detail)}]


class UnleashView(APIView):
    """Authenticated by a server-side key in ``Authorization``; never throttled."""

    authentication_classes = [UnleashTokenAuthentication]
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def get_exception_handler(self) -> Any:
        return _unleash_error

    @property
    def compiled(self) -> CompiledEnvironment:
        return self.request.auth.compiled


def _spec_version(request: Request) -> tuple[int, int, int] | None:
    header = request.headers.get("Unleash-Client-Spec")
    if header is None:
        return None
    match = _SPEC_VERSION.match(header.strip())
    if match is None:
        raise exceptions.ValidationError({"Unleash-Client-Spec": [f"{header[:50]!r} is not a version"]})
    return int(match[1]), int(match[2]), int(match[3])


def _query(request: Request) -> services.Query:
    """Filters of a features request; ``project`` and ``environment`` are fixed by the token."""
    spec = _spec_version(request)
    name_prefix = request.query_params.get("namePrefix") or None
    if name_prefix is not None and len(name_prefix) > MAX_FILTER_LENGTH:
        raise exceptions.ValidationError({"namePrefix": ["is too long"]})
    tags = []
    for raw in [*request.query_params.getlist("tag"), *request.query_params.getlist("tag[]")]:
        tag_type, colon, value = raw.partition(":")
        if not colon or not tag_type or not value or len(raw) > MAX_FILTER_LENGTH:
            raise exceptions.ValidationError({"tag": [f"{raw[:50]!r} is not of the form type:value"]})
        tags.append((tag_type, value))
    return services.Query(
        inline_segments=spec is None or spec < SEGMENTS_SPEC,
        name_prefix=name_prefix,
        tags=tuple(sorted(set(tags))),
    )


# The body belongs to the holder of the key (and, for the frontend API, to its context):
# browsers revalidate, no shared cache may keep it.
PRIVATE = "private, no-cache"


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = PRIVATE
    patch_vary_headers(response, ["Authorization", "Unleash-Client-Spec"])
    return response


class FeaturesView(UnleashView):
    """``GET /api/client/features``: every served feature of the token's environment."""

    @extend_schema(
        operation_id="unleash_client_features",
        tags=["unleash"],
        parameters=[
            OpenApiParameter("namePrefix", str),
            OpenApiParameter("tag", str, many=True, description="type:value, repeatable (ORed); tag[] works too"),
            OpenApiParameter("project", str, description="Ignored: the token fixes the project."),
        ],
        responses={200: dict, 304: None},
    )
    def get(self, request: Request) -> HttpResponse:
        query = _query(request)
        rendered = services.unleash_environment(self.compiled).render(query)
        return conditional_response(
            request,
            rendered.body,
            etag=rendered.etag,
            cache_control=PRIVATE,
            vary=["Authorization", "Unleash-Client-Spec"],
        )


class FeatureView(UnleashView):
    """``GET /api/client/features/{name}``: one feature as it appears in the list (for debugging)."""

    @extend_schema(operation_id="unleash_client_feature", tags=["unleash"], responses={200: dict, 404: dict})
    def get(self, request: Request, name: str) -> HttpResponse:
        query = _query(request)
        environment = services.unleash_environment(self.compiled)
        if not environment.served(name):
            raise exceptions.NotFound(f"Could not find feature flag {name}")
        return _private(Response(environment.feature_json(name, query.inline_segments)))


class RegisterView(UnleashView):
    """``POST /api/client/register``: an SDK announces itself. Validated, not stored."""

    @extend_schema(
        operation_id="unleash_client_register", tags=["unleash"], request=RegisterSerializer, responses={202: None}
    )
    def post(self, request: Request) -> HttpResponse:
        _validated(RegisterSerializer, request)
        return HttpResponse(status=status.HTTP_202_ACCEPTED)


class MetricsView(UnleashView):
    """``POST /api/client/metrics``: yes/no counts per feature, added to Banderole's flag analytics."""

    @extend_schema(
        operation_id="unleash_client_metrics", tags=["unleash"], request=MetricsSerializer, responses={202: None}
    )
    def post(self, request: Request) -> HttpResponse:
        data = _validated(MetricsSerializer, request)
        toggles = data.get("bucket", {}).get("toggles", {})
        services.record_metrics(self.compiled, toggles, datetime.now(tz=UTC))
        return HttpResponse(status=status.HTTP_202_ACCEPTED)


def _validated(serializer_class: type, request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError({"body": ["Expected a JSON object."]})
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


class TranslationReportView(APIView):
    """``GET /api/v1/environments/{api_key}/unleash/``: how faithfully each feature reaches Unleash SDKs.

    Per feature: ``translation`` is ``exact``, ``shares`` (percentage splits and
    variants: the shares of users match, not which users) or ``inexact`` (MODULO,
    Python-only regex, text ordering, ...); ``capped`` when the strategies were cut at
    ``MAX_STRATEGIES``; ``notes`` say why. For members of the organisation.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="environments_unleash_translation", tags=["environments"], responses={200: dict})
    def get(self, request: Request, version: str, api_key: str) -> Response:
        environment = get_object_or_404(Environment.objects.for_user(request.user), api_key=api_key)
        translated = services.unleash_environment(get_compiled_environment(environment))
        return Response({"max_strategies": translation.MAX_STRATEGIES, "features": translated.report()})


# --- the Frontend API (/api/frontend), for browser and mobile SDKs ---------------------------------


class FrontendView(UnleashView):
    """Authenticated by the environment's client key, Unleash's frontend token."""

    authentication_classes = [FrontendTokenAuthentication]

    def context(self, request: Request) -> frontend.FrontendContext:
        try:
            if request.method == "GET":
                return frontend.context_from_query(request.query_params)
            return frontend.context_from_body(request.data if request.body else {})
        except frontend.ContextError as error:
            raise exceptions.ValidationError(error.details) from error


def _frontend_json(request: Request, content: Any) -> HttpResponse:
    """A 200 with an ETag of the body (it covers the context), or an empty 304 when the client has it."""
    body = dumps_json(content)
    return conditional_response(request, body, etag=body_etag(body), cache_control=PRIVATE, vary=["Authorization"])


_CONTEXT_PARAMETERS = [
    OpenApiParameter("userId", str, description="The identity identifier."),
    OpenApiParameter("sessionId", str, description="The identifier when there is no userId."),
    OpenApiParameter("properties[name]", str, description="A trait, as text; any other name is a property too."),
]


class FrontendFeaturesView(FrontendView):
    """``GET`` and ``POST /api/frontend``: the toggles enabled for a context (query, or ``{"context"}`` body)."""

    @extend_schema(
        operation_id="unleash_frontend_features",
        tags=["unleash"],
        parameters=_CONTEXT_PARAMETERS,
        responses={200: dict, 304: None, 400: dict},
    )
    def get(self, request: Request) -> HttpResponse:
        return self._respond(request)

    @extend_schema(
        operation_id="unleash_frontend_features_post",
        tags=["unleash"],
        request=FrontendContextSerializer,
        responses={200: dict, 304: None, 400: dict},
    )
    def post(self, request: Request) -> HttpResponse:
        return self._respond(request)

    def _respond(self, request: Request) -> HttpResponse:
        context = self.context(request)
        return _frontend_json(request, {"toggles": frontend.enabled_toggles(self.compiled, context)})


class FrontendFeatureView(FrontendView):
    """``GET`` and ``POST /api/frontend/features/{name}``: one toggle, enabled or not (as Unleash Edge serves it)."""

    @extend_schema(
        operation_id="unleash_frontend_feature",
        tags=["unleash"],
        parameters=_CONTEXT_PARAMETERS,
        responses={200: dict, 404: dict},
    )
    def get(self, request: Request, name: str) -> HttpResponse:
        return self._respond(request, name)

    @extend_schema(
        operation_id="unleash_frontend_feature_post",
        tags=["unleash"],
        request=FrontendContextSerializer,
        responses={200: dict, 404: dict},
    )
    def post(self, request: Request, name: str) -> HttpResponse:
        return self._respond(request, name)

    def _respond(self, request: Request, name: str) -> HttpResponse:
        context = self.context(request)
        toggle = frontend.evaluate(self.compiled, context).get(name)
        if toggle is None or (not toggle["enabled"] and self.compiled.hide_disabled_flags):
            raise exceptions.NotFound(f"Could not find feature flag {name}")
        return _frontend_json(request, toggle)


def _ok() -> HttpResponse:
    # Unleash answers the frontend SDKs' metrics and registrations with Express's ``sendStatus(200)``.
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")


class FrontendMetricsView(FrontendView):
    """``POST /api/frontend/client/metrics``: a browser's yes/no counts, added to flag analytics."""

    @extend_schema(
        operation_id="unleash_frontend_metrics", tags=["unleash"], request=MetricsSerializer, responses={200: None}
    )
    def post(self, request: Request) -> HttpResponse:
        data = _validated(MetricsSerializer, request)
        toggles = (data.get("bucket") or {}).get("toggles", {})
        services.record_metrics(self.compiled, toggles, datetime.now(tz=UTC))
        return _ok()


class FrontendRegisterView(FrontendView):
    """``POST /api/frontend/client/register``: validated as Unleash validates it, not stored."""

    @extend_schema(
        operation_id="unleash_frontend_register",
        tags=["unleash"],
        request=FrontendRegisterSerializer,
        responses={200: None},
    )
    def post(self, request: Request) -> HttpResponse:
        _validated(FrontendRegisterSerializer, request)
        return _ok()


# --- Unleash Edge in front of Banderole ---------------------------------------------------------


class BulkMetricsView(UnleashView):
    """``POST /api/client/metrics/bulk``: Edge's batched counts of every SDK behind it."""

    @extend_schema(
        operation_id="unleash_client_bulk_metrics",
        tags=["unleash"],
        request=BulkMetricsSerializer,
        responses={202: None, 400: dict},
    )
    def post(self, request: Request) -> HttpResponse:
        data = _validated(BulkMetricsSerializer, request)
        services.record_bulk_metrics(self.compiled, data["metrics"], datetime.now(tz=UTC))
        return HttpResponse(status=status.HTTP_202_ACCEPTED)


class EdgeInstanceDataView(UnleashView):
    """``POST /api/client/metrics/edge``: Edge's report on itself. Accepted and dropped."""

    @extend_schema(
        operation_id="unleash_client_edge_instance_data", tags=["unleash"], request=dict, responses={202: None}
    )
    def post(self, request: Request) -> HttpResponse:
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"body": ["Expected a JSON object."]})
        return HttpResponse(status=status.HTTP_202_ACCEPTED)


class EdgeValidateView(APIView):
    """``POST /edge/validate``: which of the given tokens are valid, with their type, projects and environment.

    Unauthenticated, as in Unleash: it tells the caller only about tokens it already holds.
    """

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def get_exception_handler(self) -> Any:
        return _unleash_error

    @extend_schema(
        operation_id="unleash_edge_validate",
        tags=["unleash"],
        request=TokenListSerializer,
        responses={200: dict, 400: dict},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        tokens = _validated(TokenListSerializer, request)["tokens"]
        return Response({"tokens": services.validate_tokens(tokens)})
