import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput
from django.urls import reverse
from django.utils.html import format_html

from cms.admin import PublishableAdmin

from .blocks import validate_body
from .models import Article, Author, Image, RelatedContent, Video

# Keep in step with BLOCK_TYPES in blocks.py. Admin help texts are rendered as HTML.
BODY_HELP = """
A JSON list of blocks, in reading order. Each block is an object with a <code>type</code>:<br>
<code>{"type": "paragraph", "text": "…"}</code><br>
<code>{"type": "heading", "text": "…", "level": 2}</code> (level 2, 3 or 4)<br>
<code>{"type": "quote", "text": "…", "attribution": "…"}</code> (attribution optional)<br>
<code>{"type": "image", "image": 12, "caption": "…"}</code> (id from the Images list; caption optional)<br>
<code>{"type": "video", "video": 3, "caption": "…"}</code> (id from the Videos list; caption optional)
"""


class BlocksField(forms.JSONField):
    """The body indented, one key per line, so that editors can read and edit it."""

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):  # redisplay what the editor typed
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        field_classes = {"body": BlocksField}
        widgets = {"body": forms.Textarea(attrs={"rows": 25, "cols": 100, "style": "font-family: monospace"})}
        help_texts = {"body": BODY_HELP}

    def clean_body(self):
        body = self.cleaned_data["body"]
        if body is None:  # an empty box: no blocks, rather than NULL in a NOT NULL column
            return []
        # The model skips its validators for "empty" values such as {} or "", which are not lists.
        validate_body(body)
        return body


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


@admin.register(Article)
class ArticleAdmin(PublishableAdmin):
    form = ArticleAdminForm
    list_display = ["headline", "section", "status", "published_at", "state", "updated_at"]
    list_filter = ["status", "section", "topics", "published_at"]
    list_select_related = ["section"]
    search_fields = ["headline", "standfirst", "slug"]
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "topics", "authors", "hero_image", "lead_video"]
    inlines = [RelatedContentInline]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "body"]}),
        ("Taxonomy", {"fields": ["section", "topics", "authors"]}),
        ("Media", {"fields": ["hero_image", "lead_video"]}),
        PublishableAdmin.publishing_fieldset,
        ("SEO", {"classes": ["collapse"], "fields": ["seo_title", "seo_description", "canonical_url"]}),
    ]

    def view_on_site(self, obj):
        return reverse("article-detail", kwargs={"slug": obj.slug})


@admin.register(Video)
class VideoAdmin(PublishableAdmin):
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
    ]

    def view_on_site(self, obj):
        return reverse("video-detail", kwargs={"slug": obj.slug})


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["preview", "alt_text", "id", "size", "credit", "created_at"]
    list_display_links = ["preview", "alt_text"]
    search_fields = ["alt_text", "caption", "credit"]
    fields = ["file", "preview", "size", "alt_text", "caption", "credit", "created_at"]
    readonly_fields = ["preview", "size", "created_at"]

    @admin.display(description="Preview")
    def preview(self, obj):
        if not obj.file:
            return None
        return format_html('<img src="{}" alt="{}" style="max-height: 80px">', obj.file.url, obj.alt_text)

    @admin.display(description="Width × height")
    def size(self, obj):
        return None if obj.width is None else f"{obj.width} × {obj.height}"


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "role"]
    search_fields = ["name", "slug", "role"]
    prepopulated_fields = {"slug": ["name"]}
