import factory

from identities.models import Identity, Trait


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    identifier = factory.Sequence(lambda n: f"user_{n}")
    environment = factory.SubFactory("environments.tests.factories.EnvironmentFactory")


class TraitFactory(factory.django.DjangoModelFactory):
    """A string trait; use ``Trait.set_value`` or ``services.save_trait`` for other types."""

    class Meta:
        model = Trait

    identity = factory.SubFactory(IdentityFactory)
    trait_key = factory.Sequence(lambda n: f"trait_{n}")
    string_value = "value"
