"""Writes about subscribers, with their side effects: the one place that subscribes, confirms,
unsubscribes and erases. The API, the pages, the admin and the tasks all call these."""

import re
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .models import Erasure, Newsletter, Subscriber, Subscription


def normalise_email(email: str) -> str:
    """One spelling per address, the one mail delivery uses, so that `Ann@Example.com `,
    `ann@ex<U+200B>ample.com` and `ann@example.com` are one subscriber. The domain goes through
    IDNA, as delivery does: case folded, invisible characters (zero-width spaces, soft hyphens,
    byte-order marks, word joiners) mapped to nothing. The local part is lower-cased too: providers
    that tell case apart are vanishingly rare, and two subscribers for one inbox would be worse.
    Raises ValueError for what cannot be normalised so: a quoted or non-ASCII local part, a domain
    IDNA refuses."""
    local, at, domain = email.strip().rpartition("@")
    if not (at and local and domain) or not local.isascii() or not _PLAIN.fullmatch(local):
        raise ValueError("Only plain addresses are accepted: no quotes, spaces or control characters.")
    try:
        domain = domain.encode("idna").decode("idna")
    except UnicodeError:
        raise ValueError("The domain is not a valid internet domain name.") from None
    if not domain.isprintable() or any(char.isspace() for char in domain):
        raise ValueError("The domain is not a valid internet domain name.")
    return f"{local.lower()}@{domain.lower()}"


# An unquoted local part (RFC 5322 dot-atom): what every mail system delivers as written.
_PLAIN = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def subscribe(*, email: str, newsletter: Newsletter, name: str = "", source: str = "") -> Subscription:
    """Start double opt-in for `email` to `newsletter`, or carry on with it. A confirmation email
    goes out (in the background) unless the address is confirmed already or was sent one less
    than NEWSLETTER_RESEND_AFTER seconds ago. Nothing about an existing subscriber changes: whoever
    calls this has not shown that they own the address. Safe to call concurrently for one address."""
    from .tasks import send_confirmation_email

    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(
            email=normalise_email(email), defaults={"name": name.strip()}
        )
        Subscription.objects.get_or_create(
            subscriber=subscriber, newsletter=newsletter, defaults={"source": source.strip()}
        )
        # Locked, so that of two signups at once only one sends an email.
        subscription = Subscription.objects.select_for_update().get(
            subscriber=subscriber, newsletter=newsletter
        )
        now = timezone.now()
        resend_after = timedelta(seconds=settings.NEWSLETTER_RESEND_AFTER)
        due = (
            subscription.confirmation_sent_at is None
            or subscription.confirmation_sent_at <= now - resend_after
        )
        send = subscription.status != Subscription.Status.CONFIRMED and due
        if send:
            subscription.confirmation_sent_at = now
            subscription.save(update_fields=["confirmation_sent_at"])
    if send:
        send_confirmation_email.enqueue(subscription.pk)
    return subscription


def confirm(*, subscription: Subscription) -> Subscription:
    """The reader followed the confirmation link: they receive the newsletter from now on."""
    if subscription.status != Subscription.Status.CONFIRMED:
        subscription.status = Subscription.Status.CONFIRMED
        subscription.confirmed_at = timezone.now()
        subscription.unsubscribed_at = None
        subscription.save(update_fields=["status", "confirmed_at", "unsubscribed_at"])
    return subscription


def unsubscribe(*, subscription: Subscription) -> Subscription:
    """No more editions of this newsletter; safe to repeat."""
    if subscription.status != Subscription.Status.UNSUBSCRIBED:
        subscription.status = Subscription.Status.UNSUBSCRIBED
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["status", "unsubscribed_at"])
    return subscription


def set_preferences(*, subscriber: Subscriber, newsletters: Iterable[Newsletter]) -> list[Subscription]:
    """Receive exactly `newsletters` of the active ones. The subscriber came through their signed
    manage link, which proves they own the address, so newly chosen newsletters are confirmed at
    once. Subscriptions to inactive newsletters stay as they are: they were not offered."""
    wanted = {newsletter.pk: newsletter for newsletter in newsletters}
    with transaction.atomic():
        current = {
            s.newsletter_id: s
            for s in subscriber.subscriptions.select_for_update(of=("self",)).select_related("newsletter")
        }
        for newsletter_id, subscription in current.items():
            if newsletter_id not in wanted and subscription.newsletter.is_active:
                unsubscribe(subscription=subscription)
        for newsletter_id, newsletter in wanted.items():
            subscription = current.get(newsletter_id)
            if subscription is None:
                subscription, _ = Subscription.objects.get_or_create(
                    subscriber=subscriber, newsletter=newsletter, defaults={"source": "preferences"}
                )
            confirm(subscription=subscription)
    return list(subscriber.subscriptions.select_related("newsletter").order_by("newsletter__name"))


def erase_subscriber(*, subscriber: Subscriber, via: str) -> None:
    """Forget the address completely: the subscriber, their subscriptions and the admin's log
    entries naming them go; deliveries stay without it, and an `Erasure` row counts the event."""
    with transaction.atomic():
        _forget([subscriber.pk])
        Erasure.objects.create(via=via)


PRUNE_CHUNK = 500  # subscribers deleted per transaction


def prune_unconfirmed(*, older_than: timedelta) -> int:
    """Forget the subscribers who never confirmed a subscription and were sent nothing for
    `older_than` (see `SubscriberQuerySet.unconfirmed_since`): an address kept without consent.
    As erasure does, and with the admin's log entries, but no `Erasure` is counted: they never
    subscribed. Returns how many subscribers were deleted."""
    cutoff = timezone.now() - older_than
    stale = Subscriber.objects.unconfirmed_since(cutoff)
    candidates = list(stale.order_by("pk").values_list("pk", flat=True))
    deleted = 0
    for start in range(0, len(candidates), PRUNE_CHUNK):
        with transaction.atomic():
            # Locked, then asked again: a signup in flight may be sending one of them a new
            # confirmation email, and its subscription must not lose its subscriber under it.
            chunk = Subscriber.objects.select_for_update().filter(
                pk__in=candidates[start : start + PRUNE_CHUNK]
            )
            locked = list(chunk.values_list("pk", flat=True))
            list(Subscription.objects.select_for_update().filter(subscriber__in=locked).values_list("pk"))
            deleted += _forget(list(stale.filter(pk__in=locked).values_list("pk", flat=True)))
    return deleted


def _forget(subscriber_pks: list[int]) -> int:
    """Delete these subscribers, their subscriptions and every admin log entry naming one of them
    (the subscriber's own, and their subscriptions', whose names hold the address). Deliveries
    stay, without the subscription. Call inside a transaction; returns how many were deleted."""
    subscription_pks = Subscription.objects.filter(subscriber__in=subscriber_pks).values_list("pk", flat=True)
    for model, pks in ((Subscriber, subscriber_pks), (Subscription, list(subscription_pks))):
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=[str(pk) for pk in pks]
        ).delete()
    _, deleted = Subscriber.objects.filter(pk__in=subscriber_pks).delete()
    return deleted.get(Subscriber._meta.label, 0)
