"""Reading Flagsmith's organisation export: a JSON array of Django fixture objects.

Flagsmith writes it with Django's serializer and natural keys (no ``pk``): most
objects are named by their ``uuid``, an environment by ``[api_key]``, a server key
by ``[key]``, an identity by ``[identifier, environment api key]`` and a trait by
``[trait_key, identifier, environment api key]``. Foreign keys are those keys in a
list. This module checks the shape of every object and resolves the references;
it writes nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

ORGANISATION = "organisations.organisation"
SUBSCRIPTION = "organisations.subscription"
INVITE_LINK = "invites.invitelink"
ORGANISATION_WEBHOOK = "organisations.organisationwebhook"
PROJECT = "projects.project"
SEGMENT = "segments.segment"
SEGMENT_RULE = "segments.segmentrule"
CONDITION = "segments.condition"
TAG = "tags.tag"
ENVIRONMENT = "environments.environment"
SERVER_KEY = "environments.environmentapikey"
WEBHOOK = "environments.webhook"
IDENTITY = "identities.identity"
TRAIT = "traits.trait"
FEATURE = "features.feature"
MV_OPTION = "multivariate.multivariatefeatureoption"
FEATURE_SEGMENT = "features.featuresegment"
FEATURE_STATE = "features.featurestate"
FEATURE_STATE_VALUE = "features.featurestatevalue"
MV_STATE_VALUE = "multivariate.multivariatefeaturestatevalue"

# The models Banderole reads, in the order Flagsmith's export writes them. Not read: the
# subscription (the source's plan), and what this organisation type does not have here.
IMPORTED_MODELS = (
    ORGANISATION,
    INVITE_LINK,
    ORGANISATION_WEBHOOK,
    PROJECT,
    SEGMENT,
    SEGMENT_RULE,
    CONDITION,
    TAG,
    ENVIRONMENT,
    SERVER_KEY,
    WEBHOOK,
    IDENTITY,
    TRAIT,
    FEATURE,
    MV_OPTION,
    FEATURE_SEGMENT,
    FEATURE_STATE,
    FEATURE_STATE_VALUE,
    MV_STATE_VALUE,
)


class ExportFileError(ValueError):
    """The file is not a Flagsmith export Banderole can read; the message names the object."""


@dataclass(eq=False)
class Record:
    """One fixture object of the file: its position, model, fields and natural key."""

    index: int
    model: str
    fields: dict[str, Any]
    pk: int | None
    key: tuple[Any, ...] = ()

    def __str__(self) -> str:
        label = self.fields.get("name") or self.fields.get("label") or self.fields.get("identifier")
        key = "/".join(str(part) for part in self.key)
        if self.model == SERVER_KEY:
            key = f"{str(self.key[0])[:8]}…"
        described = f"{key} {label!r}" if label and label not in self.key else key
        return f"{self.model} #{self.index} ({described})"

    def fail(self, message: str) -> ExportFileError:
        return ExportFileError(f"{self}: {message}")

    # --- typed field access: a wrong type is an error naming the object -----------------------

    def value(self, name: str, types: type | tuple[type, ...], *, null: bool = False, default: Any = ...) -> Any:
        if name not in self.fields:
            if default is not ...:
                return default
            raise self.fail(f"field {name!r} is missing")
        value = self.fields[name]
        if value is None:
            if null:
                return None
            raise self.fail(f"field {name!r} must not be null")
        # bool is an int in Python; a boolean where a number is wanted is still wrong.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            wanted = " or ".join(t.__name__ for t in _as_tuple(types))
            raise self.fail(f"field {name!r} must be {wanted}, not {type(value).__name__} {value!r:.60}")
        return value

    def text(self, name: str, *, null: bool = False, default: Any = ...) -> Any:
        return self.value(name, str, null=null, default=default)

    def flag(self, name: str, *, null: bool = False, default: Any = ...) -> Any:
        return self.value(name, bool, null=null, default=default)

    def number(self, name: str, *, null: bool = False, default: Any = ...) -> Any:
        return self.value(name, (int, float), null=null, default=default)

    def integer(self, name: str, *, null: bool = False, default: Any = ...) -> Any:
        return self.value(name, int, null=null, default=default)


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _natural_key(record: Record) -> tuple[Any, ...]:
    if record.model == ENVIRONMENT:
        return (record.text("api_key"),)
    if record.model == SERVER_KEY:
        return (record.text("key"),)
    if record.model == IDENTITY:
        environment = _reference_value(record, "environment")
        return (record.text("identifier"), *environment)
    if record.model == TRAIT:
        identity = _reference_value(record, "identity")
        return (record.text("trait_key"), *identity)
    return (record.text("uuid"),)


def _reference_value(record: Record, name: str) -> tuple[Any, ...]:
    value = record.fields.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(part, str) for part in value):
        raise record.fail(f"field {name!r} must be a natural key (a list of strings), not {value!r:.60}")
    return tuple(value)


@dataclass
class ExportFile:
    """The parsed file: records by model (file order) and by natural key."""

    records: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    by_key: dict[tuple[str, tuple[Any, ...]], Record] = field(default_factory=dict)
    skipped_models: dict[str, int] = field(default_factory=dict)

    def of(self, model: str) -> list[Record]:
        return self.records.get(model, [])

    def ref(self, record: Record, name: str, model: str, *, null: bool = False) -> Record | None:
        """The record that ``record.fields[name]`` (a natural key) names, which must be in the file."""
        if record.fields.get(name) is None:
            if null:
                return None
            raise record.fail(f"field {name!r} must not be null")
        key = _reference_value(record, name)
        target = self.by_key.get((model, key))
        if target is None:
            raise record.fail(f"field {name!r} refers to {model} {list(key)}, which the file does not contain")
        return target


def parse_export(raw: bytes | str) -> ExportFile:
    """Check the file's structure and index its objects; raises ``ExportFileError``."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportFileError(f"the file is not JSON: {exc}") from exc
    if not isinstance(data, list):
        raise ExportFileError(
            f"the file must be a JSON array of fixture objects (Flagsmith's export), not {type(data).__name__}"
        )
    parsed = ExportFile()
    skipped: dict[str, int] = defaultdict(int)
    for index, item in enumerate(data):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("model"), str)
            or not isinstance(item.get("fields"), dict)
        ):
            raise ExportFileError(f"object #{index}: must be an object with 'model' (text) and 'fields' (an object)")
        model = item["model"]
        if model not in IMPORTED_MODELS:
            skipped[model] += 1
            continue
        pk = item.get("pk")
        record = Record(index=index, model=model, fields=item["fields"], pk=None)
        if pk is not None:
            if not isinstance(pk, int) or isinstance(pk, bool) or pk < 1:
                raise record.fail(f"'pk' must be a positive integer, not {pk!r:.40}")
            record.pk = pk
        record.key = _natural_key(record)
        if (model, record.key) in parsed.by_key:
            raise record.fail(f"the same natural key as {parsed.by_key[(model, record.key)]}")
        parsed.by_key[(model, record.key)] = record
        parsed.records[model].append(record)
    parsed.skipped_models = dict(skipped)
    organisations = parsed.of(ORGANISATION)
    if len(organisations) != 1:
        raise ExportFileError(
            f"the file must hold exactly one {ORGANISATION} (Flagsmith exports one organisation), "
            f"it holds {len(organisations)}"
        )
    return parsed
