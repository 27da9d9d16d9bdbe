from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django_prose_editor.fields import ProseEditorFormField

from cms.admin import PublishableAdmin, ReadOnlyAdmin

from .admin_live import LiveDeskMixin
from .models import Article, Author, Correction, Image, RelatedContent, SlugRedirect, Video
from .preview import preview_url
from .richtext import EDITOR_EXTENSIONS, sanitize_html

RIGHTS_FIELDSET = (
    "Rights",
    {"classes": ["collapse"], "fields": ["copyright_holder", "credit_line", "usage_terms"]},
)


class ArticleAdminForm(forms.ModelForm):
    body_html = ProseEditorFormField(
        label="Body",
        required=False,
        extensions=EDITOR_EXTENSIONS,
        sanitize=sanitize_html,
        widget=AdminTextareaWidget,
        help_text="Headings, bold, italic, links, lists and quotes. Use the film and picture buttons "
        "to embed a video or an image from the library.",
    )


class RelatedContentForm(forms.ModelForm):
    def validate_unique(self):
        super().validate_unique()
        # Django leaves an inline's own foreign key out of constraint checks (the parent may not be
        # saved yet), so "not itself" would otherwise surface only as an IntegrityError.
        if self.instance.article_id is not None and not self.errors:
            try:
                self.instance.validate_constraints(exclude=self._get_validation_exclusions())
            except ValidationError as error:
                self._update_errors(error)


class RelatedContentInline(admin.TabularInline):
    model = RelatedContent
    form = RelatedContentForm
    fk_name = "article"
    fields = ["position", "target_article", "target_video"]
    autocomplete_fields = ["target_article", "target_video"]
    extra = 0


def _taken_down(entry):
    if entry.retracted_at is None:
        url = reverse("admin:articles_correction_change", args=[entry.pk])
        return format_html('<a href="{}">Take down…</a>', url)
    return (
        f"Taken down {entry.retracted_at:%Y-%m-%d %H:%M} by {entry.retracted_by}: {entry.retraction_reason}"
    )


class ContentAdmin(PublishableAdmin):
    """Articles and videos: publishable, with a Preview button and a correction log."""

    correction_fieldset = ("Corrections", {"fields": ["correction_log"]})

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "correction_log"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [*fieldsets, self.correction_fieldset] if obj is not None else fieldsets

    @admin.display(description="Correction log")
    def correction_log(self, obj):
        """The log as readers see it and what was taken down, with a link to append to it: its
        entries are never edited in the item's form (models.Correction)."""
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{entry.at:%Y-%m-%d %H:%M}",
                    entry.get_kind_display(),
                    entry.text,
                    entry.created_by or "",
                    _taken_down(entry),
                )
                for entry in obj.corrections.select_related("created_by", "retracted_by")
            ),
        )
        add = reverse("admin:articles_correction_add") + f"?{obj._meta.model_name}={obj.pk}"
        table = format_html("<table><tbody>{}</tbody></table>", rows) if rows else "No entries yet."
        return format_html(
            '{}<p><a class="addlink" href="{}">Add a correction, clarification or update</a></p>', table, add
        )

    def get_preview_url(self, obj):
        return preview_url(obj)


@admin.register(Article)
class ArticleAdmin(LiveDeskMixin, ContentAdmin):
    form = ArticleAdminForm
    list_display = ["headline", "section", "status", "published_at", "state", "updated_at"]
    list_filter = ["status", "section", "topics", "published_at"]
    list_select_related = ["section"]
    search_fields = ["headline", "standfirst", "slug"]
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "topics", "authors", "hero_image", "lead_video", "newsletter"]
    inlines = [RelatedContentInline]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "body_html"]}),
        ("Taxonomy", {"fields": ["section", "topics", "authors"]}),
        ("Media", {"fields": ["hero_image", "lead_video"]}),
        ("Newsletter signup", {"fields": ["newsletter"]}),
        PublishableAdmin.publishing_fieldset,
        ("Live coverage", {"fields": ["live_status", ("coverage_start", "coverage_end"), "live_desk"]}),
        ("SEO", {"classes": ["collapse"], "fields": ["seo_title", "seo_description", "canonical_url"]}),
        RIGHTS_FIELDSET,
    ]

    def view_on_site(self, obj):
        return reverse("article-detail", kwargs={"slug": obj.slug})

    def get_autocomplete_fields(self, request):
        fields = super().get_autocomplete_fields(request)
        if request.user.has_perm("newsletters.view_newsletter"):
            return fields
        # The autocomplete asks the newsletters' admin, which only the teams looking after newsletters
        # may see (it shows subscriber figures): reporters pick from a plain list of the few there are.
        return [name for name in fields if name != "newsletter"]


@admin.register(Video)
class VideoAdmin(ContentAdmin):
    list_display = ["title", "id", "section", "status", "published_at", "state", "duration"]
    list_filter = ["status", "section", "topics", "published_at", "provider"]
    list_select_related = ["section"]
    search_fields = ["title", "description", "transcript", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["thumbnail", "section", "topics"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "description", "transcript"]}),
        ("Player", {"fields": ["provider", "source_url", "embed_url", "duration", "thumbnail"]}),
        ("Taxonomy", {"fields": ["section", "topics"]}),
        PublishableAdmin.publishing_fieldset,
        ("SEO", {"classes": ["collapse"], "fields": ["seo_title", "seo_description"]}),
        RIGHTS_FIELDSET,
    ]

    def view_on_site(self, obj):
        return reverse("video-detail", kwargs={"slug": obj.slug})


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["preview", "alt_text", "id", "size", "credit", "created_at"]
    list_display_links = ["preview", "alt_text"]
    search_fields = ["alt_text", "caption", "credit"]
    fieldsets = [
        (None, {"fields": ["file", "preview", "size", "alt_text", "caption", "credit", "created_at"]}),
        ("Focal point", {"fields": [("focal_x", "focal_y")]}),
        ("Resized copies", {"classes": ["collapse"], "fields": ["rendition_list"]}),
    ]
    readonly_fields = ["preview", "size", "created_at", "rendition_list"]

    @admin.display(description="Preview")
    def preview(self, obj):
        if not obj.file:
            return None
        # The narrowest rendition keeps the list light; an original that small is shown as it is.
        small = next((r for r in obj.renditions if r["width"] < (obj.width or 0)), None)
        url = obj.file.storage.url(small["path"]) if small else obj.file.url
        return format_html('<img src="{}" alt="{}" style="max-height: 80px">', url, obj.alt_text)

    @admin.display(description="Renditions")
    def rendition_list(self, obj):
        if not obj.renditions:
            return "None yet: they are made when the image is saved."
        links = ((obj.file.storage.url(r["path"]), r["width"], r["height"]) for r in obj.renditions)
        return format_html_join(", ", '<a href="{}">{} × {}</a>', links)

    @admin.display(description="Width × height")
    def size(self, obj):
        return None if obj.width is None else f"{obj.width} × {obj.height}"


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "role"]
    search_fields = ["name", "slug", "role"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(SlugRedirect)
class SlugRedirectAdmin(ReadOnlyAdmin):
    list_display = ["old_slug", "content_type", "target", "created_at"]
    list_filter = [("content_type", admin.RelatedOnlyFieldListFilter), "created_at"]
    list_select_related = ["content_type"]
    search_fields = ["old_slug"]
    fields = ["old_slug", "content_type", "target", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("content_object")

    @admin.display(description="Leads to")
    def target(self, obj):
        target = obj.content_object
        if target is None:
            return f"{obj.content_type.name} #{obj.object_id} (deleted)"
        url = reverse(f"admin:{target._meta.app_label}_{target._meta.model_name}_change", args=[target.pk])
        return format_html('<a href="{}">{} ({})</a>', url, target, target.slug)


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    """The correction logs. An entry is added from its article's or video's page and never
    edited: one still shown can be taken down, with a reason, and that is recorded."""

    list_display = ["__str__", "item", "kind", "created_by", "retracted_at"]
    list_filter = ["kind", ("retracted_at", admin.EmptyFieldListFilter)]
    list_select_related = ["article", "video", "created_by"]
    autocomplete_fields = ["article", "video"]
    shown = ["item", "kind", "text", "at", "created_by", "retracted_at", "retracted_by", "retraction_reason"]

    def get_fields(self, request, obj=None):
        return ["article", "video", "kind", "text"] if obj is None else self.shown

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [name for name in self.shown if name != "retraction_reason" or obj.retracted_at is not None]

    def get_changeform_initial_data(self, request):
        return {
            name: request.GET[name] for name in ("article", "video") if request.GET.get(name, "").isdigit()
        }

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Of")
    def item(self, entry):
        return entry.item

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.save()
            return
        reason = form.cleaned_data.get("retraction_reason", "").strip()
        if reason and obj.retracted_at is None:
            Correction.objects.get(pk=obj.pk).retract(by=request.user, reason=reason)

    def response_add(self, request, obj, post_url_continue=None):
        return self._back_to_item(obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._back_to_item(obj) or super().response_change(request, obj)

    def _back_to_item(self, entry):
        item = entry.item
        if item is None:
            return None
        return HttpResponseRedirect(reverse(f"admin:articles_{item._meta.model_name}_change", args=[item.pk]))
