"""The SDK API: thin views over authentication, the compiled environment and the engine.

Shapes, status codes and headers are Flagsmith's (``shared/reference/flagsmith-api.md`` §1).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from analytics import services as analytics_services
from core import metrics, replicas
from core.http import conditional_response
from documents import caching
from documents.compiler import CompiledEnvironment, dumps_json
from documents.evaluation import (
    IdentityToEvaluate,
    evaluate_identity,
    evaluate_identity_and_segments,
    transient_identifier,
)
from identities.models import IDENTIFIER_LIMIT
from sdk import services
from sdk.authentication import (
    EnvironmentKeyAuth,
    EnvironmentKeyAuthentication,
    ServerKeyAuthentication,
    request_key_auth,
)
from sdk.serializers import (
    EvaluationReportsSerializer,
    IdentifyRequestSerializer,
    IncrementTraitRequestSerializer,
    TraitRequestSerializer,
)

FEATURE_NOT_FOUND = "Given feature not found"
TRAITS_NOT_STORED = "Organisation is not authorised to store traits."
CLIENT_TRAITS_NOT_ALLOWED = "Setting traits not allowed with client key."
ALLOWED_VERSIONS = frozenset(api_settings.ALLOWED_VERSIONS or ())


class JSONWhateverAccepted(DefaultContentNegotiation):
    """SDK responses are JSON whatever ``Accept`` says, as in Flagsmith; parsing it costs a hot path dearly."""

    def select_renderer(self, request: Request, renderers: list[Any], format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


class SDKView(APIView):
    """Authenticated by ``X-Environment-Key``; never throttled, never cached by browsers or proxies.

    One request path. ``dispatch`` resolves the key once and keeps it on the request
    (``sdk.authentication.request_key_auth``), where DRF's authentication finds it. A
    view may define ``fast_get(request, key_auth)`` for the common case of a busy GET
    (a document this process has compiled, or a cached response): what it returns
    goes straight to ``finalize_response``, so both ways of answering add the same
    headers; it returns None for anything else, which DRF then handles with its
    errors and headers. A third of a ``/flags/`` request's time was DRF's own;
    liveness pays none of it.
    """

    authentication_classes = [EnvironmentKeyAuthentication]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONWhateverAccepted
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []
    version_max_age = 0.0
    # Set on responses that depend on the document, for X-Flagsmith-Document-Updated-At.
    document_updated_at: str | None = None
    # Labels of banderole_sdk_cache_requests_total for what fast_get answers from.
    metrics_endpoint = "sdk"
    metrics_cache: str | None = "compiled_document"

    @property
    def key_auth(self) -> EnvironmentKeyAuth:
        return self.request.auth

    def get_compiled(self) -> CompiledEnvironment:
        compiled = self.key_auth.compiled
        self.document_updated_at = compiled.updated_at_header
        return compiled

    def fast_get(self, request: HttpRequest, key_auth: EnvironmentKeyAuth) -> HttpResponse | None:
        return None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # Only a view that serves GET has a fast case; for the others DRF answers 405.
        if request.method == "GET" and hasattr(self, "get") and kwargs.get("version") in ALLOWED_VERSIONS:
            key_auth = request_key_auth(
                request,
                server_key_only=self.authentication_classes[0].server_key_only,
                version_max_age=self.version_max_age,
            )
            if key_auth is not None:
                response = self.fast_get(request, key_auth)
                if (cache_name := self.metrics_cache) is not None:
                    metrics.count_cache(self.metrics_endpoint, cache_name, response is not None)
                if response is not None:
                    self.headers = self.default_response_headers
                    return self.finalize_response(request, response, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.document_updated_at is not None and response.status_code < 400:
            response["X-Flagsmith-Document-Updated-At"] = self.document_updated_at
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


def _etag(compiled: CompiledEnvironment, kind: str) -> str:
    """Strong validator from the document version (microseconds), so two changes in one second differ."""
    return f'"{compiled.environment_id}.{caching.version_token(compiled.version)}.{kind}"'


# --- GET_FLAGS_ENDPOINT_CACHE_* and GET_IDENTITIES_ENDPOINT_CACHE_* ---------------------------------


@dataclass(frozen=True)
class CachedResponse:
    """A response body stored under the key that was authenticated for it and the document version.

    The key's hash is part of the cache key, so an entry never serves another key,
    environment or key kind; revoking the key or stopping the organisation bumps the
    version, and the key's own expiry is stored with the entry.
    """

    body: bytes
    etag: str | None
    document_updated_at: str
    key_expires_at: datetime | None
    # For identities: the identity's generation the body was computed under.
    generation: Any = None

    def usable(self) -> bool:
        return self.key_expires_at is None or self.key_expires_at > timezone.now()


def _response_cache_key(prefix: str, key_auth: EnvironmentKeyAuth, *parts: str) -> str:
    return ":".join((prefix, key_auth.key_hash, caching.version_token(key_auth.version), *parts))


def _cached_response(alias: str, cache_key: str) -> CachedResponse | None:
    entry = caching.cache_call(alias, "get", cache_key)
    return entry if isinstance(entry, CachedResponse) and entry.usable() else None


def _store_response(
    alias: str,
    cache_key: str,
    compiled: CompiledEnvironment,
    key_auth: EnvironmentKeyAuth,
    body: bytes,
    etag: str | None = None,
    generation: Any = None,
) -> None:
    entry = CachedResponse(
        body=body,
        etag=etag,
        document_updated_at=compiled.updated_at_header,
        key_expires_at=compiled.server_keys.get(key_auth.key_hash) if key_auth.is_server_key else None,
        generation=generation,
    )
    caching.cache_call(alias, "set", cache_key, entry)


def _json(body: bytes, status_code: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status_code, content_type="application/json")


def _feature_param(request: HttpRequest) -> str | None:
    if not request.META.get("QUERY_STRING"):
        return None  # the usual /flags/: no query string to parse
    name = request.GET.get("feature")
    return name.lower() if name else None


def _find_feature(items: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((item for item in items if item["feature"]["name"].lower() == name), None)


def _pick_feature(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    item = _find_feature(items, name)
    if item is None:
        raise exceptions.NotFound(FEATURE_NOT_FOUND)
    return item


@extend_schema(
    tags=["sdk"],
    parameters=[OpenApiParameter("feature", str, description="One feature by name (case-insensitive).")],
    responses={200: dict},
)
class FlagsView(SDKView):
    """``GET /flags/``: environment defaults, without segments or identity."""

    metrics_endpoint = "sdk-flags"

    @property
    def version_max_age(self) -> float:  # type: ignore[override]
        """Flagsmith's TTL-only flags cache, opt-in: serve a version checked this long ago."""
        return float(settings.CACHE_FLAGS_SECONDS)

    def fast_get(self, request: HttpRequest, key_auth: EnvironmentKeyAuth) -> HttpResponse | None:
        if (compiled := key_auth.compiled_in_process()) is None:
            return None
        if (name := _feature_param(request)) is not None:
            item = _find_feature(services.environment_flag_items(compiled, key_auth.is_server_key), name)
            if item is None:
                return None  # DRF answers the 404
            self.document_updated_at = compiled.updated_at_header
            return _feature_response(item)
        return self._respond(request, compiled, key_auth)

    def get(self, request: Request, version: str) -> Any:
        key_auth = self.key_auth
        if (name := _feature_param(request)) is not None:
            items = services.environment_flag_items(self.get_compiled(), key_auth.is_server_key)
            return _feature_response(_pick_feature(items, name))
        # A shared response cache helps a process that has not compiled this version yet.
        use_cache = caching.is_enabled(caching.GET_FLAGS_ENDPOINT, settings.GET_FLAGS_ENDPOINT_CACHE_SECONDS)
        if use_cache and key_auth.compiled_in_process() is None:
            cache_key = _response_cache_key("flags", key_auth)
            if (entry := _cached_response(caching.GET_FLAGS_ENDPOINT, cache_key)) is not None:
                metrics.FLAGS_RESPONSE_CACHE_HIT.inc()
                self.document_updated_at = entry.document_updated_at
                return self._revalidated_flags(request, entry.body, entry.etag)
            metrics.FLAGS_RESPONSE_CACHE_MISS.inc()
            compiled = self.get_compiled()
            response = self._respond(request, compiled, key_auth)
            body = services.environment_flags_json(compiled, key_auth.is_server_key)
            _store_response(caching.GET_FLAGS_ENDPOINT, cache_key, compiled, key_auth, body, response["ETag"])
            return response
        return self._respond(request, self.get_compiled(), key_auth)

    def _respond(
        self, request: HttpRequest, compiled: CompiledEnvironment, key_auth: EnvironmentKeyAuth
    ) -> HttpResponse:
        metrics.ENVIRONMENT_EVALUATION.inc()
        self.document_updated_at = compiled.updated_at_header
        kind = "server" if key_auth.is_server_key else "client"
        body = services.environment_flags_json(compiled, key_auth.is_server_key)
        return self._revalidated_flags(request, body, _etag(compiled, kind))

    def _revalidated_flags(self, request: HttpRequest, body: bytes, etag: str) -> HttpResponse:
        return conditional_response(request, body, etag=etag, cache_control="no-cache", vary=["X-Environment-Key"])


def _feature_response(item: dict[str, Any]) -> HttpResponse:
    """One flag item, rendered as DRF renders a ``Response`` of it (no validators: it is one of many)."""
    return HttpResponse(JSONRenderer().render(item), content_type="application/json")


class IdentitiesView(SDKView):
    """``GET`` and ``POST /identities/``: an identity's flags, after segment and identity overrides."""

    metrics_endpoint = "sdk-identities"

    @property
    def metrics_cache(self) -> str | None:  # type: ignore[override]
        return "identities_response" if self._response_cache_enabled() else None

    def fast_get(self, request: Any, key_auth: EnvironmentKeyAuth) -> HttpResponse | None:
        """A GET answered from the identities response cache: no database, no evaluation."""
        identifier = request.GET.get("identifier")
        if not identifier or len(identifier) > 2000 or not self._response_cache_enabled():
            return None
        cache_key = _response_cache_key("identities", key_auth, caching.digest(request.META.get("QUERY_STRING", "")))
        # The identity's generation is read with (never after) the entry and bumped after
        # every commit that changes its traits: an entry of the current generation is current.
        generation, entry = caching.identity_generation_and_entry(key_auth.environment_id, identifier, cache_key)
        self._response_cache_slot = (cache_key, generation)
        if (
            generation is None
            or not isinstance(entry, CachedResponse)
            or entry.generation != generation
            or not entry.usable()
        ):
            return None
        self.document_updated_at = entry.document_updated_at
        return _vary_on_key(_json(entry.body))

    @staticmethod
    def _response_cache_enabled() -> bool:
        return caching.identities_cache_enabled()

    @extend_schema(
        tags=["sdk"],
        parameters=[
            OpenApiParameter("identifier", str, required=True),
            OpenApiParameter("transient", str, description="Any value: evaluate without storing the identity."),
            OpenApiParameter("feature", str),
        ],
        responses={200: dict},
    )
    def get(self, request: Request, version: str) -> Any:
        identifier = request.query_params.get("identifier")
        if not identifier:
            # Flagsmith answers 200 here; SDKs and tests depend on it.
            return Response({"detail": "Missing identifier"})
        if len(identifier) > 2000:
            raise exceptions.ValidationError({"identifier": ["Ensure this field has no more than 2000 characters."]})
        compiled = self.get_compiled()
        environment_id = compiled.environment_id
        cache_key, generation = getattr(self, "_response_cache_slot", (None, None))
        # A read replica serves the identity and its traits, unless the response is to be
        # cached (whatever feeds a cache comes from the primary) or someone wrote the
        # identity in the last REPLICA_READ_YOUR_WRITES_SECONDS. A lagging replica can
        # only show traits that other clients changed that long ago.
        use_replica = generation is None and caching.identity_read_may_use_replica(environment_id, identifier)
        with replicas.replica_reads() if use_replica else contextlib.nullcontext():
            if request.query_params.get("transient"):
                stored = services.find_identity(environment_id, identifier)
            else:
                stored = services.get_or_create_identity(environment_id, identifier, self.key_auth.key_hash)
        traits = {key: value for key, (_, value) in stored.traits.items()} if stored else {}
        identity = IdentityToEvaluate(identifier, traits, stored.id if stored else None)
        response = self._respond(request, identity, stored.traits if stored else {}, {})
        if generation is not None and response.status_code == 200:
            _store_response(
                caching.GET_IDENTITIES_ENDPOINT,
                cache_key,
                compiled,
                self.key_auth,
                response.content,
                generation=generation,
            )
        return _vary_on_key(response)

    @extend_schema(tags=["sdk"], request=IdentifyRequestSerializer, responses={200: dict})
    def post(self, request: Request, version: str) -> Any:
        body = IdentifyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        compiled = self.get_compiled()
        incoming = data.get("traits") or []  # omitted: validate_traits never ran
        if not self.key_auth.is_server_key and not compiled.allow_client_traits:
            incoming = []
        identifier = data.get("identifier")
        unsaved: dict[str, tuple[Any, bool]] = {}
        if not identifier:
            # No identifier: a fully transient identity named after its traits.
            identifier = transient_identifier(incoming)
            stored = None
            unsaved = {trait["trait_key"]: (trait["trait_value"], True) for trait in incoming}
        elif data["transient"]:
            stored = services.find_identity(compiled.environment_id, identifier)
            unsaved = {trait["trait_key"]: (trait["trait_value"], True) for trait in incoming}
        else:
            with transaction.atomic():
                stored = services.get_or_create_identity(compiled.environment_id, identifier, self.key_auth.key_hash)
                to_store = {t["trait_key"]: t["trait_value"] for t in incoming if not t["transient"]}
                if compiled.persist_trait_data:
                    services.store_traits(stored, to_store)
                else:
                    unsaved = {key: (value, False) for key, value in to_store.items()}
            unsaved.update({t["trait_key"]: (t["trait_value"], True) for t in incoming if t["transient"]})
        stored_traits = stored.traits if stored else {}
        traits = {key: value for key, (_, value) in stored_traits.items()}
        for key, (value, _) in unsaved.items():
            if value is None:
                traits.pop(key, None)
            else:
                traits[key] = value
        identity = IdentityToEvaluate(identifier, traits, stored.id if stored else None)
        return self._respond(request, identity, stored_traits, unsaved)

    def _respond(
        self,
        request: Request,
        identity: IdentityToEvaluate,
        stored_traits: dict[str, tuple[int, Any]],
        unsaved: dict[str, tuple[Any, bool]],
    ) -> Any:
        compiled = self.get_compiled()
        flags = evaluate_identity(compiled, identity, self.key_auth.is_server_key)
        metrics.IDENTITY_EVALUATION.inc()
        if (name := _feature_param(request)) is not None:
            return _json(dumps_json(_pick_feature(flags, name)))
        traits = [] if compiled.hide_sensitive_data else services.trait_items(stored_traits, unsaved)
        return _json(dumps_json({"identifier": identity.identifier, "traits": traits, "flags": flags}))


def _vary_on_key(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["X-Environment-Key"])
    return response


class TraitWritingView(SDKView):
    """Trait endpoints store traits, so the organisation must allow it and client keys may be refused."""

    def check_trait_writes(self) -> CompiledEnvironment:
        compiled = self.get_compiled()
        if not compiled.persist_trait_data:
            raise exceptions.PermissionDenied(TRAITS_NOT_STORED)
        if not self.key_auth.is_server_key and not compiled.allow_client_traits:
            raise exceptions.ValidationError({"non_field_errors": [CLIENT_TRAITS_NOT_ALLOWED]})
        return compiled

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        self.document_updated_at = None  # trait responses carry no document header
        return super().finalize_response(request, response, *args, **kwargs)


def _trait_response(identifier: str, key: str, value: Any) -> dict[str, Any]:
    return {"identity": {"identifier": identifier}, "trait_key": key, "trait_value": value}


class TraitsView(TraitWritingView):
    """``POST /traits/``: set one trait, creating the identity if needed; 200 as in Flagsmith."""

    @extend_schema(tags=["sdk"], request=TraitRequestSerializer, responses={200: dict})
    def post(self, request: Request, version: str) -> Any:
        compiled = self.check_trait_writes()
        body = TraitRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        identifier = data["identity"]["identifier"]
        with transaction.atomic():
            stored = services.get_or_create_identity(compiled.environment_id, identifier, self.key_auth.key_hash)
            services.store_traits(stored, {data["trait_key"]: data["trait_value"]})
        return Response(_trait_response(identifier, data["trait_key"], data["trait_value"]))


class TraitsBulkView(TraitWritingView):
    """``PUT /traits/bulk/``: many traits of many identities; all stored or none."""

    @extend_schema(tags=["sdk"], request=TraitRequestSerializer(many=True), responses={200: dict})
    def put(self, request: Request, version: str) -> Any:
        compiled = self.check_trait_writes()
        if isinstance(request.data, list) and len(request.data) > settings.MAX_TRAITS_PER_REQUEST:
            raise exceptions.ValidationError(
                {"detail": f"A request may carry at most {settings.MAX_TRAITS_PER_REQUEST} traits.", "errors": []}
            )
        body = TraitRequestSerializer(data=request.data, many=True)
        if not isinstance(request.data, list) or not body.is_valid():
            raise exceptions.ValidationError(
                {"detail": "Invalid request data", "errors": body.errors if isinstance(request.data, list) else []}
            )
        by_identity: dict[str, dict[str, Any]] = {}
        for item in body.validated_data:
            by_identity.setdefault(item["identity"]["identifier"], {})[item["trait_key"]] = item["trait_value"]
        with transaction.atomic():
            for identifier, traits in by_identity.items():
                stored = services.get_or_create_identity(compiled.environment_id, identifier, self.key_auth.key_hash)
                services.store_traits(stored, traits)
        return Response(
            [
                _trait_response(item["identity"]["identifier"], item["trait_key"], item["trait_value"])
                for item in body.validated_data
            ]
        )


class IncrementTraitView(TraitWritingView):
    """``POST /traits/increment-value/``: add to an integer trait; a missing trait starts at 0."""

    @extend_schema(tags=["sdk"], request=IncrementTraitRequestSerializer, responses={200: dict})
    def post(self, request: Request, version: str) -> Any:
        compiled = self.check_trait_writes()
        body = IncrementTraitRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            stored = services.get_or_create_identity(
                compiled.environment_id, data["identifier"], self.key_auth.key_hash
            )
            try:
                value = services.increment_trait(stored, data["trait_key"], data["increment_by"])
            except TypeError:
                raise exceptions.ValidationError({"trait_key": ["Trait is not an integer."]})
            except OverflowError:
                raise exceptions.ValidationError({"increment_by": ["The result would not fit in 64 bits."]})
        return Response({"trait_key": data["trait_key"], "trait_value": value, "identifier": data["identifier"]})


# --- Flagsmith's older SDK paths (its api/urls/deprecated.py and v1.py), over the same code ---------


def _without_variant(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The older paths' flag items are /flags/ items: no ``variant``.
    return [{key: value for key, value in item.items() if key != "variant"} for item in items]


def _stored_identity(
    compiled: CompiledEnvironment, identifier: str, throttle_key: str
) -> tuple[IdentityToEvaluate, services.StoredIdentity]:
    """The identity to evaluate for an identifier in the path, created when new."""
    if len(identifier) > IDENTIFIER_LIMIT:
        raise exceptions.ValidationError(
            {"identifier": [f"Ensure this field has no more than {IDENTIFIER_LIMIT} characters."]}
        )
    stored = services.get_or_create_identity(compiled.environment_id, identifier, throttle_key)
    return IdentityToEvaluate(identifier, {key: value for key, (_, value) in stored.traits.items()}, stored.id), stored


class IdentityFlagsView(SDKView):
    """``GET /flags/{identifier}``: the identity's flags as a ``/flags/`` list (deprecated in Flagsmith).

    The identity is created when new, as ``/identities/`` does; ``?feature=`` picks one.
    """

    metrics_endpoint = "sdk-identities"
    metrics_cache = None

    @extend_schema(tags=["sdk"], deprecated=True, responses={200: dict}, operation_id="sdk_v1_identity_flags")
    def get(self, request: Request, version: str, identifier: str) -> Any:
        compiled = self.get_compiled()
        identity, _ = _stored_identity(compiled, identifier, self.key_auth.key_hash)
        flags = _without_variant(evaluate_identity(compiled, identity, self.key_auth.is_server_key))
        metrics.IDENTITY_EVALUATION.inc()
        if (name := _feature_param(request)) is not None:
            return _json(dumps_json(_pick_feature(flags, name)))
        return _json(dumps_json(flags))


class IdentityWithSegmentsView(SDKView):
    """``GET /identities/{identifier}/``: ``{flags, traits, segments}`` (deprecated in Flagsmith).

    The identity is created when new; ``segments`` are the project's segments it is in.
    """

    metrics_endpoint = "sdk-identities"
    metrics_cache = None

    @extend_schema(tags=["sdk"], deprecated=True, responses={200: dict}, operation_id="sdk_v1_identity_with_segments")
    def get(self, request: Request, version: str, identifier: str) -> Any:
        compiled = self.get_compiled()
        identity, stored = _stored_identity(compiled, identifier, self.key_auth.key_hash)
        flags, segment_ids = evaluate_identity_and_segments(compiled, identity, self.key_auth.is_server_key)
        metrics.IDENTITY_EVALUATION.inc()
        traits = [] if compiled.hide_sensitive_data else services.trait_items(stored.traits, {})
        return _json(
            dumps_json(
                {"flags": _without_variant(flags), "traits": traits, "segments": services.segment_items(segment_ids)}
            )
        )


class IdentityTraitView(TraitWritingView):
    """``POST /identities/{identifier}/traits/{trait_key}`` with ``{"trait_value": …}`` (deprecated in Flagsmith).

    Stores one trait as ``/traits/`` does (a null value deletes it) and answers the trait.
    """

    @extend_schema(tags=["sdk"], deprecated=True, request=dict, responses={200: dict})
    def post(self, request: Request, version: str, identifier: str, trait_key: str) -> Any:
        if not isinstance(request.data, dict) or "trait_value" not in request.data:
            return Response({"detail": "Trait value not provided"}, status=status.HTTP_400_BAD_REQUEST)
        compiled = self.check_trait_writes()
        body = TraitRequestSerializer(
            data={
                "identity": {"identifier": identifier},
                "trait_key": trait_key,
                "trait_value": request.data["trait_value"],
            }
        )
        body.is_valid(raise_exception=True)
        value = body.validated_data["trait_value"]
        with transaction.atomic():
            stored = services.get_or_create_identity(compiled.environment_id, identifier, self.key_auth.key_hash)
            services.store_traits(stored, {trait_key: value})
        trait_id = stored.traits[trait_key][0] if trait_key in stored.traits else None
        return Response({"id": trait_id, "trait_key": trait_key, "trait_value": value, "transient": False})


@extend_schema(tags=["sdk"], responses={200: dict})
class FeatureMultivariateOptionsView(SDKView):
    """``GET /flags/{feature_id}/multivariate-options/``: a feature's control value and its variants' values."""

    def get(self, request: Request, version: str, feature_id: int) -> Any:
        compiled = self.get_compiled()
        feature = services.environment_feature(compiled, feature_id, self.key_auth.is_server_key)
        if feature is None:
            raise exceptions.NotFound()
        return Response(services.multivariate_options_payload(compiled, feature))


@extend_schema(tags=["sdk"], responses={200: dict, 304: None})
class EnvironmentDocumentView(SDKView):
    """``GET /environment-document/``: everything local evaluation needs; server-side keys only."""

    authentication_classes = [ServerKeyAuthentication]
    metrics_endpoint = "sdk-environment-document"

    def fast_get(self, request: Any, key_auth: EnvironmentKeyAuth) -> HttpResponse | None:
        compiled = key_auth.compiled_in_process()
        return None if compiled is None else self._respond(request, compiled)

    def get(self, request: Request, version: str) -> Any:
        return self._respond(request, self.get_compiled())

    def _respond(self, request: HttpRequest, compiled: CompiledEnvironment) -> HttpResponse:
        self.document_updated_at = compiled.updated_at_header
        return conditional_response(
            request,
            compiled.document_json,
            etag=_etag(compiled, "document"),
            # Only for the holder of the server-side key: no shared cache may keep it.
            cache_control="private, no-cache",
            last_modified=int(compiled.version.timestamp()),
        )


class AnalyticsFlagsView(SDKView):
    """Flag evaluation counts: v1 a flat ``{name: count}`` map (200), v2 a list of evaluations (204)."""

    @extend_schema(tags=["sdk"], request=dict, responses={200: None, 204: None})
    def post(self, request: Request, version: str) -> Any:
        compiled = self.key_auth.compiled  # counts carry no document header
        now = datetime.now(tz=UTC)
        if version == "v1":
            if not isinstance(request.data, dict):
                raise exceptions.ValidationError({"detail": "Expected an object of feature names to counts."})
            counts = [
                analytics_services.EvaluationCount(feature_name=name, count=count)
                for name, count in request.data.items()
                # Flagsmith drops what it cannot count rather than failing the SDK.
                if type(count) is int and count > 0 and name in compiled.feature_ids
            ]
            analytics_services.record_evaluations(compiled.environment_id, counts, now)
            metrics.SDK_REPORTED_EVALUATIONS.inc(sum(item.count for item in counts))
            return HttpResponse(status=status.HTTP_200_OK)
        body = EvaluationReportsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        counts = [
            analytics_services.EvaluationCount(
                feature_name=item["feature_name"],
                count=item["count"],
                identity_identifier=item.get("identity_identifier") or "",
                enabled_when_evaluated=item.get("enabled_when_evaluated"),
            )
            for item in body.validated_data["evaluations"]
            if item["count"] > 0 and item["feature_name"] in compiled.feature_ids
        ]
        analytics_services.record_evaluations(compiled.environment_id, counts, now)
        metrics.SDK_REPORTED_EVALUATIONS.inc(sum(item.count for item in counts))
        return Response(status=status.HTTP_204_NO_CONTENT)
