"""System checks of newsletters (`manage.py check`, run by migrate and the server at start)."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string
from django_tasks.backends.immediate import ImmediateBackend


@checks.register(checks.Tags.security)
def tasks_run_outside_requests(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Signup answers the same for every address, but with tasks run inside the request it sends the
    confirmation email there, for a new or pending address only: the slower answer would tell
    anyone who is subscribed. Fine while developing; a warning anywhere else."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or not backend or not issubclass(import_string(backend), ImmediateBackend):
        return []
    return [
        checks.Warning(
            "Background tasks run inside requests: newsletter signup takes longer for addresses "
            "that get a confirmation email, which tells whether an address is subscribed.",
            hint="Set TASKS_BACKEND=database and run `manage.py db_worker` beside the server.",
            id="newsletters.W001",
        )
    ]
