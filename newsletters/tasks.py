"""Background work of newsletters, run by Django's task framework (TASKS in config/settings.py:
`manage.py db_worker` in production, at once in tests). Tasks take primary keys, never objects
or addresses, so that queued arguments name nobody."""

from django_tasks import task


@task()
def send_confirmation_email(subscription_id: int) -> None:
    from .emails import send_confirmation

    send_confirmation(subscription_id=subscription_id)


@task()
def send_edition(edition_id: int) -> None:
    from .sending import send_edition as send

    send(edition_id=edition_id)
