"""What "publicly visible" means, defined once. Every public endpoint, feed and sitemap goes
through `PublishableQuerySet.published()`."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
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
    def is_live(self) -> bool:
        now = timezone.now()
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
            and (self.expires_at is None or self.expires_at > now)
        )


def publish(*, queryset: PublishableQuerySet) -> int:
    """Publish every item in `queryset`; items without a publish time go live now."""
    count = 0
    for item in queryset:
        item.status = Status.PUBLISHED
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
