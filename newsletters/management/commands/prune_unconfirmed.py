"""Run daily (cron): forgets the addresses that signed up but never confirmed. Without a
confirmation there is no consent to keep them; see `services.prune_unconfirmed`."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from newsletters import services
from newsletters.models import Subscriber


class Command(BaseCommand):
    help = (
        "Delete subscribers who never confirmed a subscription and were last sent a confirmation "
        "email more than NEWSLETTER_UNCONFIRMED_MAX_AGE seconds ago. Prints a count, never an address."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the subscribers who would go; delete nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        max_age = settings.NEWSLETTER_UNCONFIRMED_MAX_AGE
        if max_age < settings.NEWSLETTER_CONFIRM_MAX_AGE:
            # Their confirmation links would still work, and lead nowhere.
            raise CommandError(
                f"NEWSLETTER_UNCONFIRMED_MAX_AGE ({max_age}) must not be shorter than "
                f"NEWSLETTER_CONFIRM_MAX_AGE ({settings.NEWSLETTER_CONFIRM_MAX_AGE})."
            )
        older_than = timedelta(seconds=max_age)
        if dry_run:
            count = Subscriber.objects.unconfirmed_since(timezone.now() - older_than).count()
            self.stdout.write(f"Would delete {count} never-confirmed subscriber(s).")
            return
        count = services.prune_unconfirmed(older_than=older_than)
        self.stdout.write(f"Deleted {count} never-confirmed subscriber(s).")
