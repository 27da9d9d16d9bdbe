from django.apps import AppConfig


class CmsConfig(AppConfig):
    """The shared infrastructure as an app, for its templates and static files. It imports no
    app: each app registers its own models with the cache (cms.caching.register)."""

    name = "cms"
    verbose_name = "Newsroom CMS"
