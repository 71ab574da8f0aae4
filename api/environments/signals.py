"""Signals environments sends about an environment's life, for the apps above it.

Features give a new environment its feature states and copy a source's into a clone;
environments sit below features, so they announce the event and features act on it
(connected in ``features.apps``). Both are sent inside the creating transaction, so
what the receivers write commits or rolls back with the environment.
"""

from __future__ import annotations

from django.dispatch import Signal

# ``environment``: the environment just created (its project's features have no state in it yet).
environment_created = Signal()

# ``source``, ``clone``: the clone just created with the source's settings, nothing else yet.
environment_cloned = Signal()
