from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"

    def ready(self):
        from cms.roles import create_roles
        from cms.text import clean_on_save

        from . import corrections, dependents, redirects
        from .images import delete_image_files

        # The Reporter and Editor groups exist on every migrated database, fresh ones included.
        post_migrate.connect(create_roles, sender=self, dispatch_uid="cms.roles.create_roles")
        # A deleted image takes its files with it, bulk deletes from the admin included.
        post_delete.connect(delete_image_files, sender=self.get_model("Image"), dispatch_uid="image-files")
        # Cached responses and renderings follow every change to what they show.
        dependents.register()
        # No control characters in what editors save, whatever saved it.
        clean_on_save(*(self.get_model(name) for name in ("Article", "Video", "Author", "Image")))
        # Old slugs keep answering (redirects to the current one).
        redirects.connect()
        # A correction added or retracted is a change readers see.
        corrections.connect()
