"""OFREP endpoints (``/ofrep/v1/``), as ``service/openapi.yaml`` 0.3.0 describes them.

Errors are OFREP's: 400 ``{errorCode, errorDetails}`` (with ``key`` for a single
flag), 404 ``FLAG_NOT_FOUND``, 401/403 for keys. Bulk answers carry an ``ETag``
that is a hash of the body, so it covers the context, and ``If-None-Match``
gets an empty 304. ``GET /ofrep/v1/configuration`` is the spec's optional
extension (``configurationResponse``): name, polling, supported types.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.http import body_etag, conditional_response
from documents.compiler import dumps_json
from documents.keys import EnvironmentKeyAuth
from ofrep import services
from ofrep.authentication import OfrepKeyAuthentication
from ofrep.serializers import (
    BulkEvaluationSerializer,
    ConfigurationSerializer,
    EvaluationFailureSerializer,
    EvaluationRequestSerializer,
    EvaluationSuccessSerializer,
)


def _ofrep_error(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, (exceptions.AuthenticationFailed, exceptions.NotAuthenticated)):
        response = Response({"errorCode": "GENERAL", "errorDetails": str(exc.detail)}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="ofrep"'
        return response
    if isinstance(exc, exceptions.APIException):
        return Response({"errorCode": "GENERAL", "errorDetails": str(exc.detail)}, status=exc.status_code)
    return None


def _json(body: dict[str, Any], status_code: int = 200) -> HttpResponse:
    return HttpResponse(dumps_json(body), status=status_code, content_type="application/json")


class OfrepView(APIView):
    authentication_classes = [OfrepKeyAuthentication]
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def get_exception_handler(self) -> Any:
        return _ofrep_error

    def evaluate(self, request: Request) -> dict[str, dict[str, Any]]:
        key_auth: EnvironmentKeyAuth = request.auth
        compiled = key_auth.compiled
        try:
            body = request.data
        except exceptions.APIException as error:  # bad JSON, or not JSON at all
            raise services.EvaluationError("PARSE_ERROR", f"The body is not valid JSON: {error.detail}") from error
        if body is None:
            body = {}  # an empty body is an empty context
        # Like /identities/: a client key passes traits only where the environment allows it.
        use_traits = key_auth.is_server_key or compiled.allow_client_traits
        context = services.parse_context(body, use_traits=use_traits)
        return services.evaluate(compiled, context, key_auth.is_server_key)


class FlagEvaluationView(OfrepView):
    """``POST /ofrep/v1/evaluate/flags/{key}``: one flag for a context."""

    @extend_schema(
        operation_id="ofrep_evaluate_flag",
        tags=["ofrep"],
        request=EvaluationRequestSerializer,
        responses={
            200: EvaluationSuccessSerializer,
            400: EvaluationFailureSerializer,
            404: EvaluationFailureSerializer,
        },
    )
    def post(self, request: Request, key: str) -> HttpResponse:
        try:
            items = self.evaluate(request)
        except services.EvaluationError as error:
            return _json({"key": key, "errorCode": error.code, "errorDetails": error.details}, error.status)
        if key not in items:
            return _json(
                {"key": key, "errorCode": "FLAG_NOT_FOUND", "errorDetails": f"Flag {key!r} was not found."},
                status.HTTP_404_NOT_FOUND,
            )
        response = _json(items[key])
        response["Cache-Control"] = "no-store"
        return response


class BulkEvaluationView(OfrepView):
    """``POST /ofrep/v1/evaluate/flags``: every flag for a context, with an ETag of the result."""

    @extend_schema(
        operation_id="ofrep_evaluate_flags",
        tags=["ofrep"],
        request=EvaluationRequestSerializer,
        responses={200: BulkEvaluationSerializer, 304: None, 400: EvaluationFailureSerializer},
    )
    def post(self, request: Request) -> HttpResponse:
        try:
            items = self.evaluate(request)
        except services.EvaluationError as error:
            return _json({"errorCode": error.code, "errorDetails": error.details}, error.status)
        return _revalidated(request, dumps_json({"flags": list(items.values())}))


def _revalidated(request: Request, body: bytes) -> HttpResponse:
    """A 200 with an ETag of the body, or an empty 304 when ``If-None-Match`` holds it."""
    return conditional_response(request, body, etag=body_etag(body), cache_control="private, no-cache")


# The types a Banderole flag's value can have: none (a boolean flag), text, integer, boolean.
SUPPORTED_TYPES = ["boolean", "string", "int"]


class ConfigurationView(OfrepView):
    """``GET /ofrep/v1/configuration``: what OFREP providers may ask of Banderole (an OFREP extension)."""

    @extend_schema(
        operation_id="ofrep_configuration", tags=["ofrep"], responses={200: ConfigurationSerializer, 304: None}
    )
    def get(self, request: Request) -> HttpResponse:
        configuration = {
            "name": "Banderole",
            "capabilities": {
                # Bulk answers carry an ETag: a poll costs an empty 304 while nothing changed.
                "cacheInvalidation": {
                    "polling": {"enabled": True, "minPollingIntervalMs": settings.OFREP_MIN_POLLING_INTERVAL_MS}
                },
                "flagEvaluation": {"supportedTypes": SUPPORTED_TYPES},
            },
        }
        return _revalidated(request, dumps_json(configuration))
