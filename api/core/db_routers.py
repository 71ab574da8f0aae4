"""Database router: writes to the primary, opted-in reads to a replica."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model

from core import replicas


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return replicas.read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        # Every later read of this request goes to the primary: read-your-writes.
        replicas.mark_written()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # Replicas hold the primary's rows, so an object read from a replica may
        # be related to one from the primary (Flagsmith's #8167 broke this).
        known = {DEFAULT_DB_ALIAS, *replicas.replica_aliases()}
        if obj1._state.db in known and obj2._state.db in known:
            return True
        return None
