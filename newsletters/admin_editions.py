"""The admin of editions: writing, previewing, test-sending, scheduling and following a send.

The buttons (Send a test to me, Schedule, Send now, Unschedule) post to views of their own and
call newsletters/editions.py, the same services a script would. Scheduling and sending need the
change_edition permission, which only editors have (cms/roles.py). An edition that is sending or
sent is read-only: what went out is a record."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join

from . import editions
from .models import Delivery, Edition, EditionItem, Subscription

LOCKED = (Edition.Status.SENDING, Edition.Status.SENT)


def is_editable(edition: Edition | None) -> bool:
    return edition is None or edition.status not in LOCKED


class EditionItemForm(forms.ModelForm):
    def validate_unique(self):
        super().validate_unique()
        # Django leaves an inline's own foreign key out of constraint checks, so a story picked
        # twice would otherwise surface only as an IntegrityError.
        if self.instance.edition_id is not None and not self.errors:
            try:
                self.instance.validate_constraints(exclude=self._get_validation_exclusions())
            except ValidationError as error:
                self._update_errors(error)


class EditionItemInline(admin.TabularInline):
    model = EditionItem
    form = EditionItemForm
    fields = ["position", "article", "video"]
    autocomplete_fields = ["article", "video"]
    extra = 1

    def has_add_permission(self, request, obj=None):
        return is_editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return is_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_editable(obj) and super().has_delete_permission(request, obj)


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ["subject", "newsletter", "status", "scheduled_at", "sent_at", "delivered"]
    list_filter = ["status", "newsletter", "scheduled_at", "sent_at"]
    list_select_related = ["newsletter"]
    search_fields = ["subject", "intro"]
    inlines = [EditionItemInline]
    change_form_template = "admin/newsletters/edition/change_form.html"
    readonly_fields = [
        "status",
        "sending_started_at",
        "progress_at",
        "sent_at",
        "created_at",
        "updated_at",
        "delivery_summary",
    ]
    fieldsets = [
        (None, {"fields": ["newsletter", "subject", "intro"]}),
        (
            "Sending",
            {
                "fields": [
                    ("status", "scheduled_at"),
                    ("sending_started_at", "progress_at", "sent_at"),
                    "delivery_summary",
                    ("created_at", "updated_at"),
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        sent = Q(deliveries__status=Delivery.Status.SENT)
        return (
            super()
            .get_queryset(request)
            .annotate(recipient_count=Count("deliveries"), sent_count=Count("deliveries", filter=sent))
        )

    @admin.display(description="Delivered", ordering="sent_count")
    def delivered(self, obj):
        if not obj.recipient_count:
            return "–"
        return f"{obj.sent_count} of {obj.recipient_count}"

    @admin.display(description="Deliveries")
    def delivery_summary(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        counts = dict(obj.deliveries.order_by().values_list("status").annotate(count=Count("pk")))
        if not counts:
            confirmed = Subscription.objects.confirmed().filter(newsletter_id=obj.newsletter_id).count()
            return (
                f"None yet. The newsletter has {confirmed} confirmed subscriber(s) now; the "
                "recipients are fixed when sending starts."
            )
        return format_html_join(
            ", ",
            "{}: {}",
            ((label, counts[value]) for value, label in Delivery.Status.choices if value in counts),
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.status != Edition.Status.DRAFT:
            # Unschedule first to change the time; the newsletter decides who gets it.
            return [*readonly, "newsletter", "scheduled_at"]
        return readonly

    def has_change_permission(self, request, obj=None):
        return is_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_editable(obj) and super().has_delete_permission(request, obj)

    # --- The buttons -----------------------------------------------------------------------------
    def get_urls(self):
        def view(function, suffix):
            return path(
                f"<path:object_id>/{suffix}/",
                self.admin_site.admin_view(function),
                name=f"newsletters_edition_{suffix.replace('-', '_')}",
            )

        return [
            view(self.preview_view, "preview"),
            view(self.send_test_view, "send-test"),
            view(self.schedule_view, "schedule"),
            view(self.send_now_view, "send-now"),
            view(self.unschedule_view, "unschedule"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        edition = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "edition_buttons": self._buttons(request, edition)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _buttons(self, request, edition) -> list[tuple[str, str]]:
        if edition is None or not self._may_send(request):
            return []
        names = [("send_test", "Send a test to me")]
        if edition.status == Edition.Status.DRAFT:
            names += [("schedule", "Schedule"), ("send_now", "Send now")]
        elif edition.status == Edition.Status.SCHEDULED:
            names += [("send_now", "Send now"), ("unschedule", "Unschedule")]
        return [
            (label, reverse(f"admin:newsletters_edition_{name}", args=[edition.pk])) for name, label in names
        ]

    def _may_send(self, request) -> bool:
        # The model-wide permission: a sent edition is not changeable, but a test of it may go.
        return super().has_change_permission(request)

    def _edition(self, request, object_id) -> Edition:
        edition = self.get_object(request, object_id)
        if edition is None:
            raise Http404("No such edition.")
        return edition

    def _change_page(self, edition) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:newsletters_edition_change", args=[edition.pk]))

    def preview_view(self, request, object_id):
        edition = self._edition(request, object_id)
        if not self.has_view_or_change_permission(request, edition):
            raise PermissionDenied
        stories = editions.edition_stories(edition)
        html, text = editions.render_edition(edition=edition, stories=stories)
        hidden = edition.items.count() - len(stories)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": edition,
            "title": f"Preview: {edition.subject}",
            "html": html,
            "text": text,
            "hidden": hidden,
        }
        return TemplateResponse(request, "admin/newsletters/edition/preview.html", context)

    def _post(self, request, object_id, act) -> HttpResponseRedirect:
        """A button's POST: permission, then the service; its refusal shows as a message."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        edition = self._edition(request, object_id)
        if not self._may_send(request):
            raise PermissionDenied
        try:
            message = act(edition)
        except ValueError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
        return self._change_page(edition)

    def send_test_view(self, request, object_id):
        def act(edition):
            editions.send_test(edition=edition, to=request.user.email)
            return f"A test of “{edition}” was sent to {request.user.email}."

        return self._post(request, object_id, act)

    def schedule_view(self, request, object_id):
        def act(edition):
            if edition.scheduled_at is None:
                raise ValueError("Set the send time (Scheduled at) and save, then Schedule; or use Send now.")
            editions.schedule_edition(edition=edition, at=edition.scheduled_at)
            return f"Scheduled: “{edition}” goes out at {edition.scheduled_at:%Y-%m-%d %H:%M} (UTC)."

        return self._post(request, object_id, act)

    def send_now_view(self, request, object_id):
        def act(edition):
            editions.schedule_edition(edition=edition)
            edition.refresh_from_db(fields=["status"])
            if edition.status == Edition.Status.SENT:
                sent = edition.deliveries.filter(status=Delivery.Status.SENT).count()
                return f"Sent “{edition}” to {sent} subscriber(s)."
            return f"Sending “{edition}”: it goes out in the background; this page shows the progress."

        return self._post(request, object_id, act)

    def unschedule_view(self, request, object_id):
        def act(edition):
            editions.unschedule_edition(edition=edition)
            return f"“{edition}” is a draft again and will not be sent."

        return self._post(request, object_id, act)
