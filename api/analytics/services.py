"""Storing flag evaluation counts reported by SDKs.

The SDK endpoints call ``record_evaluations``; with ``FEATURE_EVALUATION_CACHE_SECONDS``
above 0 (the default, 60, as Flagsmith) counts are only added to an in-process buffer
(no query, no I/O on the SDK path) and a background thread flushes the buffer every
that many seconds, summed per environment, feature, hour (and, for v2 reports,
identity and enabled state): one database row update per key instead of one per
report. A process that dies loses at most that window of counts, as Flagsmith's
buffer does. 0 writes each report as it arrives. Each flush is also written to
InfluxDB 2 when ``INFLUXDB_URL``/``INFLUXDB_TOKEN``/``INFLUXDB_ORG`` are set.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.db.models import F
from django.db.models.functions import Least

from analytics.models import FeatureEvaluationBucket

logger = logging.getLogger("banderole.analytics")


@dataclass(frozen=True)
class EvaluationCount:
    feature_name: str
    count: int
    identity_identifier: str = ""
    enabled_when_evaluated: bool | None = None


# Bounds that keep every sum storable (a bucket is a signed 64-bit integer in PostgreSQL):
# one reported count (SDKs count in unsigned 32 bits, Unleash's too), one bucket's sum in
# one flush, and a stored bucket, which stops growing there rather than overflow.
MAX_COUNT = 2**32 - 1
MAX_FLUSH_COUNT = 2**48
MAX_STORED_COUNT = 2**62

# (environment_id, feature_name, identity_identifier, enabled_when_evaluated, bucket_start) -> count
BucketKey = tuple[int, str, str, bool | None, datetime]

_buffer: Counter[BucketKey] = Counter()
_buffer_lock = threading.Lock()
_flusher: threading.Thread | None = None
_flusher_pid: int | None = None
_stop = threading.Event()


def record_evaluations(environment_id: int, counts: list[EvaluationCount], now: datetime) -> None:
    """Add counts to the hour's buckets (buffered, or at once when buffering is off)."""
    if not counts:
        return
    bucket_start = now.replace(minute=0, second=0, microsecond=0)
    keys = Counter(
        {
            (environment_id, item.feature_name, item.identity_identifier, item.enabled_when_evaluated, bucket_start): 0
            for item in counts
        }
    )
    for item in counts:
        key = (environment_id, item.feature_name, item.identity_identifier, item.enabled_when_evaluated, bucket_start)
        keys[key] = min(keys[key] + min(item.count, MAX_COUNT), MAX_FLUSH_COUNT)
    if settings.FEATURE_EVALUATION_CACHE_SECONDS <= 0:
        write_buckets(keys)
        return
    with _buffer_lock:
        for key, count in keys.items():
            _buffer[key] = min(_buffer[key] + count, MAX_FLUSH_COUNT)
    _ensure_flusher()


def write_buckets(counts: Counter[BucketKey]) -> None:
    """Add summed counts to their buckets in one transaction, then to InfluxDB if configured."""
    if not counts:
        return
    with transaction.atomic():
        for (environment_id, feature_name, identity, enabled, bucket_start), count in counts.items():
            bucket = {
                "environment_id": environment_id,
                "feature_name": feature_name,
                "identity_identifier": identity,
                "enabled_when_evaluated": enabled,
                "bucket_start": bucket_start,
            }
            count = min(count, MAX_FLUSH_COUNT)
            updated = FeatureEvaluationBucket.objects.filter(**bucket).update(
                count=Least(F("count") + count, MAX_STORED_COUNT)
            )
            if not updated:
                FeatureEvaluationBucket.objects.create(**bucket, count=min(count, MAX_STORED_COUNT))
    if settings.INFLUXDB_ENABLED:
        write_to_influxdb(counts)


def flush() -> int:
    """Write the buffer now; returns how many bucket keys were written."""
    with _buffer_lock:
        pending = Counter(_buffer)
        _buffer.clear()
    if not pending:
        return 0
    try:
        write_buckets(pending)
    except (OperationalError, InterfaceError):
        # The database is away: keep the counts for the next flush rather than drop them.
        logger.exception("Could not store %s flag evaluation buckets; keeping them for the next flush", len(pending))
        with _buffer_lock:
            for key, count in pending.items():
                _buffer[key] = min(_buffer[key] + count, MAX_FLUSH_COUNT)
        return 0
    except Exception:
        # Something in the batch cannot be stored: store the rest one by one and drop what
        # fails, so one bad bucket never keeps every later flush failing.
        logger.exception("Could not store %s flag evaluation buckets at once; storing them one by one", len(pending))
        return _write_each(pending)
    return len(pending)


def _write_each(pending: Counter[BucketKey]) -> int:
    written = 0
    for key, count in pending.items():
        try:
            write_buckets(Counter({key: count}))
            written += 1
        except Exception:
            logger.warning(
                "Dropped %s evaluations of %r (environment %s): they could not be stored", count, key[1], key[0]
            )
    return written


def _ensure_flusher() -> None:
    global _flusher, _flusher_pid
    if _flusher is not None and _flusher_pid == os.getpid() and _flusher.is_alive():
        return
    with _buffer_lock:
        if _flusher is not None and _flusher_pid == os.getpid() and _flusher.is_alive():
            return
        _flusher_pid = os.getpid()
        _flusher = threading.Thread(target=_flush_forever, name="analytics-flusher", daemon=True)
        _flusher.start()


def _flush_forever() -> None:
    while not _stop.wait(settings.FEATURE_EVALUATION_CACHE_SECONDS):
        close_old_connections()
        flush()


@atexit.register
def _flush_at_exit() -> None:
    # flush() already keeps what it cannot write; at shutdown there is no next flush.
    if _buffer:
        with contextlib.suppress(Exception):
            flush()


# --- InfluxDB 2 ----------------------------------------------------------------------


def _escape_tag(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def influx_lines(counts: Counter[BucketKey]) -> str:
    """Line protocol, one point per environment, feature and hour (identities summed)."""
    summed: Counter[tuple[int, str, datetime]] = Counter()
    for (environment_id, feature_name, _identity, _enabled, bucket_start), count in counts.items():
        summed[(environment_id, feature_name, bucket_start)] += count
    return "\n".join(
        f"feature_evaluation,environment_id={environment_id},feature_id={_escape_tag(feature_name)} "
        f"request_count={count}i {int(bucket_start.timestamp())}"
        for (environment_id, feature_name, bucket_start), count in sorted(summed.items())
    )


def write_to_influxdb(counts: Counter[BucketKey]) -> bool:
    """POST the counts to InfluxDB 2's write API; failures are logged, never raised."""
    query = urlencode({"org": settings.INFLUXDB_ORG, "bucket": settings.INFLUXDB_BUCKET, "precision": "s"})
    request = urllib.request.Request(
        f"{settings.INFLUXDB_URL.rstrip('/')}/api/v2/write?{query}",
        data=influx_lines(counts).encode(),
        headers={"Authorization": f"Token {settings.INFLUXDB_TOKEN}", "Content-Type": "text/plain; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.INFLUXDB_TIMEOUT_SECONDS):
            return True
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.warning("Could not write flag evaluations to InfluxDB: %s", exc)
        return False
