"""Organisation roles, as the organisation's own views use them.

The rules for everything else live in ``permissions.checks``; these helpers are kept
for callers that only need the role.
"""

from __future__ import annotations

from typing import Any

from organisations.authentication import is_api_key_user
from organisations.models import Organisation, OrganisationRole, UserOrganisation


def organisation_role(user: Any, organisation: Organisation | int) -> str | None:
    """The user's role in the organisation, or None if they are not a member.

    An API key of the organisation reads as ADMIN when it is an admin key, else USER.
    """
    if not user.is_authenticated:
        return None
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    if is_api_key_user(user):
        if user.organisation_id != organisation_id:
            return None
        return OrganisationRole.ADMIN if user.is_admin else OrganisationRole.USER
    return (
        UserOrganisation.objects.filter(user=user, organisation_id=organisation_id)
        .values_list("role", flat=True)
        .first()
    )


def is_organisation_admin(user: Any, organisation: Organisation | int) -> bool:
    return organisation_role(user, organisation) == OrganisationRole.ADMIN
