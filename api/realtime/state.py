"""What a stream process reads from the database: run in its worker threads, never on the event loop.

Each function is one read a stream process makes *per environment per change* (or
per key, once), whatever the number of streams: ``realtime.hub`` coalesces every
stream's need into one call.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import router

from documents import caching, store
from documents.compiler import key_opens
from documents.keys import ORGANISATION_DISABLED
from environments.models import Environment

KEY_REVOKED = "This key has been revoked or has expired."
# SQLite allows 32766 variables per statement, PostgreSQL 65535; a stream process rarely
# follows that many environments, but a resync must not fail if it does.
_IN_CHUNK = 5000


@dataclass(frozen=True)
class EnvironmentState:
    """An environment's version and what decides who may stream it, from its compiled document."""

    environment_id: int
    version: datetime
    enabled: bool  # the project's enable_realtime_updates
    api_key: str
    server_keys: dict[str, datetime | None]
    stop_serving_flags: bool

    def refusal(self, key: str, key_hash: str, now: datetime) -> str | None:
        """Why ``key`` may not stream this environment (a 403), or None."""
        if not key_opens(key, key_hash, now, api_key=self.api_key, server_keys=self.server_keys):
            return KEY_REVOKED
        if self.stop_serving_flags:
            return ORGANISATION_DISABLED
        return None

    @property
    def updated_at(self) -> float:
        """The version as the SDKs compare it: the float of ``X-Flagsmith-Document-Updated-At``."""
        return self.version.timestamp()

    def event(self) -> bytes:
        # The browser SDK listens for this event name; the Python SDK reads any event's data.
        data = json.dumps({"updated_at": self.updated_at})
        return f"event: environment_updated\ndata: {data}\n\n".encode()


def settle_seconds() -> float:
    """How long after a commit every API process is sure to serve the new version.

    With a shared ``ENVIRONMENT_CACHE_BACKEND`` at once (the generation is bumped before
    the announcement); with the per-process default, after each process's next version
    check (``ENVIRONMENT_VERSION_CHECK_SECONDS``); and ``CACHE_FLAGS_SECONDS`` lets
    ``/flags/`` serve a version that long. An event sent earlier would make SDKs refetch
    the old flags and then ignore the change.
    """
    check = 0.0 if caching.is_shared(caching.ENVIRONMENT_OBJECTS) else settings.ENVIRONMENT_VERSION_CHECK_SECONDS
    return max(check, float(settings.CACHE_FLAGS_SECONDS))


def environment_for_key(key: str) -> tuple[int, str] | None:
    """The environment a key names (whatever the key's state) and the key's hash; memoised per process."""
    return caching.environment_id_for_key(key)


def load(environment_id: int) -> EnvironmentState | None:
    """The environment's current version and key rules; None if it was deleted.

    The version is read from the primary; the compiled document of that version comes
    from the process LRU, the shared document cache (compiled once for every process in
    PERSISTENT mode) or is compiled here.
    """
    primary = router.db_for_write(Environment)
    version = Environment.objects.using(primary).filter(pk=environment_id).values_list("updated_at", flat=True).first()
    if version is None:
        return None
    try:
        compiled = store.compiled_environment(environment_id, version)
    except Environment.DoesNotExist:  # deleted in between
        return None
    return EnvironmentState(
        environment_id=environment_id,
        version=version,
        enabled=bool(compiled.document["project"].get("enable_realtime_updates")),
        api_key=compiled.api_key,
        server_keys=dict(compiled.server_keys),
        stop_serving_flags=compiled.stop_serving_flags,
    )


def versions(environment_ids: Iterable[int]) -> dict[int, datetime]:
    """The current version of each environment that still exists: one query per few thousand."""
    primary = router.db_for_write(Environment)
    ids = list(environment_ids)
    found: dict[int, datetime] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        rows = Environment.objects.using(primary).filter(pk__in=ids[start : start + _IN_CHUNK])
        found.update(rows.values_list("id", "updated_at"))
    return found
