from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime stream"

    def ready(self) -> None:
        from core import versions
        from realtime import announce

        # Every process that writes announces its new versions to the stream processes. This
        # receiver runs after the documents app's (INSTALLED_APPS order), which bumps the shared
        # version generation: an SDK refetching on the event already gets the new version.
        versions.published.connect(announce.versions_published, dispatch_uid="realtime-announce")
