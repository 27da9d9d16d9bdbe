"""Webhooks: endpoints that want to hear of changes, the events that happened (each stored once,
as it was sent), and the delivery of each event to each endpoint with every attempt made."""

import secrets
from base64 import b64encode
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + b64encode(secrets.token_bytes(24)).decode()


def validate_target(url: str) -> None:
    """An endpoint URL we may send to (delivery.check_url), as the admin's form and the API check it."""
    from django.core.exceptions import ValidationError

    from .delivery import RefusedTarget, check_url

    try:
        check_url(url)
    except RefusedTarget as error:
        raise ValidationError(str(error)) from None


class RotationUnderWay(Exception):
    """The old secret of the last rotation still signs: a second one would drop it."""


class Endpoint(models.Model):
    """A URL that receives signed events. The secret is shown once; a rotation keeps the old one
    valid for WEBHOOK_SECRET_OVERLAP_HOURS, and deliveries are signed with both meanwhile."""

    url = models.URLField(
        max_length=500,
        validators=[validate_target],
        help_text="Where events are POSTed: https://..., a public address.",
    )
    description = models.CharField(
        max_length=200, blank=True, help_text="What it is for, e.g. “Next.js revalidation”."
    )
    events = models.JSONField(
        default=list,
        blank=True,
        help_text="The event types it receives (webhooks.events.EVENT_TYPES); empty: every type.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive endpoints are sent nothing (switched off when failing)."
    )
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was added.")
    disabled_reason = models.CharField(
        max_length=300, blank=True, editable=False, help_text="Why the endpoint was switched off, if it was."
    )
    failing_since = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="First failure since the last success."
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.description or self.url

    def save(self, *args, **kwargs):
        if self.is_active and self.disabled_reason:  # switched on again after being switched off
            self.disabled_reason, self.failing_since = "", None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "disabled_reason", "failing_since"}
        super().save(*args, **kwargs)

    def wants(self, event_type: str) -> bool:
        return self.is_active and (not self.events or event_type in self.events)

    def signing_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            return [self.secret, self.previous_secret]
        return [self.secret]

    def rotating_until(self, now=None):
        """While an earlier rotation's old secret still signs: its end; else None."""
        now = now or timezone.now()
        return (
            self.previous_secret_until
            if self.previous_secret_until and self.previous_secret_until > now
            else None
        )

    def rotate_secret(self) -> str:
        """A new secret; the old one signs too for WEBHOOK_SECRET_OVERLAP_HOURS. Returns the new one.
        Not while an earlier rotation is under way (RotationUnderWay): receivers still use its old one."""
        if self.rotating_until() is not None:
            raise RotationUnderWay(self.previous_secret_until)
        self.previous_secret = self.secret
        self.previous_secret_until = timezone.now() + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
        self.secret = new_secret()
        self.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        return self.secret


class Event(models.Model):
    """Something that happened, as every endpoint is told it: its payload is stored as sent, so a
    redelivery or a replay sends the same bytes under the same id."""

    id = models.CharField(primary_key=True, max_length=40, editable=False)  # msg_..., the webhook-id
    type = models.CharField(max_length=40, db_index=True)
    created_at = models.DateTimeField(db_index=True)
    payload = models.BinaryField(editable=False, help_text="The JSON body, as signed.")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.type} {self.id}"


class Delivery(models.Model):
    """One event to one endpoint: tried until it succeeds or the retries run out."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (no retries left)"
        SKIPPED = "skipped", "Not sent: the item is no longer public"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When it is tried next.")
    leased_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending it until then; after, another may."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_endpoint")
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint}"


class Attempt(models.Model):
    """One try at a delivery: what the receiver answered, and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    response = models.TextField(blank=True, help_text="The start of the answer's body.")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.status_code or self.error} in {self.duration_ms} ms"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Cursor(models.Model):
    """Where the emitter is in the change log (editorial.changes): one row. `started_at`: items
    published before it were there before the webhooks were."""

    position = models.JSONField(help_text="editorial.changes.Position's fields: read on from there.")
    started_at = models.DateTimeField()

    def __str__(self):
        return f"Emitter cursor since {self.started_at:%Y-%m-%d %H:%M}"


class ItemState(models.Model):
    """Whether the endpoints were last told an article or video is visible: a visible item's next
    upsert is `updated`, a hidden one's `published`."""

    type = models.CharField(max_length=20)
    object_id = models.PositiveBigIntegerField()
    visible = models.BooleanField()
    slug = models.CharField(max_length=200, blank=True, help_text="The slug the public last saw.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["type", "object_id"], name="one_state_per_item")]

    def __str__(self):
        return f"{self.type} {self.object_id}: {'visible' if self.visible else 'hidden'}"
