"""Storing flag evaluation counts reported by SDKs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F

from analytics.models import FeatureEvaluationBucket


@dataclass(frozen=True)
class EvaluationCount:
    feature_name: str
    count: int
    identity_identifier: str = ""
    enabled_when_evaluated: bool | None = None


def record_evaluations(environment_id: int, counts: list[EvaluationCount], now: datetime) -> None:
    """Add counts to the hour's buckets, creating the buckets that do not exist yet."""
    if not counts:
        return
    bucket_start = now.replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        for item in counts:
            bucket = {
                "environment_id": environment_id,
                "feature_name": item.feature_name,
                "identity_identifier": item.identity_identifier,
                "enabled_when_evaluated": item.enabled_when_evaluated,
                "bucket_start": bucket_start,
            }
            updated = FeatureEvaluationBucket.objects.filter(**bucket).update(count=F("count") + item.count)
            if not updated:
                FeatureEvaluationBucket.objects.create(**bucket, count=item.count)
