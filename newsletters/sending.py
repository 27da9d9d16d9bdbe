"""Sending an edition to its newsletter's confirmed subscribers, in the background
(tasks.send_edition), so that nobody gets it twice even when the worker dies half-way.

1. Start: the edition row is locked; a due SCHEDULED edition becomes SENDING and its recipients are
   fixed there and then, one PENDING `Delivery` per confirmed subscription. Subscribers confirmed
   later wait for the next edition.
2. Batches of NEWSLETTER_BATCH_SIZE deliveries share one connection to the mail server. Each
   delivery is claimed (PENDING -> SENDING, one UPDATE that only one worker can win) before its
   email goes out and marked SENT after, so two workers on one edition never send one email twice.
3. Resume: a SENDING edition whose worker has shown no sign of life for STALE_AFTER (the
   `send_editions` command notices) carries on with the PENDING deliveries. Deliveries found
   claimed but not marked were in flight when the worker died: their email may or may not have
   left, so they become UNKNOWN and are never sent again. Missing one email beats sending two.
4. When no PENDING delivery is left the edition is SENT, and its save purges the archive cache.
5. Deactivating the newsletter stops a send at its next batch: the deliveries not made yet become
   STOPPED and the edition is SENT (to those it reached). An inactive newsletter mails nobody, and
   reactivating it later must not send old news.

Log lines and delivery errors name editions and deliveries by id, never an address."""

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from . import editions
from .models import Delivery, Edition, Newsletter, Subscription

logger = logging.getLogger(__name__)

# A worker updates progress_at after every batch; one silent for this long has died. Long enough
# for a batch over a slow mail server: a second worker on a live send would be harmless (claims
# are atomic) but would mark the first one's message in flight as UNKNOWN until it is marked sent.
STALE_AFTER = timedelta(minutes=10)


def send_edition(*, edition_id: int) -> None:
    """Send the edition if it is due, or resume its interrupted send; otherwise do nothing (a
    draft, a sent edition, one scheduled later, one that a live worker is sending)."""
    edition = _start(edition_id)
    if edition is None:
        return
    stories = editions.edition_stories(edition)
    counts: Counter[str] = Counter()
    while batch := _pending_batch(edition):
        if not Newsletter.objects.active().filter(pk=edition.newsletter_id).exists():
            stopped = Delivery.objects.filter(edition=edition, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.STOPPED
            )
            logger.warning("Edition %s: newsletter deactivated; %d deliveries stopped.", edition.pk, stopped)
            break
        connection = mail.get_connection()
        connection.open()
        try:
            for delivery_id, subscription_id in batch:
                outcome = _deliver(edition, delivery_id, subscription_id, stories, connection)
                if outcome is not None:
                    counts[outcome] += 1
        finally:
            connection.close()
        Edition.objects.filter(pk=edition.pk).update(progress_at=timezone.now())
    _finish(edition)
    logger.info(
        "Edition %s: %d sent, %d failed, %d skipped in this run.",
        edition.pk,
        counts[Delivery.Status.SENT],
        counts[Delivery.Status.FAILED],
        counts[Delivery.Status.SKIPPED],
    )


def _start(edition_id: int) -> Edition | None:
    """Lock the edition and decide: start (snapshot the recipients), resume, or nothing (None)."""
    now = timezone.now()
    with transaction.atomic():
        edition = Edition.objects.select_for_update().filter(pk=edition_id).first()
        if edition is None:
            return None
        if edition.status == Edition.Status.SCHEDULED:
            if edition.scheduled_at is not None and edition.scheduled_at > now:
                return None  # rescheduled later since this task was queued: a later task sends it
            if (reason := editions.refusal(edition)) is not None:
                # Deactivated, or every story unpublished, since it was scheduled: the editor decides.
                edition.status = Edition.Status.DRAFT
                edition.save(update_fields=["status", "updated_at"])
                logger.warning("Edition %s not sent and back to draft: %s", edition.pk, reason)
                return None
            edition.status = Edition.Status.SENDING
            edition.sending_started_at = edition.progress_at = now
            edition.save(update_fields=["status", "sending_started_at", "progress_at", "updated_at"])
            recipients = (
                Subscription.objects.confirmed()
                .filter(newsletter_id=edition.newsletter_id)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            Delivery.objects.bulk_create(
                [Delivery(edition=edition, subscription_id=pk) for pk in recipients.iterator()],
                ignore_conflicts=True,
                batch_size=1000,
            )
            return edition
        if edition.status == Edition.Status.SENDING:
            if edition.progress_at is not None and edition.progress_at > now - STALE_AFTER:
                return None  # a live worker is on it
            lost = Delivery.objects.filter(edition=edition, status=Delivery.Status.SENDING).update(
                status=Delivery.Status.UNKNOWN
            )
            Edition.objects.filter(pk=edition.pk).update(progress_at=now)
            edition.progress_at = now
            logger.warning("Edition %s: resuming; %d deliveries were in flight (unknown).", edition.pk, lost)
            return edition
        return None


def _pending_batch(edition: Edition) -> list[tuple[int, int | None]]:
    pending = Delivery.objects.filter(edition=edition, status=Delivery.Status.PENDING).order_by("pk")
    return list(pending.values_list("pk", "subscription_id")[: settings.NEWSLETTER_BATCH_SIZE])


def _deliver(edition, delivery_id, subscription_id, stories, connection) -> str | None:
    """Claim one delivery and send its email; the outcome, or None if another worker claimed it."""
    deliveries = Delivery.objects.filter(pk=delivery_id)
    claimed = deliveries.filter(status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, attempted_at=timezone.now()
    )
    if not claimed:
        return None
    # Read again now, not when the batch was listed: an unsubscribe meanwhile must be honoured.
    subscription = (
        Subscription.objects.confirmed()
        .select_related("subscriber", "newsletter")
        .filter(pk=subscription_id, newsletter_id=edition.newsletter_id)
        .first()
        if subscription_id is not None
        else None
    )
    if subscription is None:  # unsubscribed or erased since the send started
        deliveries.update(status=Delivery.Status.SKIPPED)
        return Delivery.Status.SKIPPED
    try:
        message = editions.edition_message(
            edition=edition,
            to=subscription.subscriber.email,
            stories=stories,
            subscription=subscription,
            connection=connection,
        )
        accepted = message.send()
    except Exception as error:
        # Never str(error): SMTP errors quote the recipient's address.
        deliveries.update(
            status=Delivery.Status.FAILED,
            error=f"{type(error).__name__}: the mail server did not take this message.",
        )
        logger.warning("Edition %s: delivery %s failed (%s).", edition.pk, delivery_id, type(error).__name__)
        return Delivery.Status.FAILED
    if not accepted:
        deliveries.update(status=Delivery.Status.FAILED, error="The email backend sent nothing.")
        return Delivery.Status.FAILED
    # From SENDING, or from UNKNOWN if a resume took this worker for dead meanwhile: it did send.
    deliveries.update(status=Delivery.Status.SENT, sent_at=timezone.now())
    return Delivery.Status.SENT


def _finish(edition: Edition) -> None:
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        if locked.status != Edition.Status.SENDING:
            return
        if Delivery.objects.filter(edition=locked, status=Delivery.Status.PENDING).exists():
            return  # another worker is still sending: it finishes
        now = timezone.now()
        locked.status = Edition.Status.SENT
        locked.sent_at = locked.progress_at = now
        locked.save(update_fields=["status", "sent_at", "progress_at", "updated_at"])  # purges the archive
