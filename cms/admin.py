"""Admin pieces every app shares: the site's titles and the base admin for publishable content.

`cms` is not an installed app, so admin autodiscovery never imports this module; the apps' admin
modules do, when they subclass `PublishableAdmin`."""

from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.db import models
from django.db.models import F

from .publishing import publish, unpublish

admin.site.site_header = "Newsroom CMS"
admin.site.site_title = "Newsroom CMS"
admin.site.index_title = "Content"


class PublishableAdmin(admin.ModelAdmin):
    """Articles and videos: a state column, the publishing fields and publish/unpublish actions."""

    actions = ["publish_selected", "unpublish_selected"]
    date_hierarchy = "published_at"
    # Newest first. Undated drafts are work in progress, so they lead on every database
    # (PostgreSQL sorts NULLs first in descending order, SQLite last).
    ordering = [F("published_at").desc(nulls_first=True), "-pk"]
    # Editors paste links without a scheme; the web is https (and Django 6 will assume it).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["first_published_at", "created_at", "updated_at"]
    publishing_fieldset = (
        "Publishing",
        {
            "fields": [
                "status",
                ("published_at", "expires_at"),
                ("first_published_at", "created_at", "updated_at"),
            ]
        },
    )

    @admin.display(description="State", ordering="published_at")
    def state(self, obj):
        return obj.state.label

    @admin.action(description="Publish selected %(verbose_name_plural)s", permissions=["change"])
    def publish_selected(self, request, queryset):
        self._report(request, publish(queryset=queryset), "published")

    @admin.action(description="Unpublish selected %(verbose_name_plural)s", permissions=["change"])
    def unpublish_selected(self, request, queryset):
        self._report(request, unpublish(queryset=queryset), "unpublished")

    def _report(self, request, count, verb):
        level = messages.SUCCESS if count else messages.WARNING
        self.message_user(request, f"{count} {model_ngettext(self.opts, count)} {verb}.", level)
