from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from audit.signals import entry_recorded
        from versioning.signals import version_went_live
        from webhooks import services

        entry_recorded.connect(services.entry_recorded, dispatch_uid="webhooks-audit-entry")
        version_went_live.connect(services.version_went_live, dispatch_uid="webhooks-version-live")
