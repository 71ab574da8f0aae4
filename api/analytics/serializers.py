from __future__ import annotations

from rest_framework import serializers


class EvaluationDataQuerySerializer(serializers.Serializer):
    environment_id = serializers.IntegerField(help_text="Id of the environment whose counts to read.")
    period = serializers.IntegerField(
        default=30, min_value=1, max_value=365, help_text="Days back from today (default 30)."
    )


class EvaluationDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    count = serializers.IntegerField()
