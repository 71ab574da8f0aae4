"""The SDK caches with real backends: current after every commit, never crossing keys, never a 500.

"Another process" is simulated by putting back the version this process knew
before the write: a process that did not make the change learns of it only
through the shared cache (at once) or its version check (within the bound).
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone
from pymemcache.client.base import Client as MemcacheClient

from documents import caching
from documents import store as environment_documents
from environments.services import create_server_key
from features import services as feature_services
from features.models import FeatureState
from sdk import authentication as sdk_authentication
from sdk.tests.conftest import add_override, sdk_client

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
PYMEMCACHE = "django.core.cache.backends.memcached.PyMemcacheCache"
REDIS = "django.core.cache.backends.redis.RedisCache"
# A port nothing listens on: the cache is "down".
DEAD_MEMCACHED = "127.0.0.1:9"


def _cache(backend: str, location: str, prefix: str, timeout: int | None = 300) -> dict:
    options = {"connect_timeout": 0.2, "timeout": 0.2} if backend == PYMEMCACHE else {}
    return {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": prefix, "TIMEOUT": timeout, "OPTIONS": options}


@pytest.fixture(params=["memcached", "redis"])
def shared_backend(request) -> tuple[str, str]:
    if request.param == "memcached":
        return PYMEMCACHE, request.getfixturevalue("memcached_location")
    return REDIS, request.getfixturevalue("redis_location")


def _use_sdk_caches(
    settings,
    backend: str,
    location: str,
    *,
    identities: bool = False,
    flags_endpoint: bool = False,
    documents: bool = False,
    prefix: str = "",
) -> str:
    """Point the SDK caches at one backend, under a key prefix of this test's own."""
    prefix = prefix or f"t{uuid.uuid4().hex[:12]}"
    settings.ENVIRONMENT_VERSION_CHECK_SECONDS = 60  # only the shared cache may make a change visible
    settings.CACHES = {
        **settings.CACHES,
        caching.ENVIRONMENT_OBJECTS: _cache(backend, location, prefix),
        caching.GET_IDENTITIES_ENDPOINT: _cache(backend, location, prefix),
        caching.GET_FLAGS_ENDPOINT: _cache(backend, location, prefix),
        caching.ENVIRONMENT_DOCUMENTS: _cache(backend, location, prefix, timeout=None),
    }
    settings.GET_IDENTITIES_ENDPOINT_CACHE_SECONDS = 300 if identities else 0
    settings.GET_FLAGS_ENDPOINT_CACHE_SECONDS = 300 if flags_endpoint else 0
    settings.CACHE_ENVIRONMENT_DOCUMENT_ENABLED = documents
    settings.CACHE_ENVIRONMENT_DOCUMENT_MODE = "PERSISTENT" if documents else "EXPIRING"
    return prefix


def _as_another_process(write, capture) -> None:
    """Run ``write``, commit it (after-commit hooks run), then forget what this process learnt."""
    known = dict(caching._versions)
    with capture(execute=True):
        write()
    caching._versions.update(known)


def _checkout_default(environment) -> FeatureState:
    return FeatureState.objects.get(
        feature__name="checkout", environment=environment, identity=None, feature_segment=None
    )


def _flag(client, name: str, path: str = "/api/v1/flags/") -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.content
    flags = response.json() if path.startswith("/api/v1/flags/") else response.json()["flags"]
    return next(flag for flag in flags if flag["feature"]["name"] == name)


def _trait_values(response) -> dict:
    return {trait["trait_key"]: trait["trait_value"] for trait in response.json()["traits"]}


# --- a change is seen by the very next request ---------------------------------------------------


def test_shared_cache__flag_flip__next_request_of_another_process_sees_it(
    settings, shared_backend, client_key_client, flags_environment, admin_user, django_capture_on_commit_callbacks
):
    _use_sdk_caches(settings, *shared_backend)
    assert _flag(client_key_client, "checkout")["enabled"] is True

    state = _checkout_default(flags_environment)
    _as_another_process(
        lambda: feature_services.update_feature_state(state, {"enabled": False}, admin_user),
        django_capture_on_commit_callbacks,
    )

    assert _flag(client_key_client, "checkout")["enabled"] is False


def test_per_process_cache__change_seen_within_the_version_check_bound(
    settings, client_key_client, flags_environment, admin_user, django_capture_on_commit_callbacks
):
    settings.ENVIRONMENT_VERSION_CHECK_SECONDS = 0.3
    assert _flag(client_key_client, "checkout")["enabled"] is True

    state = _checkout_default(flags_environment)
    _as_another_process(
        lambda: feature_services.update_feature_state(state, {"enabled": False}, admin_user),
        django_capture_on_commit_callbacks,
    )

    # The process has not checked again yet: the bound, not a bug.
    assert _flag(client_key_client, "checkout")["enabled"] is True
    time.sleep(0.35)
    assert _flag(client_key_client, "checkout")["enabled"] is False


def test_per_process_cache__own_commit_seen_at_once(
    settings, client_key_client, flags_environment, admin_user, django_capture_on_commit_callbacks
):
    settings.ENVIRONMENT_VERSION_CHECK_SECONDS = 60
    assert _flag(client_key_client, "checkout")["enabled"] is True

    with django_capture_on_commit_callbacks(execute=True):
        feature_services.update_feature_state(_checkout_default(flags_environment), {"enabled": False}, admin_user)

    assert _flag(client_key_client, "checkout")["enabled"] is False


def test_per_process_cache__rolled_back_write__never_published(
    settings, client_key_client, flags_environment, admin_user, django_capture_on_commit_callbacks
):
    settings.ENVIRONMENT_VERSION_CHECK_SECONDS = 60
    _flag(client_key_client, "checkout")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        feature_services.update_feature_state(_checkout_default(flags_environment), {"enabled": False}, admin_user)
    # Nothing ran: the publication waits for a commit that a rollback never makes.
    assert callbacks and caching._versions.get(flags_environment.pk) is not None


# --- keys: revoked, deleted, never crossing --------------------------------------------------------


def test_shared_cache__revoked_server_key__refused_by_next_request(
    settings, shared_backend, flags_environment, server_key, django_capture_on_commit_callbacks
):
    _use_sdk_caches(settings, *shared_backend, flags_endpoint=True)
    client = sdk_client(server_key.plain_key)
    assert client.get("/api/v1/flags/").status_code == 200
    environment_documents._compiled.clear()  # the response cache, not this process's copy, answers
    assert client.get("/api/v1/flags/").status_code == 200

    def revoke() -> None:
        server_key.active = False
        server_key.save(update_fields=["active"])

    _as_another_process(revoke, django_capture_on_commit_callbacks)

    response = client.get("/api/v1/flags/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid or missing Environment Key"}


def test_expired_server_key__refused_even_from_the_response_cache(
    settings, shared_backend, flags_environment, django_capture_on_commit_callbacks
):
    _use_sdk_caches(settings, *shared_backend, flags_endpoint=True)
    with django_capture_on_commit_callbacks(execute=True):
        key = create_server_key(
            environment=flags_environment, name="short", expires_at=timezone.now() + timedelta(seconds=1)
        )
    client = sdk_client(key.plain_key)
    assert client.get("/api/v1/flags/").status_code == 200
    environment_documents._compiled.clear()
    time.sleep(1.05)

    assert client.get("/api/v1/flags/").status_code == 403


def test_deleted_environment__key_refused(
    settings, shared_backend, client_key_client, flags_environment, django_capture_on_commit_callbacks
):
    _use_sdk_caches(settings, *shared_backend)
    assert client_key_client.get("/api/v1/flags/").status_code == 200

    _as_another_process(flags_environment.delete, django_capture_on_commit_callbacks)

    assert client_key_client.get("/api/v1/flags/").status_code == 403


def test_response_cache__never_crosses_environments_or_key_kinds(
    settings, shared_backend, flags_environment, server_key, other_environment, checkout
):
    _use_sdk_caches(settings, *shared_backend, flags_endpoint=True, identities=True)
    client_key, server = sdk_client(flags_environment.api_key), sdk_client(server_key.plain_key)
    other = sdk_client(other_environment.api_key)
    for _ in range(2):  # the second round is served from the response caches
        environment_documents._compiled.clear()
        client_names = {flag["feature"]["name"] for flag in client_key.get("/api/v1/flags/").json()}
        server_names = {flag["feature"]["name"] for flag in server.get("/api/v1/flags/").json()}
        assert "secret" in server_names and "secret" not in client_names
        assert other.get("/api/v1/flags/").json() == []
        identity_path = "/api/v1/identities/?identifier=someone"
        assert "secret" not in {flag["feature"]["name"] for flag in client_key.get(identity_path).json()["flags"]}
        assert "secret" in {flag["feature"]["name"] for flag in server.get(identity_path).json()["flags"]}
        assert other.get(identity_path).json()["flags"] == []


def test_key_prefix__every_entry_under_it(settings, memcached_location, client_key_client, flags_environment):
    prefix = _use_sdk_caches(settings, PYMEMCACHE, memcached_location, prefix=f"tenant{uuid.uuid4().hex[:8]}")
    assert client_key_client.get("/api/v1/flags/").status_code == 200

    host, port = memcached_location.split(":")
    raw = MemcacheClient((host, int(port)))
    # Django's key function: "<prefix>:<version>:<key>".
    assert raw.get(f"{prefix}:1:env-gen:{flags_environment.pk}") is not None
    assert raw.get(f"env-gen:{flags_environment.pk}") is None
    raw.close()


# --- identities ------------------------------------------------------------------------------------


def test_identities_cache__trait_change_seen_by_next_get(
    settings, shared_backend, client_key_client, flags_environment, django_capture_on_commit_callbacks
):
    _use_sdk_caches(settings, *shared_backend, identities=True)
    path = "/api/v1/identities/?identifier=ann"
    with django_capture_on_commit_callbacks(execute=True):
        client_key_client.post(
            "/api/v1/identities/",
            {"identifier": "ann", "traits": [{"trait_key": "plan", "trait_value": "free"}]},
            format="json",
        )
    assert _trait_values(client_key_client.get(path)) == {"plan": "free"}
    assert _trait_values(client_key_client.get(path)) == {"plan": "free"}

    with django_capture_on_commit_callbacks(execute=True):
        client_key_client.post(
            "/api/v1/identities/",
            {"identifier": "ann", "traits": [{"trait_key": "plan", "trait_value": "pro"}]},
            format="json",
        )

    assert _trait_values(client_key_client.get(path)) == {"plan": "pro"}


def test_identities_cache__new_identity_override_seen_by_next_get(
    settings, shared_backend, client_key_client, flags_environment, checkout, django_capture_on_commit_callbacks
):
    _use_sdk_caches(settings, *shared_backend, identities=True)
    path = "/api/v1/identities/?identifier=bob"
    assert _flag(client_key_client, "checkout", path)["feature_state_value"] == "blue"
    assert _flag(client_key_client, "checkout", path)["feature_state_value"] == "blue"
    from identities.models import Identity

    identity = Identity.objects.get(environment=flags_environment, identifier="bob")
    _as_another_process(
        lambda: add_override(checkout, flags_environment, identity=identity, value="gold"),
        django_capture_on_commit_callbacks,
    )

    assert _flag(client_key_client, "checkout", path)["feature_state_value"] == "gold"


def test_identities_cache__hit_reads_no_database(
    settings, shared_backend, client_key_client, flags_environment, django_assert_num_queries
):
    _use_sdk_caches(settings, *shared_backend, identities=True)
    path = "/api/v1/identities/?identifier=carol"
    first = client_key_client.get(path)
    with django_assert_num_queries(0):
        second = client_key_client.get(path)
    assert second.content == first.content
    assert second["X-Flagsmith-Document-Updated-At"] == first["X-Flagsmith-Document-Updated-At"]


# --- documents -------------------------------------------------------------------------------------


def test_persistent_document_cache__new_version_compiled_once_for_every_process(
    settings,
    shared_backend,
    server_key_client,
    flags_environment,
    admin_user,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    _use_sdk_caches(settings, *shared_backend, documents=True)
    with django_capture_on_commit_callbacks(execute=True):
        feature_services.update_feature_state(_checkout_default(flags_environment), {"enabled": False}, admin_user)
    # A process that has compiled nothing: the version check and the shared document.
    environment_documents._compiled.clear()
    server_key_client.get("/api/v1/flags/")  # resolves the key once
    environment_documents._compiled.clear()
    caching._versions.clear()
    with django_assert_num_queries(1):  # the version, read after a generation it has not seen
        response = server_key_client.get("/api/v1/environment-document/")
    checkout = next(fs for fs in response.json()["feature_states"] if fs["feature"]["name"] == "checkout")
    assert checkout["enabled"] is False


# --- failures --------------------------------------------------------------------------------------


def test_cache_down__every_endpoint_answers_from_the_database(
    settings, client_key_client, flags_environment, admin_user, django_capture_on_commit_callbacks
):
    _use_sdk_caches(settings, PYMEMCACHE, DEAD_MEMCACHED, identities=True, flags_endpoint=True, documents=True)
    assert _flag(client_key_client, "checkout")["enabled"] is True
    assert client_key_client.get("/api/v1/identities/?identifier=dan").status_code == 200

    _as_another_process(
        lambda: feature_services.update_feature_state(
            _checkout_default(flags_environment), {"enabled": False}, admin_user
        ),
        django_capture_on_commit_callbacks,
    )

    # No generation to compare: the version is read from the primary on every request.
    assert _flag(client_key_client, "checkout")["enabled"] is False
    assert _flag(client_key_client, "checkout", "/api/v1/identities/?identifier=dan")["enabled"] is False


def test_cache_full__document_too_big_to_store__still_served(
    settings, memcached_location, server_key_client, flags_environment, sdk_project, admin_user
):
    prefix = _use_sdk_caches(settings, PYMEMCACHE, memcached_location, documents=True)
    # Past memcached's 1 MB item limit: 30 features with 20,000-character values.
    for n in range(30):
        feature_services.create_feature(sdk_project, {"name": f"large_{n}", "initial_value": "x" * 20_000}, admin_user)

    response = server_key_client.get("/api/v1/environment-document/")

    assert response.status_code == 200
    assert len(response.content) > 600_000
    version = caching.current_version(flags_environment.pk)
    host, port = memcached_location.split(":")
    raw = MemcacheClient((host, int(port)))
    assert raw.get(f"{prefix}:1:document:{flags_environment.pk}:{caching.version_token(version)}") is None
    raw.close()


# --- thread safety ---------------------------------------------------------------------------------


def test_generations__concurrent_threads__every_increment_counted(settings, shared_backend):
    """Each thread gets its own client from ``caches[alias]``: no shared socket, no lost update."""
    _use_sdk_caches(settings, *shared_backend)
    key = f"env-gen:threads-{uuid.uuid4().hex}"
    start = caching._generation(caching.ENVIRONMENT_OBJECTS, key, 300)
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(200):
                caching._bump_generation(caching.ENVIRONMENT_OBJECTS, key, 300)
                caches[caching.ENVIRONMENT_OBJECTS].get(key)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert caches[caching.ENVIRONMENT_OBJECTS].get(key) == start + 8 * 200


# --- the fast path answers as the DRF path does ----------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/flags/", "/api/v1/flags/?feature=Checkout", "/api/v1/environment-document/"])
def test_fast_path__same_body_and_headers_as_the_first_compiling_request(settings, path, server_key_client):
    settings.ENVIRONMENT_VERSION_CHECK_SECONDS = 60
    first = server_key_client.get(path)  # compiles: the DRF path
    second = server_key_client.get(path)  # this process holds the version: the fast path

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert dict(second.headers) == dict(first.headers)


def test_fast_path__identities_cache_hit__same_headers_as_a_miss(
    settings, memcached_location, client_key_client, flags_environment
):
    _use_sdk_caches(settings, PYMEMCACHE, memcached_location, identities=True)
    path = "/api/v1/identities/?identifier=erin"
    miss, hit = client_key_client.get(path), client_key_client.get(path)

    assert hit.content == miss.content
    assert dict(hit.headers) == dict(miss.headers)
    assert "no-store" in hit["Cache-Control"]


@pytest.fixture
def key_lookups(monkeypatch) -> list[str]:
    """The keys ``sdk.authentication`` looks up (key and version), one entry per lookup."""
    looked_up: list[str] = []
    lookup = sdk_authentication.authenticate_key

    def counted(key: str, **options):
        looked_up.append(key)
        return lookup(key, **options)

    monkeypatch.setattr(sdk_authentication, "authenticate_key", counted)
    return looked_up


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/flags/", 200),
        ("/api/v1/flags/?feature=checkout", 200),
        ("/api/v1/flags/?feature=nope", 404),
        ("/api/v1/environment-document/", 200),
        ("/api/v1/identities/?identifier=erin", 200),
    ],
)
def test_sdk_request__cold_process__key_resolved_once(key_lookups, path, status, server_key_client):
    response = server_key_client.get(path)  # nothing compiled yet: the fast path declines, DRF answers

    assert response.status_code == status
    assert len(key_lookups) == 1


def test_sdk_request__unknown_key__resolved_once_and_refused(key_lookups, flags_environment):
    response = sdk_client("not-a-key").get("/api/v1/flags/")

    assert response.status_code == 403
    assert response.json() == {"detail": sdk_authentication.INVALID_KEY}
    assert len(key_lookups) == 1
