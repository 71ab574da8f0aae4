from __future__ import annotations

import pytest
from django.core import mail
from django.test import override_settings

from organisations.models import Invite, Organisation, OrganisationRole, UserOrganisation
from organisations.tests.factories import InviteFactory, InviteLinkFactory, MembershipFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_organisation__any_user__creator_becomes_admin(member_client, member_user):
    response = member_client.post("/api/v1/organisations/", {"name": "New Co"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "New Co"
    assert body["role"] == "ADMIN"
    assert UserOrganisation.objects.get(organisation_id=body["id"], user=member_user).role == OrganisationRole.ADMIN


def test_create_organisation__persist_trait_data_default__follows_setting(admin_client):
    with override_settings(DEFAULT_ORG_STORE_TRAITS_VALUE=False):
        response = admin_client.post("/api/v1/organisations/", {"name": "Private"}, format="json")

    assert response.json()["persist_trait_data"] is False


def test_create_organisation__restricted_to_superusers__refuses_others(member_client):
    with override_settings(RESTRICT_ORG_CREATE_TO_SUPERUSERS=True):
        response = member_client.post("/api/v1/organisations/", {"name": "Nope"}, format="json")

    assert response.status_code == 403
    assert not Organisation.objects.filter(name="Nope").exists()


def test_create_organisation__restricted_and_superuser__allowed(api_client_for):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    with override_settings(RESTRICT_ORG_CREATE_TO_SUPERUSERS=True):
        response = api_client_for(superuser).post("/api/v1/organisations/", {"name": "Yes"}, format="json")

    assert response.status_code == 201


def test_create_organisation__missing_name__400_names_field(admin_client):
    response = admin_client.post("/api/v1/organisations/", {}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()


def test_create_organisation__anonymous__401(anon_client):
    response = anon_client.post("/api/v1/organisations/", {"name": "x"}, format="json")

    assert response.status_code == 401


def test_list_organisations__member__sees_only_own_paginated(member_client, organisation, other_organisation):
    response = member_client.get("/api/v1/organisations/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [item["id"] for item in body["results"]] == [organisation.id]
    assert body["results"][0]["role"] == "USER"


def test_update_organisation__admin__200(admin_client, organisation):
    response = admin_client.patch(f"/api/v1/organisations/{organisation.id}/", {"name": "Renamed"}, format="json")

    assert response.status_code == 200
    organisation.refresh_from_db()
    assert organisation.name == "Renamed"


def test_update_organisation__user_role__403_and_unchanged(member_client, organisation):
    response = member_client.patch(f"/api/v1/organisations/{organisation.id}/", {"name": "Hijack"}, format="json")

    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.name == "Acme"


def test_update_organisation__stop_serving_flags__read_only(admin_client, organisation):
    admin_client.patch(f"/api/v1/organisations/{organisation.id}/", {"stop_serving_flags": True}, format="json")

    organisation.refresh_from_db()
    assert organisation.stop_serving_flags is False


def test_delete_organisation__admin__204(admin_client, organisation):
    response = admin_client.delete(f"/api/v1/organisations/{organisation.id}/")

    assert response.status_code == 204
    assert not Organisation.objects.filter(pk=organisation.pk).exists()


def test_delete_organisation__user_role__403(member_client, organisation):
    assert member_client.delete(f"/api/v1/organisations/{organisation.id}/").status_code == 403


def test_organisation_projects__member__lists_projects(member_client, organisation, project):
    response = member_client.get(f"/api/v1/organisations/{organisation.id}/projects/")

    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == ["Web"]


def test_organisation_users__member__lists_members_with_roles(member_client, organisation, admin_user, member_user):
    response = member_client.get(f"/api/v1/organisations/{organisation.id}/users/")

    assert response.status_code == 200
    roles = {item["email"]: item["role"] for item in response.json()}
    assert roles == {admin_user.email: "ADMIN", member_user.email: "USER"}


def test_update_role__admin_promotes_member__200(admin_client, organisation, member_user):
    url = f"/api/v1/organisations/{organisation.id}/users/{member_user.id}/update-role/"

    response = admin_client.post(url, {"role": "ADMIN"}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "ADMIN"
    assert UserOrganisation.objects.get(organisation=organisation, user=member_user).role == "ADMIN"


def test_update_role__user_role__403(member_client, organisation, admin_user):
    url = f"/api/v1/organisations/{organisation.id}/users/{admin_user.id}/update-role/"

    assert member_client.post(url, {"role": "USER"}, format="json").status_code == 403


def test_update_role__invalid_role__400_names_role(admin_client, organisation, member_user):
    url = f"/api/v1/organisations/{organisation.id}/users/{member_user.id}/update-role/"

    response = admin_client.post(url, {"role": "OWNER"}, format="json")

    assert response.status_code == 400
    assert "role" in response.json()


def test_update_role__last_admin_demotes_self__400_and_still_admin(admin_client, organisation, admin_user):
    url = f"/api/v1/organisations/{organisation.id}/users/{admin_user.id}/update-role/"

    response = admin_client.post(url, {"role": "USER"}, format="json")

    assert response.status_code == 400
    assert UserOrganisation.objects.get(organisation=organisation, user=admin_user).role == "ADMIN"


def test_update_role__user_of_other_organisation__404(admin_client, organisation, outsider_user):
    url = f"/api/v1/organisations/{organisation.id}/users/{outsider_user.id}/update-role/"

    assert admin_client.post(url, {"role": "ADMIN"}, format="json").status_code == 404


def test_remove_users__admin__membership_removed(admin_client, organisation, member_user):
    response = admin_client.post(
        f"/api/v1/organisations/{organisation.id}/remove-users/", [{"id": member_user.id}], format="json"
    )

    assert response.status_code == 204
    assert not UserOrganisation.objects.filter(organisation=organisation, user=member_user).exists()


def test_remove_users__would_remove_last_admin__400_nothing_removed(
    admin_client, organisation, admin_user, member_user
):
    response = admin_client.post(
        f"/api/v1/organisations/{organisation.id}/remove-users/",
        [{"id": member_user.id}, {"id": admin_user.id}],
        format="json",
    )

    assert response.status_code == 400
    assert UserOrganisation.objects.filter(organisation=organisation).count() == 2


def test_remove_users__malformed_body__400(admin_client, organisation):
    response = admin_client.post(f"/api/v1/organisations/{organisation.id}/remove-users/", {"id": "x"}, format="json")

    assert response.status_code == 400


def test_invite__admin__created_and_emailed(admin_client, organisation, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/api/v1/organisations/{organisation.id}/invites/",
            {"email": "New@Example.com", "role": "USER"},
            format="json",
        )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@example.com"
    assert body["invited_by"]["email"] == admin_user.email
    invite = Invite.objects.get(pk=body["id"])
    assert len(mail.outbox) == 1
    assert invite.hash in mail.outbox[0].body
    assert mail.outbox[0].to == ["new@example.com"]


def test_invite__user_role__403_nothing_created(member_client, organisation):
    response = member_client.post(
        f"/api/v1/organisations/{organisation.id}/invites/", {"email": "x@example.com"}, format="json"
    )

    assert response.status_code == 403
    assert not Invite.objects.exists()


def test_invite__bad_email__400_names_email(admin_client, organisation):
    response = admin_client.post(
        f"/api/v1/organisations/{organisation.id}/invites/", {"email": "not-an-email"}, format="json"
    )

    assert response.status_code == 400
    assert "email" in response.json()


def test_invite__existing_member__400(admin_client, organisation, member_user):
    response = admin_client.post(
        f"/api/v1/organisations/{organisation.id}/invites/", {"email": member_user.email}, format="json"
    )

    assert response.status_code == 400
    assert "email" in response.json()


def test_invite__mail_server_down__invite_still_created(admin_client, organisation, django_capture_on_commit_callbacks):
    smtp_nowhere = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=1
    )
    with smtp_nowhere, django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(
            f"/api/v1/organisations/{organisation.id}/invites/", {"email": "z@example.com"}, format="json"
        )

    assert response.status_code == 201
    assert len(callbacks) == 1  # the send was attempted, failed, and was logged
    assert Invite.objects.filter(email="z@example.com").exists()


def test_invite_list_and_delete__admin__works(admin_client, organisation):
    invite = InviteFactory(organisation=organisation)
    base = f"/api/v1/organisations/{organisation.id}/invites/"

    listed = admin_client.get(base)
    deleted = admin_client.delete(f"{base}{invite.id}/")

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [invite.id]
    assert deleted.status_code == 204
    assert not Invite.objects.exists()


def test_invite_list__user_role__403(member_client, organisation):
    assert member_client.get(f"/api/v1/organisations/{organisation.id}/invites/").status_code == 403


def test_invite_resend__admin__email_sent_again(admin_client, organisation):
    invite = InviteFactory(organisation=organisation)

    response = admin_client.post(f"/api/v1/organisations/{organisation.id}/invites/{invite.id}/resend/")

    assert response.status_code == 204
    assert len(mail.outbox) == 1


def test_join__invited_user__becomes_member_with_invited_role(api_client_for, organisation):
    user = UserFactory(email="bob@example.com")
    invite = InviteFactory(organisation=organisation, email="bob@example.com", role=OrganisationRole.ADMIN)

    response = api_client_for(user).post(f"/api/v1/users/join/{invite.hash}/")

    assert response.status_code == 201
    assert response.json()["id"] == organisation.id
    assert UserOrganisation.objects.get(organisation=organisation, user=user).role == "ADMIN"
    assert not Invite.objects.exists()


def test_join__invite_for_other_email__400_not_joined(api_client_for, organisation):
    user = UserFactory(email="mallory@example.com")
    invite = InviteFactory(organisation=organisation, email="bob@example.com")

    response = api_client_for(user).post(f"/api/v1/users/join/{invite.hash}/")

    assert response.status_code == 400
    assert not UserOrganisation.objects.filter(user=user).exists()


def test_join__unknown_hash__404(member_client):
    assert member_client.post("/api/v1/users/join/does-not-exist/").status_code == 404


def test_join__anonymous__401(anon_client, organisation):
    invite = InviteFactory(organisation=organisation)

    assert anon_client.post(f"/api/v1/users/join/{invite.hash}/").status_code == 401


def test_join_link__valid__member_with_link_role(api_client_for, organisation):
    user = UserFactory()
    link = InviteLinkFactory(organisation=organisation)

    response = api_client_for(user).post(f"/api/v1/users/join/link/{link.hash}/")

    assert response.status_code == 201
    assert UserOrganisation.objects.get(organisation=organisation, user=user).role == "USER"


def test_join_link__already_member__400(member_client, organisation):
    link = InviteLinkFactory(organisation=organisation)

    assert member_client.post(f"/api/v1/users/join/link/{link.hash}/").status_code == 400


def test_join_link__expired__404(api_client_for, organisation):
    from django.utils import timezone

    link = InviteLinkFactory(organisation=organisation, expires_at=timezone.now())

    assert api_client_for(UserFactory()).post(f"/api/v1/users/join/link/{link.hash}/").status_code == 404


def test_invite_links__admin_creates_lists_deletes(admin_client, organisation):
    base = f"/api/v1/organisations/{organisation.id}/invite-links/"

    created = admin_client.post(base, {"role": "ADMIN"}, format="json")
    listed = admin_client.get(base)
    deleted = admin_client.delete(f"{base}{created.json()['id']}/")

    assert created.status_code == 201
    assert len(created.json()["hash"]) >= 32
    assert [item["id"] for item in listed.json()] == [created.json()["id"]]
    assert deleted.status_code == 204


def test_invite_links__user_role__403(member_client, organisation):
    assert (
        member_client.post(f"/api/v1/organisations/{organisation.id}/invite-links/", {}, format="json").status_code
        == 403
    )


def test_membership_factory__roles(organisation):
    # Guards the personas every other test relies on.
    assert MembershipFactory(organisation=organisation, role=OrganisationRole.ADMIN).role == "ADMIN"
