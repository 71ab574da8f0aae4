"""Bumping the version of what SDKs see of an environment, once per environment per transaction.

The version itself is ``Environment.updated_at``; ``environments`` installs the
function that bumps it (``install_bumper``, in its ``ready()``), so every domain
service, at any layer, can touch versions through this module.

Every write that changes an environment's SDK view bumps its version inside the
write's transaction, so the new version becomes visible exactly when the change
does and a rolled-back write leaves the version alone. Once the transaction
commits, ``published`` is sent with the environments' ids; the read model
(``documents``) connects to it to drop its cached versions and precompile, and
``realtime`` to tell the stream processes, which send each SDK stream an event.
Anything that changes what SDKs see without a row write (a scheduled change going
live) only has to ``touch()`` the environments, in a ``batch()``: the event follows.

A service opens a ``batch()`` (its transaction) and ``touch()``es what it changes:
the batch unions the environments and, as the outermost batch closes, bumps them in
one UPDATE and registers one publish after the commit, however many rows changed.
The model signal receivers in ``documents.signals`` are the safety net for writes
that bypass the services (Django admin, shell); they do nothing inside a batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.dispatch import Signal

# Sent after the commit that made new versions: ``environment_ids`` (a list of ints).
published = Signal()


@dataclass
class _Pending:
    environment_ids: set[int] = field(default_factory=set)
    project_ids: set[int] = field(default_factory=set)
    organisation_ids: set[int] = field(default_factory=set)

    def flush(self) -> None:
        """One UPDATE for every environment touched, one publish after the commit."""
        if not (self.environment_ids or self.project_ids or self.organisation_ids):
            return
        if _bumper is None:
            raise ImproperlyConfigured("The environments app is not installed: no version can be bumped.")
        changed = _bumper(self.environment_ids, self.project_ids, self.organisation_ids)
        if changed:
            # Every process learns of the new versions once they are visible, not before.
            transaction.on_commit(partial(_publish, changed))


class Bumper(Protocol):
    def __call__(self, environment_ids: set[int], project_ids: set[int], organisation_ids: set[int]) -> list[int]:
        """Bump these environments' versions (and those of the projects and organisations); their ids."""
        ...


_bumper: Bumper | None = None


def install_bumper(bumper: Bumper) -> None:
    """Called once by the ``environments`` app's ``ready()``."""
    global _bumper
    _bumper = bumper


_pending: ContextVar[_Pending | None] = ContextVar("environment_versions_batch", default=None)


def _publish(environment_ids: list[int]) -> None:
    published.send(sender=None, environment_ids=environment_ids)


def in_batch() -> bool:
    """Whether a service's batch is open: its own ``touch()`` calls cover what it changes."""
    return _pending.get() is not None


@contextmanager
def batch() -> Iterator[None]:
    """A transaction whose version bumps are collected and made once, as the outermost batch closes.

    A nested batch is a savepoint of the outer one; its touches join the outer set (a
    rolled-back savepoint at worst costs a redundant bump, never a missing one).
    """
    if _pending.get() is not None:
        with transaction.atomic():
            yield
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        with transaction.atomic():
            yield
            _pending.reset(token)
            token = None
            pending.flush()
    finally:
        if token is not None:
            _pending.reset(token)


def touch(
    environment_ids: Iterable[int] = (),
    *,
    project_id: int | None = None,
    organisation_id: int | None = None,
) -> None:
    """Mark these environments (or every environment of a project or organisation) as changed.

    Inside a batch this only remembers them; outside one it is a batch of its own.
    """
    pending = _pending.get()
    alone = pending is None
    if pending is None:
        pending = _Pending()
    pending.environment_ids.update(environment_ids)
    if project_id is not None:
        pending.project_ids.add(project_id)
    if organisation_id is not None:
        pending.organisation_ids.add(organisation_id)
    if alone:
        # No transaction of its own: the caller's write and this bump commit together.
        pending.flush()


def mark_environments_changed(
    *,
    environment_ids: Iterable[int] | None = None,
    project_id: int | None = None,
    organisation_id: int | None = None,
) -> None:
    """``touch`` under its older name, for callers that name their arguments."""
    touch(environment_ids or (), project_id=project_id, organisation_id=organisation_id)
