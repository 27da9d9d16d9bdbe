"""Newsletters, the people who read them, and what is sent to them.

A `Subscriber` is one email address (normalised, unique). A `Subscription` ties it to one
newsletter with a double opt-in status. An `Edition` is one issue of a newsletter, with an ordered
pick of articles and videos (`EditionItem`); sending it records one `Delivery` per recipient, so
that a send that stops half-way resumes without mailing anyone twice. Erasing a subscriber deletes
the address and everything naming it; an `Erasure` row counts that it happened, and deliveries
stay, anonymous, for the edition's figures."""

import secrets

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone


class NewsletterQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Newsletter(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        BREAKING = "breaking", "Breaking news (as it happens)"

    name = models.CharField(max_length=150, help_text="Shown on the signup block.")
    slug = models.SlugField(max_length=150, unique=True, help_text="URL name; unique.")
    description = models.TextField(blank=True, help_text="What subscribers get, in a sentence or two.")
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY, help_text="How often it is sent."
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive newsletters are hidden and take no signups."
    )

    objects = NewsletterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def new_token_key() -> str:
    return secrets.token_urlsafe(12)


class SubscriberQuerySet(models.QuerySet):
    def unconfirmed_since(self, cutoff):
        """Subscribers who never confirmed a subscription (whatever became of them since) and who
        signed up, or were sent a confirmation email, last before `cutoff`."""
        recent_or_consented = Subscription.objects.filter(subscriber=OuterRef("pk")).filter(
            Q(confirmed_at__isnull=False)
            | Q(status=Subscription.Status.CONFIRMED)
            | Q(created_at__gt=cutoff)
            | Q(confirmation_sent_at__gt=cutoff)
        )
        return self.filter(created_at__lte=cutoff).exclude(Exists(recent_or_consented))


class Subscriber(models.Model):
    email = models.EmailField(
        max_length=254, unique=True, help_text="Normalised: no surrounding spaces, lower case."
    )
    name = models.CharField(max_length=150, blank=True, help_text="As the reader gave it; optional.")
    token_key = models.CharField(
        max_length=32,
        default=new_token_key,
        editable=False,
        help_text="Part of every signed link sent to this address: a new one voids them all.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.email


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=Subscription.Status.CONFIRMED)


class Subscription(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="subscriptions")
    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="subscriptions")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(
        max_length=100, blank=True, help_text="Where the signup came from, e.g. `article-footer`."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last confirmation email was sent: re-sends wait."
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "newsletter"], name="subscription_unique"),
        ]
        indexes = [models.Index(fields=["newsletter", "status"])]

    def __str__(self):
        return f"{self.subscriber} → {self.newsletter}"


class Erasure(models.Model):
    """A subscriber erased at their request or by an admin: when and how, never who."""

    class Via(models.TextChoices):
        ADMIN = "admin", "Admin"
        LINK = "link", "Signed link"

    erased_at = models.DateTimeField(default=timezone.now, editable=False)
    via = models.CharField(max_length=5, choices=Via.choices)

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self):
        return f"Erasure on {self.erased_at:%Y-%m-%d %H:%M} ({self.get_via_display()})"


class EditionQuerySet(models.QuerySet):
    def sent(self):
        return self.filter(status=Edition.Status.SENT)


class Edition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT, related_name="editions")
    subject = models.CharField(max_length=200, help_text="The email's subject line and the archive title.")
    intro = models.TextField(
        blank=True, help_text="Plain text before the stories; blank lines separate paragraphs."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    scheduled_at = models.DateTimeField(
        null=True, blank=True, help_text="When to send; the Schedule action sends at this time."
    )
    sending_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    progress_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Last sign of life of the send: a stale one resumes."
    )
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-scheduled_at", "-pk"]
        indexes = [models.Index(fields=["newsletter", "status", "sent_at"])]

    def __str__(self):
        return self.subject


class EditionItem(models.Model):
    """One story in an edition: an article or a video, in the editor's order."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers first.")
    article = models.ForeignKey(
        "articles.Article", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    video = models.ForeignKey(
        "articles.Video", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "story"
        verbose_name_plural = "stories"
        constraints = [
            models.CheckConstraint(
                condition=Q(article__isnull=True, video__isnull=False)
                | Q(article__isnull=False, video__isnull=True),
                name="edition_item_exactly_one_target",
                violation_error_message="Pick either an article or a video.",
            ),
            models.UniqueConstraint(fields=["edition", "article"], name="edition_item_unique_article"),
            models.UniqueConstraint(fields=["edition", "video"], name="edition_item_unique_video"),
        ]

    def __str__(self):
        return str(self.article or self.video)

    @property
    def target(self):
        return self.article or self.video


class Delivery(models.Model):
    """One edition to one subscription. Created for every confirmed subscription when the send
    starts; claimed (`sending`) just before its email goes out and marked `sent` after, so a send
    that is interrupted never mails anyone twice: a claim found on resume is marked `unknown`."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (unsubscribed meanwhile)"
        UNKNOWN = "unknown", "Unknown (interrupted while sending)"
        STOPPED = "stopped", "Not sent (newsletter deactivated during the send)"

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True, help_text="Why it failed; never the address.")

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["edition", "subscription"], name="delivery_unique"),
        ]
        indexes = [models.Index(fields=["edition", "status"])]

    def __str__(self):  # never the address: delivery rows outlive erased subscribers
        return f"{self.edition} #{self.pk}: {self.get_status_display()}"
