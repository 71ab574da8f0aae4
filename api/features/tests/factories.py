import factory

from features.models import (
    Feature,
    FeatureState,
    FeatureStateValue,
    FeatureValueType,
    MultivariateFeatureOption,
    MultivariateFeatureStateValue,
    Tag,
)
from projects.tests.factories import ProjectFactory


class FeatureFactory(factory.django.DjangoModelFactory):
    """A bare feature row; use ``services.create_feature`` when its states matter."""

    class Meta:
        model = Feature

    name = factory.Sequence(lambda n: f"feature_{n}")
    project = factory.SubFactory(ProjectFactory)


class FeatureStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeatureState

    feature = factory.SubFactory(FeatureFactory)
    environment = factory.SubFactory("environments.tests.factories.EnvironmentFactory")


class FeatureStateValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeatureStateValue

    feature_state = factory.SubFactory(FeatureStateFactory)
    type = FeatureValueType.STRING
    string_value = "value"


class MultivariateFeatureOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MultivariateFeatureOption

    feature = factory.SubFactory(FeatureFactory, type="MULTIVARIATE")
    type = FeatureValueType.STRING
    string_value = factory.Sequence(lambda n: f"variant_{n}")
    default_percentage_allocation = 10


class MultivariateFeatureStateValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MultivariateFeatureStateValue

    feature_state = factory.SubFactory(FeatureStateFactory)
    multivariate_feature_option = factory.SubFactory(MultivariateFeatureOptionFactory)
    percentage_allocation = 10


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    label = factory.Sequence(lambda n: f"tag_{n}")
    project = factory.SubFactory(ProjectFactory)
