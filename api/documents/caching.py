"""What the SDK hot path keeps instead of asking the database, and how it stays current.

Three facts, each kept where it is cheapest to keep it correct:

- **key -> environment id** (``environment-objects``, ``ENVIRONMENT_CACHE_*``). A key
  never moves to another environment, so the answer is also memoised per process.
  Whether the key still *opens* the environment (revoked, expired, environment
  deleted) is checked against the compiled document of the current version, and
  every such change bumps the version.
- **environment -> current version**, the one fact that must be fresh. With a shared
  ``ENVIRONMENT_CACHE_BACKEND`` (memcached, Redis, anything not per-process), every
  change increments the environment's generation counter there after commit, and each
  request reads it (one cache round trip): a change is seen by the next request of every
  process. With a per-process backend, a process re-reads the version from the primary
  at most every ``ENVIRONMENT_VERSION_CHECK_SECONDS`` (1 s), and at once for changes it
  committed itself.
- **version -> compiled document** (``documents.store``), keyed by version, so
  never stale.

A generation is read *before* the version it stands for, and bumped *after* the commit,
so a reader racing a writer can only ever pair an old generation with a new version,
which costs one extra read, never a stale answer. Any cache error degrades to the
database: a request never fails because a cache did. A generation that cannot be read
is unknown (the reader asks the primary), and a bump the cache did not confirm is
retried by the writing process until it is (``_schedule_repair``), so an outage leaves
no reader stale for longer than it takes the cache to answer that process again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from core import replicas
from environments.models import Environment, EnvironmentAPIKey, hash_server_key
from versioning.models import EnvironmentFeatureVersion

logger = logging.getLogger(__name__)

ENVIRONMENT_OBJECTS = "environment-objects"
ENVIRONMENT_DOCUMENTS = "environment-documents"
ENVIRONMENT_FLAGS = "environment-flags"
PROJECT_SEGMENTS = "project-segments"
GET_FLAGS_ENDPOINT = "get-flags-endpoint"
GET_IDENTITIES_ENDPOINT = "get-identities-endpoint"

_PER_PROCESS_BACKENDS = frozenset(
    {"django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"}
)
_DUMMY_BACKEND = "django.core.cache.backends.dummy.DummyCache"
# How often one failing cache is reported in the log.
_REPORT_EVERY_SECONDS = 60.0
_KEY_MEMO_SIZE = 10_000
# What cache_call answers for a call that failed, where None would mean "missing".
_FAILED = object()


# --- cache calls that never raise ---------------------------------------------------------------

_last_report: dict[str, float] = {}


def _report(alias: str, operation: str, error: Exception) -> None:
    now = time.monotonic()
    if now - _last_report.get(alias, -_REPORT_EVERY_SECONDS) >= _REPORT_EVERY_SECONDS:
        _last_report[alias] = now
        logger.warning("cache %r failed on %s (%r); reading from the database instead", alias, operation, error)


def cache_call(alias: str, operation: str, *args: Any, default: Any = None) -> Any:
    """``caches[alias].<operation>(*args)``, or ``default`` if the backend fails.

    ``caches[alias]`` is per thread in Django, so each gunicorn thread has its own
    memcached or Redis client: nothing here is shared between threads.
    """
    try:
        return getattr(caches[alias], operation)(*args)
    except Exception as error:  # memcached down, Redis refused, value too large, ...
        _report(alias, operation, error)
        return default


def is_shared(alias: str) -> bool:
    """True when every process sees the same entries (not LocMem, not Dummy)."""
    return settings.CACHES[alias]["BACKEND"] not in _PER_PROCESS_BACKENDS


def is_enabled(alias: str, seconds: int | None = None) -> bool:
    backend = settings.CACHES[alias]["BACKEND"]
    return backend != _DUMMY_BACKEND and (seconds is None or seconds > 0)


def digest(text: str) -> str:
    """A short, memcached-safe stand-in for user-supplied text in a key."""
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def version_token(version: datetime) -> str:
    """The version to the microsecond, so two changes within one second differ."""
    return f"{int(version.timestamp())}{version.microsecond:06d}"


# --- generations: counters bumped after each commit -------------------------------------------


def _generation(alias: str, key: str, timeout: int | None) -> Any:
    """The counter's value, creating it (with a value no earlier counter had) if missing."""
    token = cache_call(alias, "get", key, default=_FAILED)
    if token is _FAILED:
        return None  # generation unknown: the caller asks the database
    if token is None:
        cache_call(alias, "add", key, time.time_ns(), timeout)
        token = cache_call(alias, "get", key)
    return token


def _is_count(value: Any) -> bool:
    """An ``incr`` that reached the server answers the new count; anything else did not."""
    return isinstance(value, int) and not isinstance(value, bool)


def _try_bump(cache: Any, key: str, timeout: int | None) -> bool:
    """Increment the counter (or start a new one); True only when the server said it did.

    pymemcache 4's ``HashClient`` answers ``False`` without contacting the server while
    it is waiting to retry one that failed, and Django passes that through, so a bump is
    confirmed by the count it returns, never by the absence of an exception.
    """
    try:
        return _is_count(cache.incr(key))
    except ValueError:  # missing: start a new counter, unless another writer just did
        pass
    except Exception:
        return False
    try:
        if cache.add(key, time.time_ns(), timeout) is True:
            return True
        return _is_count(cache.incr(key))
    except Exception:
        return False


def _bump_generation(alias: str, key: str, timeout: int | None) -> None:
    if not _try_bump(caches[alias], key, timeout):
        # SDK trait writes bump too: one line per cache a minute, not one per write.
        now = time.monotonic()
        if now - _last_report.get(f"bump:{alias}", -_REPORT_EVERY_SECONDS) >= _REPORT_EVERY_SECONDS:
            _last_report[f"bump:{alias}"] = now
            logger.warning(
                "cache %r did not confirm the bump of %s (nor may it others for a minute): processes "
                "that cached the previous state may serve it until the bump is repaired, which is "
                "retried every %g s until the cache answers",
                alias,
                key,
                _REPAIR_EVERY_SECONDS,
            )
        _schedule_repair(alias, key, timeout)


# --- repairs: bumps the shared cache did not confirm ---------------------------------------------
#
# A reader that cannot read a generation asks the primary, so an outage as such leaves
# nobody stale. What does is a bump lost while the readers' clients were fine (or that
# recovered first): they keep trusting the unchanged generation. So the process that
# committed the change keeps the bump it could not make and makes it as soon as the
# cache answers, from a background thread with a fresh client each round (a client
# waiting out its own retry window would delay the repair). A bump made twice costs
# each process one extra version read; a bump never made costs stale reads.

_REPAIR_EVERY_SECONDS = 0.2
_PENDING_LIMIT = 100_000


@dataclass
class _PendingBump:
    timeout: int | None
    failures: int  # how many bumps failed; a repair clears only the failures it saw


_pending: dict[tuple[str, str], _PendingBump] = {}
_pending_lock = threading.Lock()
_repairer: threading.Thread | None = None


def _forget_repairs_after_fork() -> None:
    """A forked child starts with no repairs (the parent makes its own) and a free lock."""
    global _pending_lock, _repairer
    _pending_lock = threading.Lock()
    _pending.clear()
    _repairer = None


os.register_at_fork(after_in_child=_forget_repairs_after_fork)


def _schedule_repair(alias: str, key: str, timeout: int | None) -> None:
    global _repairer
    with _pending_lock:
        pending = _pending.get((alias, key))
        if pending is None and len(_pending) >= _PENDING_LIMIT:
            # Memory stays bounded through a long outage under trait-write load; the
            # identities whose bump is dropped may be served from the response cache
            # until they change again (or GET_IDENTITIES_ENDPOINT_CACHE_SECONDS expires).
            now = time.monotonic()
            if now - _last_report.get("bump-limit", -_REPORT_EVERY_SECONDS) >= _REPORT_EVERY_SECONDS:
                _last_report["bump-limit"] = now
                logger.error("more than %d cache bumps pending: %s (and others) not repaired", _PENDING_LIMIT, key)
            return
        _pending[(alias, key)] = _PendingBump(timeout, pending.failures + 1 if pending else 1)
        # After a fork the child has the parent's Thread object but not the thread.
        if _repairer is None or not _repairer.is_alive():
            _repairer = threading.Thread(target=_repair_until_done, name="cache-generation-repair", daemon=True)
            _repairer.start()


def pending_repairs() -> dict[tuple[str, str], int]:
    """(alias, key) -> failed bumps not yet repaired, for this process."""
    with _pending_lock:
        return {slot: pending.failures for slot, pending in _pending.items()}


def repair_pending_bumps() -> int:
    """One round of repairs with fresh cache clients; how many bumps are still pending."""
    with _pending_lock:
        snapshot = {slot: pending.failures for slot, pending in _pending.items()}
    clients: dict[str, Any] = {}
    try:
        for (alias, key), failures in snapshot.items():
            if alias not in clients:
                clients[alias] = caches.create_connection(alias)
            pending = _pending.get((alias, key))
            if pending is None or not _try_bump(clients[alias], key, pending.timeout):
                continue
            with _pending_lock:
                current = _pending.get((alias, key))
                if current is not None and current.failures == failures:
                    del _pending[(alias, key)]
            logger.warning("cache %r answers again: bump of %s repaired", alias, key)
    finally:
        for client in clients.values():
            with contextlib.suppress(Exception):  # closing a client of a failing server
                client.close()
    with _pending_lock:
        return len(_pending)


def _repair_until_done() -> None:
    global _repairer
    while True:
        time.sleep(_REPAIR_EVERY_SECONDS)
        try:
            repair_pending_bumps()
        except Exception:  # never let the thread die with bumps pending
            logger.exception("repairing cache generations failed; retrying")
        with _pending_lock:
            if not _pending:
                _repairer = None
                return


# --- key -> environment id --------------------------------------------------------------------

_key_memo: dict[str, int] = {}


def environment_id_for_key(key: str) -> tuple[int, str] | None:
    """The environment a key belongs to (whatever the key's state), and the key's hash."""
    key_hash = hash_server_key(key)
    environment_id = _key_memo.get(key_hash)
    if environment_id is not None:
        return environment_id, key_hash
    cache_key = f"env-key:{key_hash}"
    environment_id = cache_call(ENVIRONMENT_OBJECTS, "get", cache_key)
    if environment_id is None:
        primary = replicas.primary_alias()
        if key.startswith(EnvironmentAPIKey.PREFIX):
            found = EnvironmentAPIKey.objects.using(primary).filter(key_hash=key_hash).values_list("environment_id")
        else:
            found = Environment.objects.using(primary).filter(api_key=key).values_list("id")
        row = found.first()
        if row is None:
            return None
        environment_id = row[0]
        cache_call(ENVIRONMENT_OBJECTS, "set", cache_key, environment_id, settings.ENVIRONMENT_CACHE_SECONDS)
    if len(_key_memo) >= _KEY_MEMO_SIZE:
        _key_memo.clear()
    _key_memo[key_hash] = environment_id
    return environment_id, key_hash


def forget_key(key_hash: str) -> None:
    """Drop a key whose environment is gone."""
    _key_memo.pop(key_hash, None)
    cache_call(ENVIRONMENT_OBJECTS, "delete", f"env-key:{key_hash}")


# --- environment -> current version -------------------------------------------------------------


@dataclass(frozen=True)
class _KnownVersion:
    generation: Any  # the shared generation it was read under; None without one
    version: datetime
    read_at: float  # time.monotonic()
    # When a scheduled feature version goes live: the version is no longer current then.
    valid_until: datetime | None = None

    def expired(self) -> bool:
        return self.valid_until is not None and timezone.now() >= self.valid_until


_versions: dict[int, _KnownVersion] = {}
_versions_lock = threading.Lock()


def _generation_key(environment_id: int) -> str:
    return f"env-gen:{environment_id}"


def _read_version(environment_id: int, generation: Any) -> datetime | None:
    """The environment's version, in the one query it always took.

    With feature versions (``versioning``), a published version whose ``live_from``
    has come changes what SDKs see before anything is written: the version is then
    that ``live_from`` if it is newer than ``updated_at``, and the next ``live_from``
    to come is when this answer stops being current. Both come from subqueries of
    the same query (an index on the pending versions), not from a query per request.
    """
    primary = replicas.primary_alias()
    now = timezone.now()
    pending = EnvironmentFeatureVersion.objects.pending().filter(environment_id=OuterRef("pk"))
    row = (
        Environment.objects.using(primary)
        .filter(pk=environment_id)
        .annotate(
            last_due=Subquery(pending.filter(live_from__lte=now).order_by("-live_from").values("live_from")[:1]),
            next_due=Subquery(pending.filter(live_from__gt=now).order_by("live_from").values("live_from")[:1]),
        )
        .values_list("updated_at", "last_due", "next_due")
        .first()
    )
    version = None
    with _versions_lock:
        if row is None:
            _versions.pop(environment_id, None)
        else:
            updated_at, last_due, next_due = row
            version = max(updated_at, last_due) if last_due is not None else updated_at
            _versions[environment_id] = _KnownVersion(generation, version, time.monotonic(), next_due)
    return version


def current_version(environment_id: int, max_age: float = 0.0) -> datetime | None:
    """The environment's document version, or None if it no longer exists.

    ``max_age`` lets a caller accept a version checked that many seconds ago without
    asking anyone (``CACHE_FLAGS_SECONDS``, Flagsmith's TTL-only flags cache).
    """
    known = _versions.get(environment_id)
    if known is not None and known.expired():
        known = None  # a scheduled change has gone live since: read again
    if known is not None and max_age > 0 and time.monotonic() - known.read_at < max_age:
        return known.version
    if is_shared(ENVIRONMENT_OBJECTS):
        generation = _generation(
            ENVIRONMENT_OBJECTS, _generation_key(environment_id), settings.ENVIRONMENT_CACHE_SECONDS
        )
        if generation is not None and known is not None and known.generation == generation:
            return known.version
        # A new generation, or no answer from the cache: ask the primary.
        return _read_version(environment_id, generation)
    if known is not None and time.monotonic() - known.read_at < settings.ENVIRONMENT_VERSION_CHECK_SECONDS:
        return known.version
    return _read_version(environment_id, None)


def environments_changed(environment_ids: Iterable[int]) -> None:
    """Forget this process's versions and bump the shared generations, after the commit."""
    environment_ids = list(environment_ids)
    with _versions_lock:
        for environment_id in environment_ids:
            _versions.pop(environment_id, None)
    if is_shared(ENVIRONMENT_OBJECTS):
        for environment_id in environment_ids:
            _bump_generation(ENVIRONMENT_OBJECTS, _generation_key(environment_id), settings.ENVIRONMENT_CACHE_SECONDS)


# --- identities: a generation per identity for the GET /identities/ response cache ------------


def _identity_generation_key(environment_id: int, identifier: str) -> str:
    return f"identity-gen:{environment_id}:{digest(identifier)}"


def identities_cache_enabled() -> bool:
    """Whether GET /identities/ responses are cached (``GET_IDENTITIES_ENDPOINT_CACHE_*``)."""
    return is_enabled(GET_IDENTITIES_ENDPOINT, settings.GET_IDENTITIES_ENDPOINT_CACHE_SECONDS)


def identity_writes_matter() -> bool:
    """Whether a write to an identity must be announced (``identities_changed``) at all."""
    return identities_cache_enabled() or bool(replicas.replica_aliases())


def identity_generation(environment_id: int, identifier: str) -> Any:
    return _generation(
        GET_IDENTITIES_ENDPOINT,
        _identity_generation_key(environment_id, identifier),
        settings.GET_IDENTITIES_ENDPOINT_CACHE_SECONDS,
    )


def identity_generation_and_entry(environment_id: int, identifier: str, entry_key: str) -> tuple[Any, Any]:
    """The identity's generation and a cached entry, in one round trip when both exist."""
    generation_key = _identity_generation_key(environment_id, identifier)
    found = cache_call(GET_IDENTITIES_ENDPOINT, "get_many", [generation_key, entry_key], default={})
    generation = found.get(generation_key)
    if generation is None:
        return identity_generation(environment_id, identifier), None
    return generation, found.get(entry_key)


def identities_changed(environment_id: int, identifiers: Iterable[str]) -> None:
    """After commit: cached GET /identities/ responses of these identities are no longer current."""
    identifiers = list(identifiers)
    _note_identity_writes(environment_id, identifiers)
    if not identities_cache_enabled():
        return
    for identifier in identifiers:
        _bump_generation(
            GET_IDENTITIES_ENDPOINT,
            _identity_generation_key(environment_id, identifier),
            settings.GET_IDENTITIES_ENDPOINT_CACHE_SECONDS,
        )


# --- identities on read replicas: read-your-writes ------------------------------------------
#
# GET /identities/ reads the identity and its traits from a replica (core.replicas), except
# for an identity written in the last REPLICA_READ_YOUR_WRITES_SECONDS: the process that
# wrote it remembers that, and with a shared environment cache so does every process, so
# a client that has just written reads its write wherever its next request lands.

_recent_identity_writes: dict[str, float] = {}  # key -> time.monotonic() until which
_RECENT_WRITES_SIZE = 100_000


def _identity_written_key(environment_id: int, identifier: str) -> str:
    return f"identity-written:{environment_id}:{digest(identifier)}"


def _note_identity_writes(environment_id: int, identifiers: list[str]) -> None:
    if not replicas.replica_aliases():
        return
    seconds = settings.REPLICA_READ_YOUR_WRITES_SECONDS
    until = time.monotonic() + seconds
    if len(_recent_identity_writes) >= _RECENT_WRITES_SIZE:
        now = time.monotonic()
        for key in [key for key, deadline in _recent_identity_writes.items() if deadline <= now]:
            _recent_identity_writes.pop(key, None)
    shared = is_shared(ENVIRONMENT_OBJECTS)
    for identifier in identifiers:
        key = _identity_written_key(environment_id, identifier)
        _recent_identity_writes[key] = until
        if shared:
            # memcached counts expiry in whole seconds, so an entry may go up to 1 s early.
            cache_call(ENVIRONMENT_OBJECTS, "set", key, 1, math.ceil(seconds) + 1)


def identity_read_may_use_replica(environment_id: int, identifier: str) -> bool:
    """Whether GET /identities/ may read this identity from a replica (none written it lately)."""
    if not replicas.replica_aliases():
        return False
    key = _identity_written_key(environment_id, identifier)
    deadline = _recent_identity_writes.get(key)
    if deadline is not None:
        if deadline > time.monotonic():
            return False
        _recent_identity_writes.pop(key, None)
    if is_shared(ENVIRONMENT_OBJECTS):
        # Written lately by another process, or the cache cannot say: the primary.
        return cache_call(ENVIRONMENT_OBJECTS, "get", key, default=_FAILED) is None
    return True


def forget_everything_in_process() -> None:
    """Tests: start from cold per-process state."""
    _key_memo.clear()
    with _versions_lock:
        _versions.clear()
    with _pending_lock:
        _pending.clear()
    _recent_identity_writes.clear()
    _last_report.clear()
