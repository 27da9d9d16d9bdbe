"""CSV export of subscribers and subscriptions for the admin: streamed, one line at a time, and
safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone

from cms.representation import iso

from .models import Subscriber, Subscription

CSV_COLUMNS = [
    "email",
    "name",
    "newsletter",
    "status",
    "source",
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): names and
# sources are typed by anyone on the signup form.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 2000


class _Echo:
    """A file that hands back what is written to it, so csv.writer makes one line at a time."""

    def write(self, value):
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso(value)
    value = str(value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_response(rows: Iterable[tuple], *, name: str) -> StreamingHttpResponse:
    """Stream `rows` (in CSV_COLUMNS order) as a CSV download named `name` and today's date."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for row in rows:
            yield writer.writerow([_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.now():%Y-%m-%d}.csv"'
    response["Cache-Control"] = "private, no-store"  # addresses: never in a shared cache
    return response


def subscription_rows(subscriptions: QuerySet) -> Iterator[tuple]:
    return subscriptions.values_list(
        "subscriber__email",
        "subscriber__name",
        "newsletter__name",
        "status",
        "source",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ).iterator(chunk_size=CHUNK_SIZE)


def subscriber_rows(subscribers: QuerySet) -> Iterator[tuple]:
    """One row per subscription of each subscriber; one with blank subscription columns for a
    subscriber with none. A fresh query, so that the list's filters choose the subscribers but
    do not drop any of their subscriptions from the file."""
    chosen = Subscriber.objects.filter(pk__in=subscribers.order_by().values("pk"))
    return (
        chosen.order_by("-created_at", "-pk", "subscriptions__newsletter__name")
        .values_list(
            "email",
            "name",
            "subscriptions__newsletter__name",
            "subscriptions__status",
            "subscriptions__source",
            "subscriptions__created_at",
            "subscriptions__confirmed_at",
            "subscriptions__unsubscribed_at",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )


class ExportMixin:
    """An "Export selected as CSV" action, and an "Export all as CSV" button on the list that
    exports every row matching its current search and filters. Both stream, so that a list of
    100,000 subscriptions is never in memory at once."""

    change_list_template = "admin/newsletters/subscriber/change_list.html"  # adds the button
    export_name = ""

    def export_rows(self, queryset):
        raise NotImplementedError

    def has_export_permission(self, request):
        # A subscriber's export lists their subscriptions too: it needs both view permissions.
        return all(
            request.user.has_perm(f"newsletters.view_{model._meta.model_name}")
            for model in (Subscriber, Subscription)
        )

    @admin.action(description="Export selected as CSV", permissions=["export"])
    def export_selected(self, request, queryset):
        return csv_response(self.export_rows(queryset), name=self.export_name)

    def get_urls(self):
        opts = self.opts
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name=f"{opts.app_label}_{opts.model_name}_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:  # as the list itself answers a bad filter
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist") + f"?{ERROR_FLAG}=1"
            )
        return csv_response(self.export_rows(changelist.get_queryset(request)), name=self.export_name)

    def changelist_view(self, request, extra_context=None):
        opts = self.opts
        extra_context = {
            **(extra_context or {}),
            "export_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_export")
            if self.has_export_permission(request)
            else "",
        }
        return super().changelist_view(request, extra_context)
