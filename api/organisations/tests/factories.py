import factory

from organisations.models import Invite, InviteLink, Organisation, OrganisationRole, UserOrganisation
from users.tests.factories import UserFactory


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserOrganisation

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = OrganisationRole.USER


class InviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invite

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = OrganisationRole.USER


class InviteLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InviteLink

    organisation = factory.SubFactory(OrganisationFactory)
    role = OrganisationRole.USER
