from django.core.management.base import BaseCommand

from webhooks.delivery import attempt, due


class Command(BaseCommand):
    help = (
        "Send every webhook delivery that is due: retries whose time has come, and deliveries whose "
        "worker died (their lease has run out). Run it every minute from cron beside the worker."
    )

    def handle(self, *args, **options):
        sent = [attempt(delivery_id) for delivery_id in due()]
        self.stdout.write(f"{sum(1 for delivery in sent if delivery is not None)} delivery attempt(s) made.")
