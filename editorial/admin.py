import difflib
import json
import re

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from cms.admin import ReadOnlyAdmin

from .models import Revision
from .services import (
    CHILD_ROWS,
    RestoreError,
    record_revision,
    referenced_ids,
    restorable_fields,
    restore_revision,
    take_snapshot,
)


# --- Showing a revision --------------------------------------------------------------------
def field_label(model, name: str) -> str:
    if name in CHILD_ROWS.get(model._meta.label_lower, {}):
        return str(capfirst(model._meta.get_field(name).related_model._meta.verbose_name_plural))
    try:
        return str(capfirst(model._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:  # a field the model no longer has
        return name


def _names(model, snapshots) -> dict[tuple[type, object], str]:
    """str() of every object the snapshots refer to, one query per related model."""
    wanted: dict[type, set] = {}
    for snapshot in snapshots:
        for related_model, ids in referenced_ids(model, snapshot).items():
            wanted.setdefault(related_model, set()).update(ids)
    return {
        (related_model, pk): str(item)
        for related_model, ids in wanted.items()
        for pk, item in related_model._base_manager.in_bulk(ids).items()
    }


def _show(field, value, names) -> str:
    """One stored value as an editor reads it."""
    if value is None or value == "":
        return ""
    if field is None:
        return json.dumps(value, ensure_ascii=False, indent=2)
    if field.many_to_many:
        return ", ".join(_show_related(field.related_model, pk, names) for pk in value)
    if field.is_relation:
        return _show_related(field.related_model, value, names)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, indent=2)
    if isinstance(value, str) and value.startswith("<"):
        # HTML (a rich-text body) one block a line, so that the diff shows which blocks changed.
        return re.sub(r">\s*<(?!/)", ">\n<", value)
    return str(value)


def _show_related(related_model, pk, names) -> str:
    name = names.get((related_model, pk))
    return name if name is not None else f"{related_model._meta.verbose_name} #{pk} (deleted)"


def describe(model, snapshot: dict, names) -> dict[str, str]:
    shown = {}
    children = CHILD_ROWS.get(model._meta.label_lower, {})
    for name, value in snapshot.items():
        if name in children:
            row_model = model._meta.get_field(name).related_model
            lines = []
            for row in value:
                parts = [
                    f"{row_model._meta.get_field(key).verbose_name}: "
                    f"{_show(row_model._meta.get_field(key), row_value, names)}"
                    for key, row_value in row.items()
                    if row_value is not None
                ]
                lines.append(", ".join(parts))
            shown[name] = "\n".join(lines)
        else:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
            shown[name] = _show(field, value, names)
    return shown


def diff_rows(model, old: dict | None, new: dict, *, order: list[str]) -> list[dict]:
    """The fields that differ between two snapshots (all filled-in ones for a first revision), in
    `order` (the form's), with both values as text and, for values of several lines, the changed
    lines."""
    names = _names(model, [new] if old is None else [old, new])
    before, after = describe(model, old or {}, names), describe(model, new, names)
    keys = new.keys() | (old or {}).keys()
    known = [*order, *(field.name for field in model._meta.get_fields())]
    known = list(dict.fromkeys(known))
    rows = []
    for name in [name for name in known if name in keys] + sorted(keys - set(known)):
        if old is not None and old.get(name) == new.get(name):
            continue
        if old is None and not after.get(name):
            continue
        old_text, new_text = before.get(name, ""), after.get(name, "")
        lines = []
        if "\n" in old_text or "\n" in new_text:
            diff = difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), lineterm="", n=1)
            lines = [(line[0], line) for line in list(diff)[2:]]
        rows.append(
            {"label": field_label(model, name), "before": old_text, "after": new_text, "lines": lines}
        )
    return rows


# --- The history of an item in its admin ---------------------------------------------------
class HistoryAdminMixin:
    """Keeps a revision of every save made in this admin; the change form's History button
    lists them, shows what each changed and can restore one."""

    object_history_template = "admin/editorial/history.html"
    revision_template = "admin/editorial/revision.html"

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/history/<int:revision_id>/",
                view(self.revision_view),
                name=f"{prefix}_revision",
            ),
            path(
                "<path:object_id>/history/<int:revision_id>/restore/",
                view(self.restore_view),
                name=f"{prefix}_restore",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        if change:  # the stored state, before the form's changes reach the database
            form.revision_before = take_snapshot(type(obj)._base_manager.get(pk=obj.pk))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields and inlines are saved here, after the item itself.
        super().save_related(request, form, formsets, change)
        record_revision(
            obj=form.instance,
            user=request.user,
            before=getattr(form, "revision_before", None),
            comment="" if change else "Created",
        )

    def change_items(self, request, queryset, change, *, comment: str) -> int:
        """Run `change(queryset=...)` (publish, unpublish) and keep a revision of every item it changed."""
        with transaction.atomic():
            before = {obj.pk: take_snapshot(obj) for obj in queryset}
            count = change(queryset=queryset)
            # By id: the change may have moved items out of a filtered queryset.
            for obj in self.model._base_manager.filter(pk__in=before):
                record_revision(obj=obj, user=request.user, before=before[obj.pk], comment=comment)
        return count

    def _object_or_redirect(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return None, self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return obj, None

    def _context(self, request, obj, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": obj,
            "module_name": capfirst(self.opts.verbose_name_plural),
            "preserved_filters": self.get_preserved_filters(request),
            **extra,
        }

    def history_view(self, request, object_id, extra_context=None):
        obj, redirect = self._object_or_redirect(request, object_id)
        if redirect:
            return redirect
        revisions = Revision.objects.for_object(obj).select_related("user").order_by("-pk")
        page = self.get_paginator(request, revisions, 100).get_page(request.GET.get("p", 1))
        for revision in page:
            revision.changed_labels = [field_label(self.model, name) for name in revision.changed_fields]
        request.current_app = self.admin_site.name
        context = self._context(request, obj, title=f"History: {obj}", subtitle=None, revisions=page)
        return TemplateResponse(request, self.object_history_template, {**context, **(extra_context or {})})

    def revision_view(self, request, object_id, revision_id):
        obj, redirect = self._object_or_redirect(request, object_id)
        if redirect:
            return redirect
        revision = get_object_or_404(Revision.objects.for_object(obj).select_related("user"), pk=revision_id)
        previous = revision.previous
        order = [
            *flatten_fieldsets(self.get_fieldsets(request, obj)),
            *CHILD_ROWS.get(self.opts.label_lower, {}),
        ]
        rows = diff_rows(self.model, previous.snapshot if previous else None, revision.snapshot, order=order)
        restored = restorable_fields(self.model)
        kept = [
            field_label(self.model, field.name)
            for field in self.model._meta.get_fields()
            if field.name in revision.snapshot and field.name not in restored
        ]
        request.current_app = self.admin_site.name
        context = self._context(
            request,
            obj,
            title=f"Revision {revision.pk} of {obj}",
            subtitle=None,
            revision=revision,
            previous=previous,
            rows=rows,
            kept_fields=kept,
            can_restore=self.has_change_permission(request, obj),
        )
        return TemplateResponse(request, self.revision_template, context)

    def restore_view(self, request, object_id, revision_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj, redirect = self._object_or_redirect(request, object_id)
        if redirect:
            return redirect
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        revision = get_object_or_404(Revision.objects.for_object(obj), pk=revision_id)
        prefix = f"admin:{self.opts.app_label}_{self.opts.model_name}"
        try:
            restored = restore_revision(revision=revision, user=request.user)
        except RestoreError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse(f"{prefix}_revision", args=[obj.pk, revision.pk]))
        if restored is None:
            self.message_user(
                request, f"Nothing to restore: it already matches revision {revision.pk}.", messages.INFO
            )
        else:
            self.log_change(request, obj, f"Restored revision {revision.pk}.")
            self.message_user(request, f"Restored revision {revision.pk}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse(f"{prefix}_change", args=[obj.pk]))


# --- Read-only lists -----------------------------------------------------------------------
def _admin_link(obj, url_name, *args):
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{url_name}", args=args)
    except NoReverseMatch:
        return None


def add_history(models, site=admin.site) -> None:
    """Give the admins of `models` (registered by their own apps, which know nothing of history)
    the History pages and a revision of every save: each is registered again as a subclass of
    its own admin with `HistoryAdminMixin` first. Called from `EditorialConfig.ready()`, after
    admin autodiscovery has registered every app's admins."""
    for model in models:
        model_admin = site._registry.get(model)
        if model_admin is None or isinstance(model_admin, HistoryAdminMixin):
            continue
        admin_class = type(model_admin)
        site.unregister(model)
        site.register(model, type(admin_class.__name__, (HistoryAdminMixin, admin_class), {}))


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "item", "created_at", "user", "comment", "changes"]
    list_filter = [
        ("content_type", admin.RelatedOnlyFieldListFilter),
        ("user", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    list_select_related = ["content_type", "user"]
    search_fields = ["comment", "user__username", "=object_id"]
    date_hierarchy = "created_at"
    fields = ["item", "created_at", "user", "comment", "changes", "snapshot_json"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("content_object")

    @admin.display(description="Item")
    def item(self, obj):
        target = obj.content_object
        if target is None:
            return f"{obj.content_type.name} #{obj.object_id} (deleted)"
        url = _admin_link(target, "revision", target.pk, obj.pk)
        return format_html('<a href="{}">{}</a>', url, target) if url else str(target)

    @admin.display(description="Changed fields")
    def changes(self, obj):
        model = obj.content_type.model_class()
        return ", ".join(field_label(model, name) for name in obj.changed_fields) if model else ""

    @admin.display(description="Snapshot")
    def snapshot_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.snapshot, ensure_ascii=False, indent=2))
