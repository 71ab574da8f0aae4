import factory

from environments.models import Environment
from projects.tests.factories import ProjectFactory


class EnvironmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Environment

    name = factory.Sequence(lambda n: f"Environment {n}")
    project = factory.SubFactory(ProjectFactory)
