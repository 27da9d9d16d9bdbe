from django.apps import AppConfig

# The content whose saves are kept as revisions, with History pages in its admin.
HISTORY_MODELS = ["articles.Article", "articles.Video"]


class EditorialConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "editorial"
    verbose_name = "Editorial history"

    def ready(self):
        from django.apps import apps

        from . import admin, signals

        signals.connect()
        # Admin autodiscovery (django.contrib.admin's ready(), earlier) has registered the admins.
        admin.add_history([apps.get_model(label) for label in HISTORY_MODELS])
