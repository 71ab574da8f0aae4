import django_filters

from projects.models import Project


class ProjectFilterSet(django_filters.FilterSet):
    class Meta:
        model = Project
        fields = ["organisation"]
