import django_filters

from environments.models import Environment


class EnvironmentFilterSet(django_filters.FilterSet):
    # Flagsmith requires the project; listing every environment of every
    # project would be a slow and surprising default for large installations.
    project = django_filters.NumberFilter(field_name="project_id", required=True)

    class Meta:
        model = Environment
        fields = ["project"]
