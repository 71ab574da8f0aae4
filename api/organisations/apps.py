from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from organisations import services
        from users.services import install_invite_check

        # Sign-up may need an invite; invites are organisations', which sit above users.
        install_invite_check(services.has_valid_invite)
