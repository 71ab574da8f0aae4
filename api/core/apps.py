from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from core.cors import sdk_path_open_to_every_origin

        check_request_enabled.connect(sdk_path_open_to_every_origin, dispatch_uid="banderole-sdk-cors")
