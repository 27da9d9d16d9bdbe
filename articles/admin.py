from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django_prose_editor.fields import ProseEditorFormField

from cms.admin import PublishableAdmin, ReadOnlyAdmin

from .models import Article, Author, Image, RelatedContent, SlugRedirect, Video
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


class ContentAdmin(PublishableAdmin):
    """Articles and videos: publishable, with a Preview button."""

    def get_preview_url(self, obj):
        return preview_url(obj)


@admin.register(Article)
class ArticleAdmin(ContentAdmin):
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
