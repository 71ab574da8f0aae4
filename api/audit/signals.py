"""Signals the audit log sends; other apps connect to them in their ``ready()``."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the change's transaction once its entry is written:
# ``entry`` (the AuditLog), ``instance`` (what changed), ``before`` (its snapshot, or None).
entry_recorded = Signal()
