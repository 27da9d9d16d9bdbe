from django.core.management.base import BaseCommand

from webhooks.events import emit_pending


class Command(BaseCommand):
    help = (
        "Turn the changes readers can see into webhook events (scheduled items going live and items "
        "expiring included, which no save announces). Run it every minute from cron; the worker also "
        "runs it after each change."
    )

    def handle(self, *args, **options):
        emitted = emit_pending()
        self.stdout.write(f"{emitted} change(s) emitted.")
