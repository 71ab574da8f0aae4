"""Environment keys."""

from __future__ import annotations

from datetime import datetime

from environments.models import Environment, EnvironmentAPIKey


def create_server_key(
    *, environment: Environment, name: str, expires_at: datetime | None = None, active: bool = True
) -> EnvironmentAPIKey:
    """Create a ``ser.`` key; the plain key is on the returned object, once."""
    key = EnvironmentAPIKey.generate_key()
    api_key = EnvironmentAPIKey(environment=environment, name=name, expires_at=expires_at, active=active)
    api_key.set_key(key)
    api_key.save()
    api_key.plain_key = key  # type: ignore[attr-defined]
    return api_key
