"""System checks of newsletters (`manage.py check`, run by migrate and the server at start)."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string
from django_tasks.backends.immediate import ImmediateBackend


@checks.register(checks.Tags.security)
def tasks_run_outside_requests(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """With tasks run inside requests, every email is sent by a web worker: a signup's confirmation
    after its answer (cms/deferred.py), holding that worker for as long as the mail server takes, and
    an edition's whole send inside the editor's request. Fine while developing; a warning anywhere
    else."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or not backend or not issubclass(import_string(backend), ImmediateBackend):
        return []
    return [
        checks.Warning(
            "Background tasks run inside requests: web workers send newsletter emails, and wait "
            "on the mail server while other requests queue.",
            hint="Set TASKS_BACKEND=database and run `manage.py db_worker` beside the server.",
            id="newsletters.W001",
        )
    ]
