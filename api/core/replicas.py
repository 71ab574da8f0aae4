"""Opt-in routing of reads to healthy read replicas.

Reads go to a replica only inside :func:`replica_reads` (list views, SDK reads)
and only while the current request has written nothing and no transaction is
open, so a request always reads its own writes. One replica is picked at
random per request and kept for it, so two reads in one response never see two
different replication positions. A replica that cannot be reached is skipped,
logged, and left alone for ``REPLICA_RETRY_SECONDS``; with no healthy replica
the primary serves.
"""

from __future__ import annotations

import contextvars
import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger("banderole.replicas")

REPLICA_PREFIX = "replica_"

_replica_reads_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_reads_allowed", default=False)
_has_written: contextvars.ContextVar[bool] = contextvars.ContextVar("has_written", default=False)
# The alias chosen for this request; "" means "not chosen yet", None "use the primary".
_chosen_replica: contextvars.ContextVar[str | None] = contextvars.ContextVar("chosen_replica", default="")

_unhealthy_until: dict[str, float] = {}
_unhealthy_lock = threading.Lock()


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


def reset_request_state() -> None:
    """Forget what the previous request on this thread wrote and chose."""
    _has_written.set(False)
    _chosen_replica.set("")
    _replica_reads_allowed.set(False)


def primary_alias() -> str:
    """The primary, for a read that must be current (what feeds a cache).

    Unlike ``router.db_for_write``, asking does not count as a write, so the request's
    other reads may still go to a replica.
    """
    return DEFAULT_DB_ALIAS


def mark_written() -> None:
    _has_written.set(True)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Allow reads inside this block to be served by a read replica."""
    token = _replica_reads_allowed.set(True)
    try:
        yield
    finally:
        _replica_reads_allowed.reset(token)


def read_alias() -> str | None:
    """The alias a read should use now, or None for the primary."""
    if not _replica_reads_allowed.get() or _has_written.get():
        return None
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    chosen = _chosen_replica.get()
    if chosen == "":
        chosen = _choose_healthy_replica()
        _chosen_replica.set(chosen)
    return chosen


def _choose_healthy_replica() -> str | None:
    now = time.monotonic()
    with _unhealthy_lock:
        candidates = [alias for alias in replica_aliases() if _unhealthy_until.get(alias, 0.0) <= now]
    random.shuffle(candidates)
    for alias in candidates:
        connection = connections[alias]
        try:
            # A persistent connection to a replica that has since gone away must
            # fail here, where it can be skipped, not at the first query.
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except DatabaseError as exc:
            with _unhealthy_lock:
                _unhealthy_until[alias] = now + settings.REPLICA_RETRY_SECONDS
            logger.warning("Read replica %s is unreachable, skipping it: %s", alias, exc)
            continue
        return alias
    return None


def forget_unhealthy_replicas() -> None:
    with _unhealthy_lock:
        _unhealthy_until.clear()
