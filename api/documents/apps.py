from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Environment documents"

    def ready(self) -> None:
        from documents import evaluation, signals

        signals.connect()
        evaluation.install_bounded_regex()
