"""Admin pieces every app shares: the site's titles, the base admin for publishable content and
the read-only admin for records only the system writes.

It registers no model: admin autodiscovery imports it (`cms` is an installed app), and the apps'
admin modules subclass these. Apps built on content extend the admins of other apps from their
own `AppConfig.ready()` (editorial adds history to them), so nothing here names an app."""

from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.db import models, transaction
from django.db.models import F

from .publishing import PUBLISHING_FIELDS, Status, publish, unpublish
from .roles import can_publish

admin.site.site_header = "Newsroom CMS"
admin.site.site_title = "Newsroom CMS"
admin.site.index_title = "Content"


class PublishingLockedForm:
    """Mixed into the admin form of a user who may not publish. The publishing fields are
    read-only on the page, so they are not in the form; a request that sends them anyway (a
    crafted POST) gets an error saying why, rather than having them silently dropped."""

    locked_fields: dict[str, forms.Field] = {}  # name -> the field an editor's form has

    def clean(self):
        cleaned_data = super().clean()
        for name, field in self.locked_fields.items():
            key = self.add_prefix(name)
            if field.widget.value_omitted_from_data(self.data, self.files, key):
                continue
            current = getattr(self.instance, name)
            if isinstance(current, datetime):  # the page shows whole seconds
                current = current.replace(microsecond=0)
            if field.has_changed(current, field.widget.value_from_datadict(self.data, self.files, key)):
                self.add_error(
                    None,
                    "Only editors can publish, schedule, unpublish or archive, or change publishing "
                    "times. Save your changes as a draft and ask an editor to publish it.",
                )
                break
        return cleaned_data


class PublishableAdmin(admin.ModelAdmin):
    """Articles and videos: a state column, the publishing fields and publish/unpublish actions.

    Users without the model's publish permission (reporters, see cms/roles.py) write drafts: the
    publishing fields are read-only for them, the actions are not offered, the list is not
    editable, and an item that is no longer a draft is read-only, since any change to it changes
    what readers see or will see."""

    actions = ["publish_selected", "unpublish_selected"]
    change_form_template = "admin/publishable_change_form.html"  # adds the Preview button
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

    @admin.action(description="Publish selected %(verbose_name_plural)s", permissions=["publish"])
    def publish_selected(self, request, queryset):
        count = self.change_items(request, queryset, publish, comment="Published")
        self._report(request, count, "published")

    @admin.action(description="Unpublish selected %(verbose_name_plural)s", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        count = self.change_items(request, queryset, unpublish, comment="Unpublished")
        self._report(request, count, "unpublished")

    def change_items(self, request, queryset, change, *, comment: str) -> int:
        """Run `change(queryset=...)` (publish, unpublish) in one transaction; `comment` names the
        change for whatever keeps a record of it (editorial's history)."""
        with transaction.atomic():
            return change(queryset=queryset)

    def get_preview_url(self, obj) -> str | None:
        """Where the change form's Preview button leads; None: no button."""
        return None

    def has_publish_permission(self, request):
        return can_publish(request.user, self.model)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != Status.DRAFT and not self.has_publish_permission(request):
            return False  # a view-only page for reporters
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly_fields = super().get_readonly_fields(request, obj)
        if self.has_publish_permission(request):
            return readonly_fields
        return [*readonly_fields, *PUBLISHING_FIELDS]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if self.has_publish_permission(request):
            return form
        locked_fields = {
            name: self.formfield_for_dbfield(self.opts.get_field(name), request) for name in PUBLISHING_FIELDS
        }
        return type(form.__name__, (PublishingLockedForm, form), {"locked_fields": locked_fields})

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if not self.has_publish_permission(request):
            # list_editable checks only the model-wide change permission, not the rules above.
            changelist.list_editable = ()
        return changelist

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:  # whoever reaches this page may view the item
            context["preview_url"] = self.get_preview_url(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _report(self, request, count, verb):
        level = messages.SUCCESS if count else messages.WARNING
        self.message_user(request, f"{count} {model_ngettext(self.opts, count)} {verb}.", level)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that only the system writes: nobody adds, changes or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
