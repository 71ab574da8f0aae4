import factory

from organisations.tests.factories import OrganisationFactory
from projects.models import Project


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    organisation = factory.SubFactory(OrganisationFactory)
