"""System checks of newsletters (`manage.py check`, run by migrate and the server at start)."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string
from django_tasks.backends.immediate import ImmediateBackend


@checks.register(checks.Tags.security)
def tasks_run_outside_requests(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """With tasks run inside requests, web workers send every email: a signup's confirmation after
    its answer (cms/deferred.py), for new and pending addresses only, holding that worker for as
    long as the mail server takes, so that how long the connection stays open, or how soon the
    worker answers the next request, tells whether an address is subscribed; and an edition's
    whole send inside the editor's request. Fine while developing; a warning anywhere else."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or not backend or not issubclass(import_string(backend), ImmediateBackend):
        return []
    return [
        checks.Warning(
            "Background tasks run inside requests: web workers send newsletter emails and wait on "
            "the mail server, for new and pending signup addresses only, which tells whether an "
            "address is subscribed.",
            hint="Set TASKS_BACKEND=database and run `manage.py db_worker` beside the server.",
            id="newsletters.W001",
        )
    ]
