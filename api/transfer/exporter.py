"""Exporting an organisation in Flagsmith's export format (``manage.py export_flagsmith``).

The file is what Flagsmith's ``dumporganisationtos3`` writes: Django fixture objects
with natural keys, in its model order and with its field names, so Flagsmith's own
import (``loaddata``) takes it back and ``import_flagsmith`` reads it. Fields that
Flagsmith has and Banderole does not get Flagsmith's defaults.

Two differences, both for the organisation's SDKs:

- The rows whose ids the evaluation hashes (segments, feature states, multivariate
  values) carry their ``pk``, so an import on either side keeps every identity in its
  percentage split and variant. Flagsmith's ``loaddata`` stores a given ``pk`` as the id,
  and overwrites a row that has it: import such a file only into a Flagsmith where
  those ids are free, or export without them (``with_ids=False``).
- Banderole keeps only a hash of each server-side key, so a key is written in clear
  only when the caller supplies it (``server_keys``); the others are left out and
  listed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from environments.models import Environment, EnvironmentAPIKey, hash_server_key
from features.models import (
    Feature,
    FeatureSegment,
    FeatureState,
    FeatureStateValue,
    MultivariateFeatureOption,
    MultivariateFeatureStateValue,
    Tag,
)
from identities.models import Identity, Trait
from organisations.models import InviteLink, Organisation
from projects.models import Project
from segments.models import Segment, SegmentRule
from transfer.flagsmith_format import (
    CONDITION,
    ENVIRONMENT,
    FEATURE,
    FEATURE_SEGMENT,
    FEATURE_STATE,
    FEATURE_STATE_VALUE,
    IDENTITY,
    INVITE_LINK,
    MV_OPTION,
    MV_STATE_VALUE,
    ORGANISATION,
    ORGANISATION_WEBHOOK,
    PROJECT,
    SEGMENT,
    SEGMENT_RULE,
    SERVER_KEY,
    SUBSCRIPTION,
    TAG,
    TRAIT,
    WEBHOOK,
)
from webhooks.models import EnvironmentWebhook, OrganisationWebhook

# Rows Banderole keeps without a uuid get a stable one, derived from their organisation and id.
_NAMESPACE = uuid.UUID("0f0b6c55-5e0c-4b9e-9c55-6d1a2f3b4c5d")


@dataclass
class ExportResult:
    objects: list[dict[str, Any]]
    # Server keys left out (Banderole has only their hash): "environment name: key name".
    missing_server_keys: list[str] = field(default_factory=list)


def _when(moment: datetime | None) -> str | None:
    """A date as Django's JSON serializer writes it: milliseconds, ``Z`` for UTC."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat()
    if moment.microsecond:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z"


def _typed(value: Any) -> dict[str, Any]:
    return {
        "type": value.type,
        "boolean_value": value.boolean_value,
        "integer_value": value.integer_value,
        "string_value": value.string_value,
    }


def _rules_data(rules: Iterable[SegmentRule]) -> list[dict[str, Any]]:
    """``Segment.rules_data``: Flagsmith's second copy of a segment's rules, as nested JSON."""
    return [
        {
            "type": rule.type,
            "rules": _rules_data(rule.child_rules),
            "conditions": [
                {
                    "value": condition.value,
                    "operator": condition.operator,
                    "property": condition.property,
                    "description": condition.description,
                }
                for condition in rule.conditions.all()
            ],
        }
        for rule in rules
    ]


class _Writer:
    def __init__(self, organisation: Organisation, with_ids: bool):
        self.organisation = organisation
        self.with_ids = with_ids
        self.objects: list[dict[str, Any]] = []

    def derived_uuid(self, kind: str, pk: int) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self.organisation.uuid}/{kind}/{pk}"))

    def add(self, model: str, fields: dict[str, Any], pk: int | None = None) -> None:
        item: dict[str, Any] = {"model": model, "fields": fields}
        if pk is not None and self.with_ids:
            # Before "fields", where Django's serializer puts it.
            item = {"model": model, "pk": pk, "fields": fields}
        self.objects.append(item)


def export_organisation(
    organisation: Organisation, server_keys: Iterable[str] = (), *, with_ids: bool = True
) -> ExportResult:
    """Every object of the organisation as Flagsmith's export writes it; ``server_keys`` in clear.

    ``with_ids=False`` leaves the ``pk``s out, as Flagsmith's own export does.
    """
    known_keys = {hash_server_key(key): key for key in server_keys}
    w = _Writer(organisation, with_ids)
    org = [str(organisation.uuid)]
    w.add(
        ORGANISATION,
        {
            "deleted_at": None,
            "uuid": str(organisation.uuid),
            "name": organisation.name,
            "has_requested_features": False,
            "webhook_notification_email": organisation.webhook_notification_email,
            "created_date": _when(organisation.created_date),
            "alerted_over_plan_limit": False,
            "stop_serving_flags": organisation.stop_serving_flags,
            "restrict_project_create_to_admin": organisation.restrict_project_create_to_admin,
            "persist_trait_data": organisation.persist_trait_data,
            "block_access_to_admin": organisation.block_access_to_admin,
            "feature_analytics": False,
            "force_2fa": False,
            "targeting_key": None,
        },
    )
    for link in InviteLink.objects.filter(organisation=organisation).order_by("id"):
        w.add(
            INVITE_LINK,
            {
                "uuid": w.derived_uuid("invitelink", link.pk),
                "hash": link.hash,
                "date_created": _when(link.date_created),
                "organisation": org,
                "role": link.role,
                "expires_at": _when(link.expires_at),
            },
        )
    for webhook in OrganisationWebhook.objects.filter(organisation=organisation).order_by("id"):
        w.add(
            ORGANISATION_WEBHOOK,
            {
                "uuid": w.derived_uuid("organisationwebhook", webhook.pk),
                "url": webhook.url,
                "secret": webhook.secret,
                "name": webhook.name,
                "enabled": webhook.enabled,
                "organisation": org,
                "created_at": _when(webhook.created_at),
                "updated_at": _when(webhook.updated_at),
            },
        )
    # A self-hosted Flagsmith's organisations have a free subscription row; loaddata expects one.
    w.add(
        SUBSCRIPTION,
        {
            "deleted_at": None,
            "uuid": w.derived_uuid("subscription", organisation.pk),
            "organisation": org,
            "subscription_id": None,
            "subscription_date": None,
            "plan": "free",
            "max_seats": 1,
            "max_api_calls": 50000,
            "cancellation_date": None,
            "customer_id": None,
            "billing_status": None,
            "payment_method": None,
            "notes": None,
        },
    )
    projects = list(Project.objects.filter(organisation=organisation).order_by("id"))
    for project in projects:
        w.add(
            PROJECT,
            {
                "deleted_at": None,
                "uuid": str(project.uuid),
                "name": project.name,
                "created_date": _when(project.created_date),
                "organisation": org,
                "hide_disabled_flags": project.hide_disabled_flags,
                "enable_dynamo_db": False,
                "prevent_flag_defaults": project.prevent_flag_defaults,
                "enforce_feature_owners": project.enforce_feature_owners,
                "enable_realtime_updates": project.enable_realtime_updates,
                "only_allow_lower_case_feature_names": project.only_allow_lower_case_feature_names,
                "feature_name_regex": project.feature_name_regex,
                "max_segments_allowed": project.max_segments_allowed,
                "max_features_allowed": project.max_features_allowed,
                "max_segment_overrides_allowed": project.max_segment_overrides_allowed,
                "edge_v2_migration_status": "NOT_STARTED",
                "edge_v2_migration_read_capacity_budget": None,
                "stale_flags_limit_days": project.stale_flags_limit_days,
                "minimum_change_request_approvals": None,
            },
        )
    segments = list(
        Segment.objects.filter(project__organisation=organisation)
        .select_related("project", "feature")
        .with_rule_trees()
        .order_by("id")
    )
    for segment in segments:
        w.add(
            SEGMENT,
            {
                "deleted_at": None,
                "uuid": str(segment.uuid),
                "name": segment.name,
                "description": segment.description,
                "project": [str(segment.project.uuid)],
                "feature": [str(segment.feature.uuid)] if segment.feature else None,
                "rules_data": _rules_data(segment.top_level_rules),
                "version": 1,
                "version_of": [str(segment.uuid)],
                "change_request": None,
                "created_at": _when(segment.created_date),
                "updated_at": _when(segment.updated_at),
                "is_system_segment": False,
                "managed_by": "",
            },
            pk=segment.pk,
        )
    rules: list[tuple[Segment, SegmentRule]] = []

    def walk(segment: Segment, rule_list: list[SegmentRule]) -> None:
        for rule in rule_list:
            rules.append((segment, rule))
            walk(segment, rule.child_rules)

    for segment in segments:
        walk(segment, segment.top_level_rules)
    for segment, rule in rules:
        w.add(
            SEGMENT_RULE,
            {
                "deleted_at": None,
                "uuid": w.derived_uuid("rule", rule.pk),
                "segment": None if rule.parent_id else [str(segment.uuid)],
                "rule": [w.derived_uuid("rule", rule.parent_id)] if rule.parent_id else None,
                "type": rule.type,
                "created_at": _when(segment.created_date),
                "updated_at": _when(segment.updated_at),
            },
        )
    for segment, rule in rules:
        for condition in rule.conditions.all():
            w.add(
                CONDITION,
                {
                    "deleted_at": None,
                    "uuid": w.derived_uuid("condition", condition.pk),
                    "operator": condition.operator,
                    "property": condition.property,
                    "value": condition.value,
                    "description": condition.description,
                    "created_with_segment": False,
                    "rule": [w.derived_uuid("rule", rule.pk)],
                    "created_at": _when(segment.created_date),
                    "updated_at": _when(segment.updated_at),
                },
            )
    for tag in Tag.objects.filter(project__organisation=organisation).select_related("project").order_by("id"):
        w.add(
            TAG,
            {
                "uuid": str(tag.uuid),
                "label": tag.label,
                "color": tag.color,
                "description": tag.description,
                "project": [str(tag.project.uuid)],
                "is_system_tag": False,
                "is_permanent": False,
                "type": "NONE",
            },
        )
    environments = list(
        Environment.objects.filter(project__organisation=organisation).select_related("project").order_by("id")
    )
    for environment in environments:
        w.add(
            ENVIRONMENT,
            {
                "deleted_at": None,
                "name": environment.name,
                "uuid": str(environment.uuid),
                "created_date": _when(environment.created_date),
                "description": environment.description,
                "project": [str(environment.project.uuid)],
                "api_key": environment.api_key,
                "minimum_change_request_approvals": environment.minimum_change_request_approvals,
                "webhooks_enabled": False,
                "webhook_url": None,
                "allow_client_traits": environment.allow_client_traits,
                "updated_at": _when(environment.updated_at),
                "banner_text": environment.banner_text,
                "banner_colour": environment.banner_colour,
                "hide_disabled_flags": environment.hide_disabled_flags,
                "use_identity_composite_key_for_hashing": environment.use_identity_composite_key_for_hashing,
                "hide_sensitive_data": environment.hide_sensitive_data,
                "use_v2_feature_versioning": False,
                "use_identity_overrides_in_local_eval": environment.use_identity_overrides_in_local_eval,
                "is_creating": False,
                "first_evaluated_at": None,
                "first_evaluated_sdk_label": None,
            },
        )
    missing: list[str] = []
    for key in EnvironmentAPIKey.objects.filter(environment__in=environments).select_related("environment"):
        clear = known_keys.get(key.key_hash)
        if clear is None:
            missing.append(f"{key.environment.name}: {key.name} ({key.key_preview}…)")
            continue
        w.add(
            SERVER_KEY,
            {
                "environment": [key.environment.api_key],
                "key": clear,
                "created_at": _when(key.created_at),
                "name": key.name,
                "expires_at": _when(key.expires_at),
                "active": key.active,
            },
        )
    for webhook in EnvironmentWebhook.objects.filter(environment__in=environments).select_related("environment"):
        w.add(
            WEBHOOK,
            {
                "uuid": w.derived_uuid("webhook", webhook.pk),
                "url": webhook.url,
                "secret": webhook.secret,
                "environment": [webhook.environment.api_key],
                "enabled": webhook.enabled,
                "created_at": _when(webhook.created_at),
                "updated_at": _when(webhook.updated_at),
            },
        )
    identities = Identity.objects.filter(environment__in=environments).select_related("environment").order_by("id")
    for identity in identities:
        w.add(
            IDENTITY,
            {
                "identifier": identity.identifier,
                "created_date": _when(identity.created_date),
                "environment": [identity.environment.api_key],
                "system_traits": {},
            },
        )
    traits = Trait.objects.filter(identity__environment__in=environments).select_related("identity__environment")
    for trait in traits.order_by("id"):
        w.add(
            TRAIT,
            {
                "identity": [trait.identity.identifier, trait.identity.environment.api_key],
                "trait_key": trait.trait_key,
                "value_type": trait.value_type,
                "boolean_value": trait.boolean_value,
                "integer_value": trait.integer_value,
                "string_value": trait.string_value,
                "float_value": trait.float_value,
                "created_date": _when(trait.created_date),
            },
        )
    features = Feature.objects.filter(project__organisation=organisation).select_related("project")
    for feature in features.prefetch_related("tags").order_by("id"):
        w.add(
            FEATURE,
            {
                "deleted_at": None,
                "uuid": str(feature.uuid),
                "name": feature.name,
                "created_date": _when(feature.created_date),
                "project": [str(feature.project.uuid)],
                "initial_value": feature.initial_value,
                "description": feature.description,
                "default_enabled": feature.default_enabled,
                "type": feature.type,
                "is_archived": feature.is_archived,
                "is_server_key_only": feature.is_server_key_only,
                "tags": [[str(tag.uuid)] for tag in sorted(feature.tags.all(), key=lambda tag: tag.pk)],
            },
        )
    options = MultivariateFeatureOption.objects.filter(feature__project__organisation=organisation)
    for option in options.select_related("feature").order_by("id"):
        w.add(
            MV_OPTION,
            {
                "uuid": str(option.uuid),
                **_typed(option),
                "feature": [str(option.feature.uuid)],
                "key": option.key,
                "default_percentage_allocation": option.default_percentage_allocation,
            },
        )
    feature_segments = FeatureSegment.objects.filter(environment__in=environments)
    for fs in feature_segments.select_related("feature", "segment", "environment").order_by("id"):
        w.add(
            FEATURE_SEGMENT,
            {
                "uuid": str(fs.uuid),
                "feature": [str(fs.feature.uuid)],
                "segment": [str(fs.segment.uuid)],
                "environment": [fs.environment.api_key],
                "environment_feature_version": None,
                "_enabled": False,
                "_value": None,
                "_value_type": None,
                "priority": fs.priority,
            },
        )
    states = list(
        FeatureState.objects.filter(environment__in=environments)
        .select_related("feature", "environment", "feature_segment", "identity")
        .order_by("id")
    )
    for state in states:
        w.add(
            FEATURE_STATE,
            {
                "deleted_at": None,
                "uuid": str(state.uuid),
                "feature": [str(state.feature.uuid)],
                "environment": [state.environment.api_key],
                "identity": [state.identity.identifier, state.environment.api_key] if state.identity else None,
                "feature_segment": [str(state.feature_segment.uuid)] if state.feature_segment else None,
                "enabled": state.enabled,
                "created_at": _when(state.created_at),
                "updated_at": _when(state.updated_at),
                "live_from": _when(state.created_at),
                "change_request": None,
                "environment_feature_version": None,
                "version": 1,
                "mv_hashing_salt": None,
            },
            pk=state.pk,
        )
    values = FeatureStateValue.objects.filter(feature_state__environment__in=environments)
    for value in values.select_related("feature_state").order_by("feature_state_id"):
        w.add(
            FEATURE_STATE_VALUE,
            {
                "deleted_at": None,
                "uuid": w.derived_uuid("featurestatevalue", value.pk),
                **_typed(value),
                "feature_state": [str(value.feature_state.uuid)],
            },
        )
    weights = MultivariateFeatureStateValue.objects.filter(feature_state__environment__in=environments)
    for weight in weights.select_related("feature_state", "multivariate_feature_option").order_by("id"):
        w.add(
            MV_STATE_VALUE,
            {
                "uuid": str(weight.uuid),
                "feature_state": [str(weight.feature_state.uuid)],
                "multivariate_feature_option": [str(weight.multivariate_feature_option.uuid)],
                "percentage_allocation": weight.percentage_allocation,
            },
            pk=weight.pk,
        )
    return ExportResult(objects=w.objects, missing_server_keys=missing)
