"""A replay of Flagsmith's Go API client (flagsmith-go-api-client v0.11.1, which Flagsmith's
Terraform provider pins) against Banderole, for the Terraform tests.

No Go toolchain is available here, so the client's behaviour is described instead:

* ``STRUCTS`` lists, for every struct of the client's ``models.go`` that is sent or
  decoded, each JSON key with its Go type and whether ``omitempty`` is set.
* ``marshal`` builds a request body as ``encoding/json`` would from such a struct
  (``omitempty`` drops zero values; a nil pointer is ``null`` without it).
* ``decode`` checks a response against a struct as ``encoding/json`` would decode it:
  a string where a Go ``int64`` is expected, a fraction into an integer, an object
  into a slice of integers… all fail. A JSON ``null`` into a non-pointer field does
  not fail in Go (the zero value stays), but it makes the provider store a wrong
  value, so it fails here too, except for the fields whose ``null`` Flagsmith itself
  returns (marked ``nullable``).
* ``GoClient`` sends each call with the client's method, path, headers and body, and
  returns the decoded struct (a dict) or the status code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rest_framework.test import APIClient


@dataclass(frozen=True)
class Field:
    go_type: str  # int64, float64, string, bool, *int64, *string, *bool, []int64, []ownerID, FeatureStateValueRaw, *time, []Rule, []Condition, []NestedRule
    omitempty: bool = False
    nullable: bool = False  # a JSON null is what Flagsmith itself returns here


F = Field
STRUCTS: dict[str, dict[str, Field]] = {
    "Organisation": {
        "id": F("int64", omitempty=True),
        "uuid": F("string", omitempty=True),
        "name": F("string"),
        "force_2fa": F("bool"),
        "restrict_project_create_to_admin": F("bool"),
        "persist_trait_data": F("bool"),
    },
    "User": {
        "id": F("int64"),
        "email": F("string"),
        "first_name": F("string"),
        "last_name": F("string"),
        "last_login": F("string", nullable=True),
        "date_joined": F("string"),
        "uuid": F("string"),
        "role": F("string"),
    },
    "Project": {
        "id": F("int64", omitempty=True),
        "uuid": F("string", omitempty=True),
        "name": F("string"),
        "organisation": F("int64"),
        "hide_disabled_flags": F("bool", omitempty=True),
        "prevent_flag_defaults": F("bool", omitempty=True),
        "only_allow_lower_case_feature_names": F("bool", omitempty=True),
        "feature_name_regex": F("string", omitempty=True, nullable=True),
        "stale_flags_limit_days": F("int64", omitempty=True),
        "enable_realtime_updates": F("bool", omitempty=True),
        "enforce_feature_owners": F("*bool", omitempty=True),
    },
    "Environment": {
        "id": F("int64", omitempty=True),
        "uuid": F("string", omitempty=True),
        "name": F("string"),
        "api_key": F("string", omitempty=True),
        "description": F("string", nullable=True),
        "project": F("int64"),
        "allow_client_traits": F("bool", omitempty=True),
        "banner_text": F("string", omitempty=True, nullable=True),
        "banner_colour": F("string", omitempty=True, nullable=True),
        "hide_disabled_flags": F("bool", omitempty=True, nullable=True),
        "hide_sensitive_data": F("bool", omitempty=True),
        "use_identity_composite_key_for_hashing": F("bool", omitempty=True),
        "minimum_change_request_approvals": F("int64", omitempty=True, nullable=True),
    },
    # Feature marshals owners/group_owners as ids and decodes them from objects with an id
    # (its UnmarshalJSON); "owners" and "group_owners" are *[]int64 when sent.
    "Feature": {
        "name": F("string"),
        "uuid": F("string", omitempty=True),
        "id": F("*int64", omitempty=True),
        "type": F("*string", omitempty=True),
        "description": F("*string", omitempty=True),
        "initial_value": F("string", omitempty=True, nullable=True),
        "default_enabled": F("bool", omitempty=True),
        "is_archived": F("bool", omitempty=True),
        "owners": F("[]ownerID", omitempty=True),
        "group_owners": F("[]ownerID", omitempty=True),
        "tags": F("[]int64"),
        "project": F("*int64", omitempty=True),
    },
    "FeatureMultivariateOption": {
        "id": F("int64", omitempty=True),
        "type": F("string"),
        "uuid": F("string", omitempty=True),
        "feature": F("*int64", omitempty=True),
        "integer_value": F("*int64", omitempty=True),
        "string_value": F("*string", omitempty=True),
        "boolean_value": F("*bool", omitempty=True),
        "default_percentage_allocation": F("float64"),
    },
    "FeatureStateValue": {
        "type": F("string"),
        "string_value": F("*string"),
        "integer_value": F("*int64"),
        "boolean_value": F("*bool"),
    },
    "FeatureState": {
        "id": F("int64", omitempty=True),
        "uuid": F("string", omitempty=True),
        "feature_state_value": F("FeatureStateValueRaw"),
        "enabled": F("bool"),
        "feature": F("int64"),
        "environment": F("*int64"),
        "feature_segment": F("*int64", omitempty=True),
    },
    "Condition": {"operator": F("string"), "property": F("string", nullable=True), "value": F("string", nullable=True)},
    "Rule": {"type": F("string"), "rules": F("[]Rule", omitempty=True), "conditions": F("[]Condition", omitempty=True)},
    "Segment": {
        "id": F("*int64", omitempty=True),
        "uuid": F("string", omitempty=True),
        "name": F("string"),
        "description": F("*string", omitempty=True),
        "project": F("*int64"),
        "feature": F("*int64", omitempty=True),
        "rules": F("[]Rule"),
    },
    "FeatureSegment": {
        "id": F("*int64", omitempty=True),
        "feature": F("int64"),
        "segment": F("*int64"),
        "environment": F("int64"),
        "priority": F("*int64"),
    },
    "Tag": {
        "id": F("*int64", omitempty=True),
        "uuid": F("string", omitempty=True),
        "label": F("string"),
        "description": F("*string"),
        "color": F("string"),
        "project": F("*int64", omitempty=True),
    },
    "Identity": {"id": F("*int64", omitempty=True), "identifier": F("string")},
    "Trait": {
        "id": F("int64", omitempty=True),
        "trait_key": F("string"),
        "value_type": F("string"),
        "integer_value": F("*int64", omitempty=True),
        "string_value": F("*string", omitempty=True),
        "boolean_value": F("*bool", omitempty=True),
        "float_value": F("*float64", omitempty=True),
    },
    "ServerSideEnvKey": {
        "id": F("int64", omitempty=True),
        "active": F("bool"),
        "name": F("string", omitempty=True),
        "key": F("string", omitempty=True, nullable=True),
        "expires_at": F("*time", omitempty=True),
        "created_at": F("*time", omitempty=True),
    },
}


class GoDecodeError(AssertionError):
    pass


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(value: Any, field: Field, where: str) -> None:
    go_type = field.go_type
    if value is None:
        if go_type.startswith(("*", "[]")) or go_type == "FeatureStateValueRaw" or field.nullable:
            return
        raise GoDecodeError(f"{where}: null into Go {go_type} (the provider would keep a zero value)")
    base = go_type.lstrip("*")
    if base == "int64":
        if not _is_int(value) or not -(2**63) <= value < 2**63:
            raise GoDecodeError(f"{where}: {value!r} does not decode into Go int64")
    elif base == "float64":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise GoDecodeError(f"{where}: {value!r} does not decode into Go float64")
    elif base == "string":
        if not isinstance(value, str):
            raise GoDecodeError(f"{where}: {value!r} does not decode into Go string")
    elif base == "bool":
        if not isinstance(value, bool):
            raise GoDecodeError(f"{where}: {value!r} does not decode into Go bool")
    elif base == "time":
        if not isinstance(value, str):
            raise GoDecodeError(f"{where}: {value!r} does not decode into Go time.Time")
        datetime.fromisoformat(value.replace("Z", "+00:00"))  # RFC 3339
    elif base == "[]int64":
        if not isinstance(value, list) or not all(_is_int(item) for item in value):
            raise GoDecodeError(f"{where}: {value!r} does not decode into Go []int64")
    elif base == "[]ownerID":
        if not isinstance(value, list):
            raise GoDecodeError(f"{where}: {value!r} is not a list")
        for n, item in enumerate(value):
            if not isinstance(item, dict):
                raise GoDecodeError(f"{where}[{n}]: {item!r} is not an object with an id")
            _check(item.get("id"), F("int64"), f"{where}[{n}].id")
    elif base in ("[]Rule", "[]Condition"):
        if not isinstance(value, list):
            raise GoDecodeError(f"{where}: {value!r} is not a list")
        for n, item in enumerate(value):
            decode(item, base[2:], f"{where}[{n}]")
    elif base == "FeatureStateValueRaw":
        # FeatureState.UnmarshalJSON: an object is a FeatureStateValue; a bare value is converted.
        if isinstance(value, dict):
            decode(value, "FeatureStateValue", where)
    else:  # pragma: no cover - a typo in STRUCTS
        raise AssertionError(f"unknown Go type {go_type}")


def decode(body: Any, struct: str, where: str | None = None) -> dict[str, Any]:
    """Check ``body`` decodes into the Go ``struct``; returns it (unknown keys are ignored, as in Go)."""
    where = where or struct
    if not isinstance(body, dict):
        raise GoDecodeError(f"{where}: {body!r} is not a JSON object")
    for key, field in STRUCTS[struct].items():
        if key in body:
            _check(body[key], field, f"{where}.{key}")
    return body


def _zero(value: Any) -> bool:
    return value in (None, 0, "", False) or value == [] or value == {}


def marshal(struct: str, values: dict[str, Any]) -> dict[str, Any]:
    """A request body as ``encoding/json`` marshals ``struct`` with these field values.

    A field not given has Go's zero value: omitted with ``omitempty``, else ``null``
    for pointers and slices or the type's zero (0, "", false).
    """
    body: dict[str, Any] = {}
    for key, field in STRUCTS[struct].items():
        value = values.get(key)
        pointer = field.go_type.startswith(("*", "[]")) or field.go_type == "FeatureStateValueRaw"
        if field.omitempty and (value is None or (not pointer and _zero(value))):
            continue
        if value is None and not pointer:
            value = {"int64": 0, "float64": 0, "string": "", "bool": False}[field.go_type]
        body[key] = value
    unknown = set(values) - set(STRUCTS[struct])
    assert not unknown, f"{struct} has no JSON fields {unknown}"
    return body


class GoClient:
    """Calls as ``flagsmithapi.Client`` makes them: ``Api-Key`` header, JSON in and out."""

    def __init__(self, api_key: str, base: str = "/api/v1") -> None:
        self.base = base
        self.http = APIClient()
        self.http.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}", HTTP_ACCEPT="application/json")
        self.calls: list[tuple[str, str, int]] = []

    def call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> tuple[int, Any]:
        url = self.base + path
        send = getattr(self.http, method.lower())
        if method == "GET":
            response = send(url, query or {})
        elif body is None:
            response = send(url)
        else:
            response = send(url, json.dumps(body), content_type="application/json")
        self.calls.append((method, path, response.status_code))
        content = response.content.decode()
        assert response.status_code < 500, f"{method} {path} → {response.status_code}: {content[:2000]}"
        return response.status_code, (json.loads(content) if content else None)

    def ok(self, method: str, path: str, struct: str | None, body: Any = None, **kwargs: Any) -> Any:
        """A call the Go client requires to succeed (resty's IsSuccess: 2xx); its result decoded into ``struct``."""
        status, data = self.call(method, path, body, **kwargs)
        assert 200 <= status < 300, f"{method} {path} → {status}: {data}"
        if struct is None:
            return data
        if struct.startswith("[]"):
            assert isinstance(data, list), f"{method} {path}: expected a JSON array, got {data!r}"
            return [decode(item, struct[2:], f"{struct}[{n}]") for n, item in enumerate(data)]
        return decode(data, struct)

    def status(self, method: str, path: str, body: Any = None) -> int:
        return self.call(method, path, body)[0]
