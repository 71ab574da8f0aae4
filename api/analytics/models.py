"""Counts of flag evaluations reported by SDKs, per hour."""

from __future__ import annotations

from django.db import models

from environments.models import Environment


class FeatureEvaluationBucket(models.Model):
    """How many times SDKs evaluated a feature in an environment during one hour.

    v1 reports carry only the feature name and a count; v2 reports may add the
    identity and whether the flag was enabled, which become part of the bucket.
    """

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="evaluation_buckets")
    feature_name = models.CharField(max_length=2000)
    identity_identifier = models.CharField(max_length=2000, default="", blank=True)
    enabled_when_evaluated = models.BooleanField(null=True, blank=True)
    bucket_start = models.DateTimeField(help_text="Start of the hour the evaluations fall in.")
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-bucket_start", "feature_name"]
        indexes = [models.Index(fields=["environment", "bucket_start"], name="analytics_env_bucket_idx")]

    def __str__(self) -> str:
        return f"{self.feature_name}: {self.count} at {self.bucket_start:%Y-%m-%d %H}:00"
