"""Reading flag evaluation counts: per feature, environment and day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.models import FeatureEvaluationBucket
from analytics.serializers import EvaluationDataQuerySerializer, EvaluationDaySerializer
from environments.models import Environment
from features.models import Feature


class FeatureEvaluationDataView(APIView):
    """``projects/{p}/features/{f}/evaluation-data/?environment_id=&period=``: SDK evaluations per day.

    Every day of the period is listed, oldest first, with 0 for days without counts.
    Anyone who may see the environment may read its counts.
    """

    @extend_schema(parameters=[EvaluationDataQuerySerializer], responses=EvaluationDaySerializer(many=True))
    def get(self, request: Request, project_pk: int, feature_pk: int, **kwargs: Any) -> Response:
        feature = get_object_or_404(Feature.objects.for_user(request.user), pk=feature_pk, project_id=project_pk)
        query = EvaluationDataQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        environment = get_object_or_404(
            Environment.objects.for_user(request.user), pk=query.validated_data["environment_id"], project_id=project_pk
        )
        today = timezone.now().date()
        first_day = today - timedelta(days=query.validated_data["period"] - 1)
        rows = (
            FeatureEvaluationBucket.objects.filter(
                environment=environment, feature_name=feature.name, bucket_start__date__gte=first_day
            )
            .annotate(day=TruncDate("bucket_start"))
            .values("day")
            .annotate(total=Sum("count"))
        )
        totals = {row["day"]: row["total"] for row in rows}
        days = [first_day + timedelta(days=offset) for offset in range((today - first_day).days + 1)]
        return Response([{"day": day.isoformat(), "count": totals.get(day, 0)} for day in days])
