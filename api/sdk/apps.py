from django.apps import AppConfig


class SdkConfig(AppConfig):
    name = "sdk"
    verbose_name = "SDK API"
