from django.apps import AppConfig


class CmsConfig(AppConfig):
    """The project package as an app, so that its cross-cutting signal handlers are connected
    once, at start-up: cache invalidation (cms/caching.py)."""

    name = "cms"
    verbose_name = "Newsroom CMS"

    def ready(self):
        from . import caching

        caching.connect_signals()
