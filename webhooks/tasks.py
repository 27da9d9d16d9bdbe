"""The webhooks' background work (Django's task framework: `manage.py db_worker` in production, at
once in tests). The editor's request only queues `emit_events`; making the events and sending
them to every endpoint happen here."""

from django_tasks import task


@task()
def emit_events() -> None:
    from .events import emit_pending

    emit_pending()


@task()
def emit_taxonomy(label: str, pk: int, what: str) -> None:
    from .events import taxonomy_event

    taxonomy_event(label, pk, what)


@task()
def emit_event(events: list) -> None:
    from .events import emit_events_now

    emit_events_now(events)


@task()
def replay_events(event_ids: list) -> None:
    from .admin import replay

    replay(event_ids)


@task()
def deliver_due() -> None:
    """Queue a send of each delivery that is due: one task each, so that a slow receiver holds up
    only its own."""
    from .delivery import due

    for delivery_id in due():
        deliver.enqueue(delivery_id)


@task()
def deliver(delivery_id: int) -> None:
    from .delivery import attempt

    attempt(delivery_id)


def emit_events_at(when) -> None:
    """Run the emitter at `when` (a scheduled item's publish time), where the backend can wait;
    elsewhere `manage.py emit_webhooks`, run every minute, finds the change."""
    _later(emit_events, when)


def deliver_at(delivery_id: int, when) -> None:
    """A retry at its time, where the backend can wait; elsewhere `manage.py deliver_webhooks`."""
    _later(deliver, when, delivery_id)


def _later(job, when, *args) -> None:
    if job.get_backend().supports_defer:
        job.using(run_after=when).enqueue(*args)
