from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class RevisionQuerySet(models.QuerySet):
    def for_object(self, obj):
        """Revisions of one object, newest first."""
        content_type = ContentType.objects.get_for_model(obj)
        return self.filter(content_type=content_type, object_id=obj.pk)


class Revision(models.Model):
    """The state of an item after one save: every editable field, its many-to-many ids and its
    child rows (an article's related items), as JSON."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey()
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the change was saved.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who saved it; empty for changes made outside the admin.",
    )
    comment = models.CharField(max_length=200, blank=True, help_text="What kind of change, e.g. “Published”.")
    changed_fields = models.JSONField(
        default=list, blank=True, help_text="Names of the fields that differ from the previous revision."
    )
    snapshot = models.JSONField(help_text="The item's editable fields after the change.")

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self):
        return f"Revision {self.pk}"

    @property
    def previous(self):
        return (
            Revision.objects.filter(
                content_type_id=self.content_type_id, object_id=self.object_id, pk__lt=self.pk
            )
            .order_by("-pk")
            .first()
        )


class ChangeLog(models.Model):
    """Append-only: one row per save of an article or video, and per delete of a visible one
    (editorial/changes.py writes and reads it). `seq` is the order; rows are never updated. What a
    partner is told is worked out from these rows and the items as they are when it asks."""

    class Type(models.TextChoices):
        ARTICLE = "article", "Article"
        VIDEO = "video", "Video"

    class Change(models.TextChoices):
        UPSERT = "upsert", "Publicly visible after the change"
        DELETE = "delete", "Was publicly visible since the previous change, and no longer is"
        SCHEDULED = "scheduled", "Saved to go live later: served only once it is visible"
        HIDDEN = "hidden", "Saved while not visible, and not visible since the previous change: never served"

    seq = models.BigAutoField(primary_key=True, help_text="Position in the log; increases with every row.")
    type = models.CharField(max_length=10, choices=Type.choices)
    object_id = models.PositiveBigIntegerField(help_text="Id of the article or video.")
    slug = models.SlugField(
        max_length=200, db_index=False, help_text="Its slug; for a deletion, the last one the public saw."
    )
    change = models.CharField(max_length=10, choices=Change.choices)
    at = models.DateTimeField(default=timezone.now, help_text="When the change was saved.")

    class Meta:
        ordering = ["seq"]
        verbose_name = "change log entry"
        verbose_name_plural = "change log"
        indexes = [
            models.Index(fields=["at"], name="changelog_at_idx"),  # since=<time>
            models.Index(fields=["type", "object_id", "at"], name="changelog_item_at_idx"),  # an item's rows
        ]

    def __str__(self):
        return f"{self.seq} {self.change} {self.type} {self.object_id}"


class IdempotentRequest(models.Model):
    """A create sent with an `Idempotency-Key` header (IETF draft): the first answer, replayed to
    a retry with the same key and body; the same key with another body is refused. Per caller (the
    account, and the API key if one was used); forgotten after IDEMPOTENCY_KEY_HOURS."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    api_key = models.CharField(max_length=8, blank=True, help_text="The prefix of the key used, if any.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    body = models.BinaryField()
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "api_key", "key"], name="idempotent_request_once")
        ]

    def __str__(self):
        return self.key
