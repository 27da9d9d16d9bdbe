from django.apps import AppConfig


class EditorialConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "editorial"
    verbose_name = "Editorial history"

    def ready(self):
        from . import signals

        signals.connect()
