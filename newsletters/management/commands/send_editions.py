"""Run every minute (cron, a systemd timer): hands due editions and stalled sends to the workers.

Scheduling enqueues a deferred task already where the task backend can defer; this catches what
that misses (a backend without defer, a send time edited in the admin) and resumes sends whose
worker died (see newsletters/sending.py). Enqueuing one twice is harmless: the send locks the
edition and does nothing when there is nothing to do."""

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from newsletters.models import Edition
from newsletters.sending import STALE_AFTER
from newsletters.tasks import send_edition


class Command(BaseCommand):
    help = "Enqueue the sending of scheduled editions that are due, and resume stalled sends."

    def handle(self, *args, **options):
        now = timezone.now()
        due = Edition.objects.filter(
            Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=now), status=Edition.Status.SCHEDULED
        )
        stalled = Edition.objects.filter(
            Q(progress_at__isnull=True) | Q(progress_at__lte=now - STALE_AFTER), status=Edition.Status.SENDING
        )
        due_ids = list(due.order_by("scheduled_at", "pk").values_list("pk", flat=True))
        stalled_ids = list(stalled.order_by("pk").values_list("pk", flat=True))
        for pk in [*due_ids, *stalled_ids]:
            send_edition.enqueue(pk)
        self.stdout.write(
            f"Enqueued {len(due_ids)} due edition(s) and resumed {len(stalled_ids)} stalled send(s)."
        )
