"""Compiled versions: a per-process LRU in front of the shared document cache.

A version is compiled at most once per process (and, with a shared
``ENVIRONMENT_DOCUMENT_CACHE``, once for all of them); ``publish`` runs after the
commit that made new versions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

from documents import caching
from documents.compiler import CompiledEnvironment, compile_environment
from environments.models import Environment

# Holds compiled versions per process; a few hundred environments per process is
# plenty, and an evicted one is recompiled from the database on its next request.
LRU_SIZE = 256


_compiled: OrderedDict[tuple[int, datetime], CompiledEnvironment] = OrderedDict()
_compiled_lock = threading.Lock()


def _document_cache_key(environment_id: int, version: datetime) -> str:
    return f"document:{environment_id}:{caching.version_token(version)}"


def _remember(key: tuple[int, datetime], compiled: CompiledEnvironment) -> None:
    with _compiled_lock:
        _compiled[key] = compiled
        while len(_compiled) > LRU_SIZE:
            _compiled.popitem(last=False)


def _document_cache_timeout() -> int | None:
    return (
        None
        if settings.CACHE_ENVIRONMENT_DOCUMENT_MODE == "PERSISTENT"
        else settings.CACHE_ENVIRONMENT_DOCUMENT_SECONDS
    )


def compiled_environment(environment_id: int, version: datetime) -> CompiledEnvironment:
    """The compiled document at ``version``: this process's copy, the shared cache's, or a new one.

    A document compiled now may be newer than ``version`` (a write committed in
    between); keeping it under ``version`` is still right, because the data are at
    least that new and the next request sees the newer version and looks again.
    """
    key = (environment_id, version)
    with _compiled_lock:
        compiled = _compiled.get(key)
        if compiled is not None:
            _compiled.move_to_end(key)
            return compiled
    shared = settings.CACHE_ENVIRONMENT_DOCUMENT_ENABLED
    if shared:
        compiled = caching.cache_call(caching.ENVIRONMENT_DOCUMENTS, "get", _document_cache_key(*key))
    if compiled is None:
        compiled = compile_environment(environment_id)
        if shared:
            caching.cache_call(
                caching.ENVIRONMENT_DOCUMENTS, "set", _document_cache_key(*key), compiled, _document_cache_timeout()
            )
    _remember(key, compiled)
    return compiled


def compiled_in_process(environment_id: int, version: datetime) -> CompiledEnvironment | None:
    """This process's copy of a version, if it has one; asks no cache and compiles nothing."""
    with _compiled_lock:
        return _compiled.get((environment_id, version))


def get_compiled_environment(environment: Environment) -> CompiledEnvironment:
    """The compiled document of an environment object just read from the database."""
    return compiled_environment(environment.id, environment.updated_at)


def store_compiled_environment(environment_id: int) -> None:
    """PERSISTENT mode: compile a new version as soon as it commits, for every process to share."""
    try:
        compiled = compile_environment(environment_id)
    except Environment.DoesNotExist:
        return
    caching.cache_call(
        caching.ENVIRONMENT_DOCUMENTS,
        "set",
        _document_cache_key(environment_id, compiled.version),
        compiled,
        _document_cache_timeout(),
    )


def clear_compiled_environments() -> None:
    with _compiled_lock:
        _compiled.clear()
    caching.forget_everything_in_process()


def publish(environment_ids: Iterable[int]) -> None:
    """Make new versions known; runs after the commit that made them (``environments.versions``)."""
    environment_ids = list(environment_ids)
    caching.environments_changed(environment_ids)
    if settings.CACHE_ENVIRONMENT_DOCUMENT_ENABLED and settings.CACHE_ENVIRONMENT_DOCUMENT_MODE == "PERSISTENT":
        for environment_id in environment_ids:
            store_compiled_environment(environment_id)
