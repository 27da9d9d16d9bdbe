"""The admin of newsletters and of the people who read them.

Subscriber data is personal data: only the Audience group (cms/roles.py) sees it. Nothing here
writes a subscription's status or deletes a subscriber directly: the actions call
newsletters/services.py, so that the admin keeps the same records as the reader's own links do
(confirmed_at, unsubscribed_at, an `Erasure` that counts and names nobody)."""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import model_ngettext
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse

from cms.admin import ReadOnlyAdmin

from . import services
from .exports import ExportMixin, subscriber_rows, subscription_rows
from .models import Edition, Erasure, Newsletter, Subscriber, Subscription

Status = Subscription.Status


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "frequency",
        "is_active",
        "pending_count",
        "confirmed_count",
        "unsubscribed_count",
        "sent_editions_count",
    ]
    list_filter = ["frequency", "is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]  # the counted queryset below loses Meta.ordering; autocompletes page it

    def get_queryset(self, request):
        # Editions are counted in a subquery: a second join beside the subscriptions would
        # multiply the rows (subscriptions x editions) before they are counted.
        sent_editions = (
            Edition.objects.sent()
            .filter(newsletter=OuterRef("pk"))
            .order_by()
            .values("newsletter")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending_count=Count("subscriptions", filter=Q(subscriptions__status=Status.PENDING)),
                confirmed_count=Count("subscriptions", filter=Q(subscriptions__status=Status.CONFIRMED)),
                unsubscribed_count=Count(
                    "subscriptions", filter=Q(subscriptions__status=Status.UNSUBSCRIBED)
                ),
                sent_editions_count=Coalesce(Subquery(sent_editions), Value(0), output_field=IntegerField()),
            )
        )

    @admin.display(description="pending", ordering="pending_count")
    def pending_count(self, obj):
        return obj.pending_count

    @admin.display(description="confirmed", ordering="confirmed_count")
    def confirmed_count(self, obj):
        return obj.confirmed_count

    @admin.display(description="unsubscribed", ordering="unsubscribed_count")
    def unsubscribed_count(self, obj):
        return obj.unsubscribed_count

    @admin.display(description="editions sent", ordering="sent_editions_count")
    def sent_editions_count(self, obj):
        return obj.sent_editions_count


# --- Filters ----------------------------------------------------------------------------------
def common_sources() -> list[str]:
    """The sources a filter offers: the 30 most used. Anyone can send any source with a signup,
    so the distinct values are not a short list we control."""
    return list(
        Subscription.objects.exclude(source="")
        .values("source")
        .annotate(count=Count("pk"))
        .order_by("-count", "source")
        .values_list("source", flat=True)[:30]
    )


class SourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [(source, source) for source in common_sources()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return None
        return queryset.filter(source=self.value())


class SubscriptionFilter(admin.SimpleListFilter):
    """A filter of the subscriber list by their subscriptions. Chosen together, these filters
    describe one subscription: "Confirmed" and "Daily Briefing" are the confirmed subscribers of
    the Daily Briefing, not everyone confirmed to something and signed up to the Daily Briefing."""

    field = ""  # the Subscription field that the parameter compares

    @staticmethod
    def clean(value: str):
        """The value to compare, from the query string; IncorrectLookupParameters if it is not one."""
        return value

    def queryset(self, request, queryset):
        if self.value() is None:
            return None
        lookups = {}
        for spec in SUBSCRIBER_FILTERS:
            # Our own value may differ from the request's: facet counts try each choice.
            value = self.value() if spec is type(self) else request.GET.get(spec.parameter_name)
            if value is not None:
                lookups[spec.field] = spec.clean(value)
        return queryset.filter(pk__in=Subscription.objects.filter(**lookups).values("subscriber"))


class SubscriberStatusFilter(SubscriptionFilter):
    title = "subscription status"
    parameter_name = "status"
    field = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    @staticmethod
    def clean(value):
        if value not in Status.values:
            raise IncorrectLookupParameters(f"Unknown status {value!r}.")
        return value


class SubscriberNewsletterFilter(SubscriptionFilter):
    title = "newsletter"
    parameter_name = "newsletter"
    field = "newsletter_id"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Newsletter.objects.values_list("pk", "name")]

    @staticmethod
    def clean(value):
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            raise IncorrectLookupParameters(f"Unknown newsletter {value!r}.")
        return int(value)


class SubscriberSourceFilter(SubscriptionFilter):
    title = "source"
    parameter_name = "source"
    field = "source"

    def lookups(self, request, model_admin):
        return [(source, source) for source in common_sources()]


SUBSCRIBER_FILTERS = [SubscriberStatusFilter, SubscriberNewsletterFilter, SubscriberSourceFilter]


# --- Subscribers and subscriptions -------------------------------------------------------------
SUBSCRIPTION_DATES = ["created_at", "confirmation_sent_at", "confirmed_at", "unsubscribed_at"]


class SubscriptionInline(admin.TabularInline):
    """A subscriber's subscriptions, to read: they change through the actions of the
    subscription list, which record when and why."""

    model = Subscription
    fields = ["newsletter", "status", "source", *SUBSCRIPTION_DATES]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("newsletter")


@admin.register(Subscriber)
class SubscriberAdmin(ExportMixin, admin.ModelAdmin):
    """Readers who signed up. They arrive only through the signup form, which records their
    consent; the address cannot be edited (the reader has not proved they own a new one), and a
    subscriber leaves only by being erased, which also forgets the admin's log of them."""

    list_display = ["email", "name", "created_at", "confirmed_subscriptions"]
    list_filter = [*SUBSCRIBER_FILTERS, "created_at"]
    search_fields = ["email", "name"]
    fields = ["email", "name", "created_at"]  # never token_key: it would let staff forge links
    readonly_fields = ["email", "created_at"]
    inlines = [SubscriptionInline]
    actions = ["export_selected", "erase_selected"]
    export_name = "subscribers"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                confirmed_count=Count("subscriptions", filter=Q(subscriptions__status=Status.CONFIRMED))
            )
        )

    @admin.display(description="confirmed subscriptions", ordering="confirmed_count")
    def confirmed_subscriptions(self, obj):
        return obj.confirmed_count

    def export_rows(self, queryset):
        return subscriber_rows(queryset)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a plain delete would leave the log entries naming them: erase instead

    def has_erase_permission(self, request):
        # Deleting a subscriber is erasing them (there is no other way), so the model's delete
        # permission is the permission to erase.
        return request.user.has_perm("newsletters.delete_subscriber")

    @admin.action(description="Erase selected subscribers completely", permissions=["erase"])
    def erase_selected(self, request, queryset):
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Erase subscribers completely?",
                "opts": self.opts,
                "queryset": queryset.prefetch_related("subscriptions__newsletter"),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "media": self.media,
            }
            return TemplateResponse(request, "admin/newsletters/subscriber/erase_confirmation.html", context)
        count = 0
        for subscriber in queryset:
            services.erase_subscriber(subscriber=subscriber, via=Erasure.Via.ADMIN)
            count += 1
        self.message_user(
            request, f"Erased {count} {model_ngettext(self.opts, count)} completely.", messages.SUCCESS
        )
        return None


@admin.register(Subscription)
class SubscriptionAdmin(ExportMixin, admin.ModelAdmin):
    """One reader and one newsletter. The status changes only through the actions (or the
    reader's links), which record when; the admin does not confirm for a reader: double opt-in
    is their proof of consent, so a reader who lost the email is sent a new one."""

    list_display = [
        "subscriber_email",
        "newsletter",
        "status",
        "source",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    list_filter = ["status", "newsletter", SourceFilter, "created_at"]
    list_select_related = ["subscriber", "newsletter"]
    search_fields = ["subscriber__email", "source"]
    # Nothing chooses a subscriber here (no add form, and a subscription never moves to another
    # address), so no select of every address is ever rendered.
    fields = ["subscriber", "newsletter", "status", "source", *SUBSCRIPTION_DATES]
    readonly_fields = ["subscriber", "newsletter", "status", *SUBSCRIPTION_DATES]
    actions = ["export_selected", "unsubscribe_selected", "resend_confirmation"]
    export_name = "subscriptions"

    @admin.display(description="email", ordering="subscriber__email")
    def subscriber_email(self, obj):
        return obj.subscriber.email

    def export_rows(self, queryset):
        return subscription_rows(queryset)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Unsubscribe instead; a deleted row would take the reader's choice with it, and its log
        # entries (which name the address) would outlive an erasure of the subscriber.
        return False

    @admin.action(description="Unsubscribe selected", permissions=["change"])
    def unsubscribe_selected(self, request, queryset):
        count = 0
        for subscription in queryset.exclude(status=Status.UNSUBSCRIBED):
            services.unsubscribe(subscription=subscription)
            self.log_change(request, subscription, "Unsubscribed in the admin.")
            count += 1
        self.message_user(request, f"Unsubscribed {count} {model_ngettext(self.opts, count)}.")

    @admin.action(description="Resend the confirmation email (pending only)", permissions=["change"])
    def resend_confirmation(self, request, queryset):
        # subscribe() sends it unless one went out less than NEWSLETTER_RESEND_AFTER ago.
        pending = list(queryset.filter(status=Status.PENDING))
        sent = 0
        for subscription in pending:
            before = subscription.confirmation_sent_at
            after = services.subscribe(
                email=subscription.subscriber.email, newsletter=subscription.newsletter
            ).confirmation_sent_at
            sent += after != before
        skipped = queryset.count() - sent
        self.message_user(
            request,
            f"Sent {sent} confirmation {'email' if sent == 1 else 'emails'}; skipped {skipped} "
            "(not pending, or sent one a short while ago).",
            messages.SUCCESS if sent else messages.WARNING,
        )


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    """How many subscribers were erased, when and how: the list's count is the total."""

    list_display = ["erased_at", "via"]
    list_filter = ["via", "erased_at"]
    date_hierarchy = "erased_at"


from . import admin_editions  # noqa: E402, F401  (registers the edition admin)
