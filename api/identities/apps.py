from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "identities"
    label = "identities"
    verbose_name = "Identities and traits"
