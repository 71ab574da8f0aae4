"""Signals the versioning app sends; apps above it (webhooks) connect in their ``ready()``."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that applies a version to the live rows (it went live):
# ``version`` (the EnvironmentFeatureVersion), ``previous`` (segment id or None ->
# ``versioning.services.StateData`` of the live rows before) and ``changed`` (the segment
# ids, None for the environment default, whose state the version changes).
version_went_live = Signal()
