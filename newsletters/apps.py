from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "newsletters"

    def ready(self):
        from cms.caching import register, register_dependents
        from cms.text import clean_on_save

        from . import checks  # noqa: F401  (registers the system checks)
        from .models import Edition, EditionItem, Newsletter

        clean_on_save(Newsletter, Edition)  # no control characters in what editors save
        register(Newsletter, key="newsletter", lists="newsletters")
        register(Edition, key="edition", lists="editions")
        # A story added to, moved in or removed from an edition.
        register(EditionItem, changes=lambda item: {f"edition-{item.edition_id}"})

        def editions_showing(field):
            def dependents(item) -> set[str]:
                editions = EditionItem.objects.filter(**{field: item.pk}).values_list("edition_id", flat=True)
                return {f"edition-{pk}" for pk in editions}

            return dependents

        # An edition's archive page shows its stories only while they are visible.
        register_dependents("articles.Article", editions_showing("article"))
        register_dependents("articles.Video", editions_showing("video"))
