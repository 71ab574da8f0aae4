from django.apps import AppConfig


class FeaturesConfig(AppConfig):
    name = "features"
    verbose_name = "Features"

    def ready(self) -> None:
        from environments.signals import environment_cloned, environment_created
        from features import services

        # A new environment gets a state for each feature; a clone, copies of its source's.
        environment_created.connect(services.environment_created, dispatch_uid="features-environment-created")
        environment_cloned.connect(services.environment_cloned, dispatch_uid="features-environment-cloned")
