"""What "publicly visible" means, defined once. Every public endpoint, feed and sitemap goes
through `PublishableQuerySet.published()`."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


# The fields that decide whether and when the public sees an item: only editors may change them.
PUBLISHING_FIELDS = ("status", "published_at", "expires_at")
# Bookkeeping that readers never see; a change to anything else is a change readers see.
UNSEEN_FIELDS = {*PUBLISHING_FIELDS, "first_published_at", "created_at", "updated_at"}


class State(models.TextChoices):
    """What the public sees now: derived from status and the publishing times."""

    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    EXPIRED = "expired", "Expired"
    ARCHIVED = "archived", "Archived"


def live(now, related: str = "") -> Q:
    """The rule itself: published, publish time reached, not expired. `related` applies it to a
    related item through a join (e.g. "lead_video__"), which is cheaper than a subquery."""
    return Q(**{f"{related}status": Status.PUBLISHED, f"{related}published_at__lte": now}) & (
        Q(**{f"{related}expires_at__isnull": True}) | Q(**{f"{related}expires_at__gt": now})
    )


def live_index(name: str, include: list[str]) -> models.Index:
    """The index of the rule in the order lists show (newest first, the id breaking ties). On
    PostgreSQL it carries `include` too, the other columns a list page or a count reads, so that
    they are answered from the index alone however deep the page (SQLite leaves them out)."""
    return models.Index(
        fields=["status", "-published_at", "-id"], include=include, name=f"{name}_live_newest_idx"
    )


class PublishableQuerySet(models.QuerySet):
    def published(self, now=None):
        """Publicly visible now (or at `now`)."""
        return self.filter(live(timezone.now() if now is None else now))


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
        db_index=True,  # the next expiry bounds how long responses are cached (cms/caching.py)
        help_text="Optional. The item is hidden from the public again at this time.",
    )
    first_published_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the item was first published. Never changes afterwards.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(
        default=timezone.now,
        editable=False,
        help_text="Last time readers could see a change: set when a published item is edited.",
    )

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.status == Status.PUBLISHED:
            if self.published_at is None:
                self.published_at = timezone.now()
            # Until the item has really gone live, its first publication is its scheduled time.
            if self.first_published_at is None or self.first_published_at > timezone.now():
                self.first_published_at = self.published_at
            if self._changes_what_readers_see():
                self.updated_at = timezone.now()
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)
        self._loaded = {field.attname: getattr(self, field.attname) for field in self._meta.concrete_fields}

    @classmethod
    def from_db(cls, db, field_names, values):
        item = super().from_db(db, field_names, values)
        item._loaded = dict(zip(field_names, values, strict=True))  # to tell what a save changes
        return item

    def _changes_what_readers_see(self) -> bool:
        loaded = getattr(self, "_loaded", None)
        if loaded is None or loaded.get("status") != Status.PUBLISHED:
            return False  # new, or going live now: first_published_at tells that story
        return any(
            getattr(self, field.attname) != loaded.get(field.attname)
            for field in self._meta.concrete_fields
            if field.attname in loaded and field.name not in UNSEEN_FIELDS and field.editable
        )

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
