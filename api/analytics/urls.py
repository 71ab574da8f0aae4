from django.urls import path

from analytics.views import FeatureEvaluationDataView

urlpatterns = [
    path(
        "projects/<int:project_pk>/features/<int:feature_pk>/evaluation-data/",
        FeatureEvaluationDataView.as_view(),
        name="feature-evaluation-data",
    ),
]
