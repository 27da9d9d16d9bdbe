from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone

from .events import EVENT_TYPES
from .models import Attempt, Delivery, Endpoint, Event, RotationUnderWay


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500, assume_scheme="https", help_text=Endpoint._meta.get_field("url").help_text
    )
    events = forms.TypedMultipleChoiceField(
        choices=[(name, name) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The events it receives; none ticked: every event.",
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "is_active"]


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ["at", "status_code", "duration_ms", "error", "response"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def replay(event_ids: list[str]) -> int:
    """Send these events again to every active endpoint that wants them (the worker's side)."""
    count = 0
    endpoints = list(Endpoint.objects.filter(is_active=True))
    for event in Event.objects.filter(id__in=event_ids).order_by("created_at", "id").only("id", "type"):
        for endpoint in endpoints:
            if endpoint.wants(event.type):
                Delivery.objects.get_or_create(
                    event=event, endpoint=endpoint, defaults={"next_attempt_at": timezone.now()}
                )
                count += 1
    send_again(Delivery.objects.filter(event_id__in=event_ids, endpoint__in=endpoints))
    return count


def send_again(deliveries) -> int:
    """Back to pending, due now; the worker sends them (same event id: receivers deduplicate)."""
    from .tasks import deliver_due

    count = deliveries.update(
        status=Delivery.Status.PENDING, next_attempt_at=timezone.now(), leased_until=None
    )
    transaction.on_commit(deliver_due.enqueue)
    return count


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    """Add an endpoint and its signing secret is shown once, in a message. Rotating makes a new one
    and keeps the old one signing for WEBHOOK_SECRET_OVERLAP_HOURS."""

    form = EndpointForm
    list_display = ["url", "description", "is_active", "failing_since", "disabled_reason"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    readonly_fields = ["owner", "created_at", "failing_since", "disabled_reason", "previous_secret_until"]
    actions = ["rotate_secret", "replay_failed"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.owner = request.user
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                f"The signing secret of this endpoint is: {obj.secret} . Store it now: it is not "
                "shown again.",
                messages.WARNING,
            )

    @admin.action(
        description="Rotate the signing secret (the old one signs for a while too)", permissions=["change"]
    )
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            try:
                secret = endpoint.rotate_secret()
            except RotationUnderWay as until:
                shown = f"{endpoint}: a rotation is under way until {until.args[0]:%Y-%m-%d %H:%M} UTC."
                self.message_user(request, shown, messages.ERROR)
                continue
            self.message_user(
                request, f"New secret of {endpoint}: {secret} . Store it now.", messages.WARNING
            )

    @admin.action(
        description="Send again every failed delivery of the selected endpoints", permissions=["change"]
    )
    def replay_failed(self, request, queryset):
        count = send_again(Delivery.objects.filter(endpoint__in=queryset, status=Delivery.Status.FAILED))
        self.message_user(request, f"{count} delivery(ies) will be sent again.")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: each event to each endpoint, with every attempt. Redeliver sends the same
    event again (same id)."""

    list_display = ["event", "endpoint", "status", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["status", "endpoint", "event__type"]
    list_select_related = ["event", "endpoint"]
    date_hierarchy = "created_at"
    fields = ["event", "endpoint", "status", "attempts", "next_attempt_at", "created_at"]
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Redeliver the selected deliveries now", permissions=["change"])
    def redeliver(self, request, queryset):
        self.message_user(request, f"{send_again(queryset)} delivery(ies) will be sent again.")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Every event, as sent. Replay: filter by date (the hierarchy above), select, and send them
    again to every endpoint that wants them now."""

    list_display = ["id", "type", "created_at"]
    list_filter = ["type"]
    date_hierarchy = "created_at"
    fields = ["id", "type", "created_at", "body"]
    readonly_fields = fields
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="body")
    def body(self, obj) -> str:
        return bytes(obj.payload).decode()

    @admin.action(
        description="Replay the selected events to every endpoint that wants them", permissions=["view"]
    )
    def replay(self, request, queryset):
        if not request.user.has_perm("webhooks.change_delivery"):
            self.message_user(request, "Replaying needs the permission to change deliveries.", messages.ERROR)
            return
        from .tasks import replay_events

        ids = list(queryset.values_list("id", flat=True))
        transaction.on_commit(lambda: replay_events.enqueue(ids))
        self.message_user(request, f"{len(ids)} event(s) will be sent again by the worker.")
