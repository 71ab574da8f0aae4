"""Signals the versioning app sends; apps above it (webhooks) connect in their ``ready()``."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that applies a version to the live rows (it went live):
# ``version`` (the EnvironmentFeatureVersion).
version_went_live = Signal()
