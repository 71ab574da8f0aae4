"""Typed, strict reads of environment variables for the settings modules.

django-environ reads any unknown string as ``False`` for a boolean and raises
bare ``ValueError`` for bad numbers. A deployer who writes ``maybe`` or
``60s`` deserves a refusal that names the variable, so every read here either
returns a well-typed value or raises :class:`ConfigurationError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

TRUE_VALUES = {"1", "true", "yes", "on", "y", "t"}
FALSE_VALUES = {"0", "false", "no", "off", "n", "f", ""}
_UNSET: Any = object()


class ConfigurationError(ImproperlyConfigured):
    """A configuration variable holds a value Banderole cannot use."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        self.name = name
        super().__init__(f"{name}={value!r} is invalid: expected {expected}")


def _file_or_env(name: str) -> str | None:
    """``NAME`` itself, or the contents of the file named by ``NAME_FILE``."""
    if name in os.environ:
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE", path, f"a readable file ({exc.strerror})") from exc
    return None


def _read(name: str, default: Any, parse: Callable[[str], T], expected: str) -> T:
    raw = _file_or_env(name)
    # An empty variable means "not set", as deployment templates often leave them.
    if raw is None or not raw.strip():
        if default is _UNSET:
            raise ConfigurationError(name, "", f"{expected} (the variable is required)")
        return default
    try:
        return parse(raw.strip())
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(name, raw, expected) from exc


def is_set(name: str) -> bool:
    return _file_or_env(name) not in (None, "")


def env_str(name: str, default: Any = _UNSET) -> str:
    return _read(name, default, str, "a string")


def _parse_bool(raw: str) -> bool:
    value = raw.lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ValueError(raw)


def env_bool(name: str, default: Any = _UNSET) -> bool:
    return _read(name, default, _parse_bool, "true or false (1/0, yes/no, on/off)")


def env_int(name: str, default: Any = _UNSET) -> int:
    return _read(name, default, int, "an integer")


def env_float(name: str, default: Any = _UNSET) -> float:
    return _read(name, default, float, "a number")


def env_list(name: str, default: Any = _UNSET, delimiter: str = ",") -> list[str]:
    def parse(raw: str) -> list[str]:
        return [item.strip() for item in raw.split(delimiter) if item.strip()]

    return _read(name, default, parse, f"a {delimiter!r}-separated list")


def env_choice(name: str, choices: list[str], default: Any = _UNSET) -> str:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(raw)
        return raw

    return _read(name, default, parse, "one of " + ", ".join(choices))


def env_json_object(name: str, default: Any = _UNSET) -> dict[str, Any]:
    def parse(raw: str) -> dict[str, Any]:
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise ValueError(raw)
        return value

    return _read(name, default, parse, "a JSON object")


def _without_password(url: str) -> str:
    """``url`` with any password masked, so a refusal never prints a credential."""
    scheme, separator, rest = url.partition("://")
    userinfo, at, location = rest.rpartition("@")
    if not separator or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.partition(':')[0]}:***@{location}"


def parse_database_url(name: str, url: str, **extra: Any) -> dict[str, Any]:
    """Parse one database URL, naming ``name`` if it is malformed."""
    try:
        config = dict(dj_database_url.parse(url, **extra))
    except Exception as exc:  # dj-database-url raises several unrelated types
        raise ConfigurationError(
            name, _without_password(url), "a database URL such as postgres://user:password@host:5432/name"
        ) from exc
    if not config.get("ENGINE"):
        raise ConfigurationError(name, _without_password(url), "a database URL with a known scheme")
    return config
