"""Turning changes into webhook deliveries, and delivering them.

Events are enqueued as ``WebhookDelivery`` rows inside the transaction of the change
(``audit.signals.entry_recorded``, connected in ``webhooks.apps``): a rolled-back change sends
nothing, a committed one is on disk before anyone is told, and a restart loses nothing.
After the commit the in-process runner is woken (``webhooks.runner``); a deployment
with ``TASK_RUN_METHOD=TASK_PROCESSOR`` leaves delivery to ``manage.py
run_webhook_worker`` instead. Nothing here makes an HTTP call inside a request, except
the explicit ``POST /api/v1/webhooks/test/``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditAction
from core import outbound
from core.audit import Audited
from features.models import FeatureState, FeatureStateValue
from webhooks.models import (
    DeliveryStatus,
    EnvironmentWebhook,
    OrganisationWebhook,
    WebhookDelivery,
    WebhookEventType,
)

logger = logging.getLogger("banderole.webhooks")

SIGNATURE_HEADER = "X-Flagsmith-Signature"
USER_AGENT = "Banderole-Webhook"


def sign(body: bytes, secret: str) -> str:
    """Hex HMAC-SHA256 of the exact body bytes under the webhook's secret (Flagsmith's scheme)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


# --- Payloads ----------------------------------------------------------------------


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def changed_by(entry: Any) -> str:
    if entry.author_id:
        author = entry.author
        full_name = f"{author.first_name} {author.last_name}".strip()
        return full_name or author.email
    if entry.api_key_id:
        return f"API key {entry.api_key.name}"
    return "System"


def feature_state_payload(feature_state: Any, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A feature state as Flagsmith's webhooks show it: feature, environment, value, scope."""

    feature = feature_state.feature
    environment = feature_state.environment
    value = FeatureStateValue.objects.filter(feature_state=feature_state).first()
    feature_segment = None
    if feature_state.feature_segment_id:
        segment_override = feature_state.feature_segment
        feature_segment = {
            "id": segment_override.pk,
            "priority": segment_override.priority,
            "segment": {"id": segment_override.segment_id, "name": segment_override.segment.name},
        }
    payload = {
        "id": feature_state.pk,
        "enabled": feature_state.enabled,
        "feature_state_value": value.value if value is not None else None,
        "environment": {"id": environment.pk, "name": environment.name},
        "feature": {
            "id": feature.pk,
            "name": feature.name,
            "type": feature.type,
            "description": feature.description,
            "default_enabled": feature.default_enabled,
            "initial_value": feature.initial_value,
            "created_date": _timestamp(feature.created_date),
            "project": {"id": feature.project_id, "name": feature.project.name},
        },
        "feature_segment": feature_segment,
        "identity": feature_state.identity_id,
        "identity_identifier": feature_state.identity.identifier if feature_state.identity_id else None,
    }
    payload.update({key: value for key, value in (overrides or {}).items() if key in payload})
    return payload


def audit_log_payload(entry: Any) -> dict[str, Any]:
    """An audit entry as Flagsmith's AUDIT_LOG_CREATED shows it."""
    author = entry.author
    return {
        "id": entry.pk,
        "created_date": _timestamp(entry.created_date),
        "log": entry.log,
        "action": entry.action,
        "author": (
            {"id": author.pk, "email": author.email, "first_name": author.first_name, "last_name": author.last_name}
            if author is not None
            else None
        ),
        "api_key": entry.api_key.name if entry.api_key_id else None,
        "organisation": entry.organisation_id,
        "project": {"id": entry.project_id} if entry.project_id else None,
        "environment": {"id": entry.environment_id} if entry.environment_id else None,
        "related_object_id": entry.related_object_id,
        "related_object_type": entry.related_object_type,
        "changes": entry.changes,
        "is_system_event": entry.is_system_event,
    }


# --- Enqueueing ------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagEvent:
    environment_id: int
    event_type: str
    new_state: dict[str, Any] | None
    previous_state: dict[str, Any] | None


def _flag_events(entry: Any, instance: Audited, states: list[Any], before: dict[str, Any] | None) -> list[FlagEvent]:
    """FLAG_UPDATED / FLAG_DELETED events of the feature states an entry's change set or took away."""
    if entry.action == AuditAction.DELETE:
        return [
            FlagEvent(state.environment_id, WebhookEventType.FLAG_DELETED, None, feature_state_payload(state))
            for state in states
        ]
    events = []
    for state in states:
        previous_state = None
        if entry.action == AuditAction.UPDATE and before is not None and state is instance:
            # The state's own snapshot before the change: its previous value.
            previous_state = feature_state_payload(
                state, {"enabled": before.get("enabled"), "feature_state_value": before.get("feature_state_value")}
            )
        events.append(
            FlagEvent(state.environment_id, WebhookEventType.FLAG_UPDATED, feature_state_payload(state), previous_state)
        )
    return events


def entry_recorded(
    sender: Any, entry: Any, instance: Audited, before: dict[str, Any] | None = None, **kwargs: Any
) -> None:
    """``audit.signals.entry_recorded``: queue the webhooks the entry triggers."""
    audit_log_created(entry, instance, before)


def _deliveries(
    organisation_id: int,
    event_type: str,
    body: str,
    environment_hooks: list[EnvironmentWebhook] | tuple[()] = (),
    organisation_hooks: list[OrganisationWebhook] | tuple[()] = (),
) -> list[WebhookDelivery]:
    """One queued delivery of ``body`` per hook."""
    return [
        WebhookDelivery(
            organisation_id=organisation_id,
            environment_webhook=hook,
            event_type=event_type,
            url=hook.url,
            secret=hook.secret,
            body=body,
        )
        for hook in environment_hooks
    ] + [
        WebhookDelivery(
            organisation_id=organisation_id,
            organisation_webhook=hook,
            event_type=event_type,
            url=hook.url,
            secret=hook.secret,
            body=body,
        )
        for hook in organisation_hooks
    ]


def _queue(deliveries: list[WebhookDelivery]) -> None:
    """Store ``deliveries`` in the change's transaction; the runner sends them after it commits."""
    if not deliveries:
        return
    WebhookDelivery.objects.bulk_create(deliveries)
    from webhooks import runner

    transaction.on_commit(runner.wake)


def audit_log_created(entry: Any, instance: Audited, before: dict[str, Any] | None = None) -> None:
    """Queue the webhooks an audit entry triggers. Runs inside the change's transaction."""
    if settings.DISABLE_WEBHOOKS:
        return
    deliveries: list[WebhookDelivery] = []
    organisation_hooks = list(OrganisationWebhook.objects.filter(organisation_id=entry.organisation_id, enabled=True))
    if organisation_hooks:
        body = encode({"event_type": WebhookEventType.AUDIT_LOG_CREATED, "data": audit_log_payload(entry)})
        deliveries += _deliveries(
            entry.organisation_id, WebhookEventType.AUDIT_LOG_CREATED, body, organisation_hooks=organisation_hooks
        )
    # The states are read only when an environment of the entry has a hook: most have none.
    states: list[Any] | None = None
    if entry.environment_id:
        environment_ids = {entry.environment_id}
    else:  # a project-wide change (a deleted feature): its states say which environments
        states = list(instance.audit_flag_states(entry.action))
        environment_ids = {state.environment_id for state in states}
    if environment_ids:
        hooks_by_environment: dict[int, list[EnvironmentWebhook]] = {}
        for hook in EnvironmentWebhook.objects.filter(environment_id__in=environment_ids, enabled=True):
            hooks_by_environment.setdefault(hook.environment_id, []).append(hook)
        if hooks_by_environment:
            if states is None:
                states = list(instance.audit_flag_states(entry.action))
            for event in _flag_events(entry, instance, states, before):
                body = encode(
                    {
                        "event_type": event.event_type,
                        "data": {
                            "changed_by": changed_by(entry),
                            "new_state": event.new_state,
                            "previous_state": event.previous_state,
                            "timestamp": _timestamp(entry.created_date),
                        },
                    }
                )
                deliveries += _deliveries(
                    entry.organisation_id,
                    event.event_type,
                    body,
                    environment_hooks=hooks_by_environment.get(event.environment_id, []),
                )
    _queue(deliveries)


def version_payload(version: Any) -> dict[str, Any]:
    """NEW_VERSION_PUBLISHED's data, as Flagsmith's EnvironmentFeatureVersionWebhookDataSerializer
    (features/versioning/schemas.py): uuid, feature, published_by and the version's states."""
    published_by = version.published_by
    states = version.feature_states.prefetch_related("multivariate_feature_state_values__multivariate_feature_option")
    return {
        "uuid": str(version.uuid),
        "feature": {"id": version.feature_id, "name": version.feature.name},
        "published_by": {"id": published_by.pk, "email": published_by.email} if published_by is not None else None,
        "feature_states": [
            {
                "enabled": state.enabled,
                "value": state.value,
                "multivariate_feature_state_values": [
                    {
                        "id": share.pk,
                        "multivariate_feature_option": {
                            "id": share.multivariate_feature_option_id,
                            "value": share.multivariate_feature_option.value,
                        },
                        "percentage_allocation": share.percentage_allocation,
                    }
                    for share in state.multivariate_feature_state_values.all()
                ],
            }
            for state in states
        ],
    }


def version_went_live(
    sender: Any, version: Any, previous: dict[Any, Any] | None = None, changed: list[Any] | None = None, **kwargs: Any
) -> None:
    """``versioning.signals.version_went_live``: FLAG_UPDATED for each state it changed, then NEW_VERSION_PUBLISHED.

    As Flagsmith (``trigger_update_version_webhooks``, run at ``live_from``): the
    environment's webhooks get a FLAG_UPDATED per changed state (with its previous
    state) and NEW_VERSION_PUBLISHED as the summary; organisation webhooks the
    FLAG_UPDATED events. Queued in the transaction that applies the version.
    """
    if settings.DISABLE_WEBHOOKS:
        return
    organisation_id = version.environment.project.organisation_id
    environment_hooks = list(EnvironmentWebhook.objects.filter(environment_id=version.environment_id, enabled=True))
    organisation_hooks = list(OrganisationWebhook.objects.filter(organisation_id=organisation_id, enabled=True))
    if not (environment_hooks or organisation_hooks):
        return
    timestamp = _timestamp(version.live_from or timezone.now())
    author = version.published_by
    if author is not None:
        who = f"{author.first_name} {author.last_name}".strip() or author.email
    elif version.published_by_api_key_id:
        who = f"API key {version.published_by_api_key.name}"
    else:
        who = "System"
    deliveries: list[WebhookDelivery] = []
    rows = {
        (row.feature_segment.segment_id if row.feature_segment_id else None): row
        for row in FeatureState.objects.filter(
            environment_id=version.environment_id, feature_id=version.feature_id, identity__isnull=True
        ).select_related("feature__project", "environment", "feature_segment__segment")
    }
    for segment_id in changed or []:
        row = rows.get(segment_id)
        if row is None:
            continue
        before = (previous or {}).get(segment_id)
        data = {
            "changed_by": who,
            "new_state": feature_state_payload(row),
            "previous_state": (
                feature_state_payload(row, {"enabled": before.enabled, "feature_state_value": before.value})
                if before is not None
                else None
            ),
            "timestamp": timestamp,
        }
        body = encode({"event_type": WebhookEventType.FLAG_UPDATED, "data": data})
        deliveries += _deliveries(
            organisation_id, WebhookEventType.FLAG_UPDATED, body, environment_hooks, organisation_hooks
        )
    body = encode({"event_type": WebhookEventType.NEW_VERSION_PUBLISHED, "data": version_payload(version)})
    deliveries += _deliveries(organisation_id, WebhookEventType.NEW_VERSION_PUBLISHED, body, environment_hooks)
    _queue(deliveries)


# --- Delivering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    error: str


def post(url: str, body: bytes, secret: str, timeout: float | None = None) -> Attempt:
    """POST the body once; a 2xx is success, anything else (or no answer) is an error.

    The URL is vetted again here (``core.outbound``): one that now resolves to an
    internal address is a failed attempt that never opens a connection.
    """
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    try:
        response = outbound.post(url, body, headers, timeout or settings.WEBHOOK_TIMEOUT_SECONDS)
    except outbound.OutboundRefused as exc:
        return Attempt(None, f"Refused: {exc}"[:500])
    except Exception as exc:  # any transport failure (urllib3, ssl, socket) is "no answer"
        return Attempt(None, str(exc)[:500] or type(exc).__name__)
    if 200 <= response.status < 300:
        return Attempt(response.status, "")
    return Attempt(response.status, f"HTTP {response.status}")


def backoff_seconds(attempts: int) -> float:
    """Wait before retry number ``attempts`` (1-based): ``WEBHOOK_BACKOFF_BASE ** attempts``."""
    return float(settings.WEBHOOK_BACKOFF_BASE) ** attempts


def claim_due(limit: int = 20, now: datetime | None = None) -> list[WebhookDelivery]:
    """Take up to ``limit`` due deliveries, leasing them so no other worker sends them too."""
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        claimed = list(due[:limit])
        if claimed:
            WebhookDelivery.objects.filter(pk__in=[row.pk for row in claimed]).update(next_attempt_at=lease_until)
    return claimed


def deliver(delivery: WebhookDelivery) -> bool:
    """Send one claimed delivery and record the outcome; True when it was accepted."""
    result = post(delivery.url, delivery.body.encode(), delivery.secret)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = result.status_code
    if result.status_code is not None and 200 <= result.status_code < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
    else:
        delivery.last_error = result.error
        # The first attempt plus WEBHOOK_BACKOFF_RETRIES retries, then it is given up.
        if delivery.attempts > settings.WEBHOOK_BACKOFF_RETRIES:
            delivery.status = DeliveryStatus.FAILED
            logger.warning(
                "Webhook %s to %s failed after %s attempts: %s",
                delivery.event_type,
                delivery.url,
                delivery.attempts,
                result.error,
            )
        else:
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
    delivery.save(
        update_fields=["attempts", "last_status_code", "status", "delivered_at", "last_error", "next_attempt_at"]
    )
    return delivery.status == DeliveryStatus.DELIVERED


def deliver_due(limit: int = 20) -> int:
    """Deliver every delivery that is due now, in batches; returns how many were attempted."""
    attempted = 0
    while True:
        batch = claim_due(limit)
        if not batch:
            return attempted
        for delivery in batch:
            try:
                deliver(delivery)
            except Exception:  # one bad row must not stop the queue
                logger.exception("Webhook delivery %s could not be processed", delivery.pk)
            attempted += 1


def send_test(url: str, secret: str, scope_type: str) -> Attempt:
    """Send a sample event of the scope's kind right now (for ``POST /webhooks/test/``)."""
    now = _timestamp(timezone.now())
    if scope_type == "organisation":
        payload = {
            "event_type": WebhookEventType.AUDIT_LOG_CREATED,
            "data": {
                "created_date": now,
                "log": "Test webhook from Banderole",
                "author": None,
                "related_object_id": None,
                "related_object_type": "TEST",
            },
        }
    else:
        payload = {
            "event_type": WebhookEventType.FLAG_UPDATED,
            "data": {
                "changed_by": "Banderole webhook test",
                "new_state": {"enabled": True, "feature_state_value": "test", "feature": {"name": "test_feature"}},
                "previous_state": {"enabled": False, "feature_state_value": None, "feature": {"name": "test_feature"}},
                "timestamp": now,
            },
        }
    return post(url, encode(payload).encode(), secret, settings.WEBHOOK_TEST_TIMEOUT_SECONDS)
