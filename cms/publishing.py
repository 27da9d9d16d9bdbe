"""What "publicly visible" means, defined once. Every public endpoint, feed and sitemap goes
through `PublishableQuerySet.published()`."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class State(models.TextChoices):
    """What the public sees now: derived from status and the publishing times."""

    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    EXPIRED = "expired", "Expired"
    ARCHIVED = "archived", "Archived"


class PublishableQuerySet(models.QuerySet):
    def published(self):
        now = timezone.now()
        live_window = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        return self.filter(live_window, status=Status.PUBLISHED, published_at__lte=now)


class Publishable(models.Model):
    """Status and publishing times shared by articles and videos."""

    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
        help_text="Only published items whose publish time has come are shown publicly.",
    )
    published_at = models.DateTimeField(
        "publish time",
        null=True,
        blank=True,
        db_index=True,
        help_text="When the item goes live. A time in the future schedules it. "
        "Left empty, publishing sets it to now.",
    )
    expires_at = models.DateTimeField(
        "expiry time",
        null=True,
        blank=True,
        help_text="Optional. The item is hidden from the public again at this time.",
    )
    first_published_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the item was first published. Never changes afterwards.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, help_text="Last time the item was saved.")

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.status == Status.PUBLISHED:
            if self.published_at is None:
                self.published_at = timezone.now()
            if self.first_published_at is None:
                self.first_published_at = self.published_at
        super().save(*args, **kwargs)

    @property
    def state(self) -> State:
        if self.status == Status.DRAFT:
            return State.DRAFT
        if self.status == Status.ARCHIVED:
            return State.ARCHIVED
        now = timezone.now()
        if self.expires_at is not None and self.expires_at <= now:
            return State.EXPIRED
        if self.published_at is None or self.published_at > now:
            return State.SCHEDULED
        return State.LIVE

    @property
    def is_live(self) -> bool:
        """The same rule as `PublishableQuerySet.published()`, for one row already in memory."""
        return self.state == State.LIVE


def publish(*, queryset: PublishableQuerySet) -> int:
    """Make every item in `queryset` live now: a future publish time or a past expiry is cleared.
    Returns how many items were not live before."""
    count = 0
    now = timezone.now()
    for item in queryset:
        if item.state == State.LIVE:
            continue
        item.status = Status.PUBLISHED
        if item.published_at is None or item.published_at > now:
            item.published_at = now
        if item.expires_at is not None and item.expires_at <= now:
            item.expires_at = None
        item.save()
        count += 1
    return count


def unpublish(*, queryset: PublishableQuerySet) -> int:
    """Take every item in `queryset` back to draft; it disappears from the public API at once."""
    count = 0
    for item in queryset.filter(status=Status.PUBLISHED):
        item.status = Status.DRAFT
        item.save()
        count += 1
    return count
