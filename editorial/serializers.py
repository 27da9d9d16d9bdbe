from django.urls import get_script_prefix, reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from articles.blocks import referenced_ids
from articles.models import Article, Author, Image, Video
from articles.richtext import BlocksError, editor_html, html_to_blocks, sanitize_html
from articles.teasers import TeaserSerializer
from cms.representation import absolute, iso
from topics.models import Section, Topic

from .models import ChangeLog

SLUG_MARK = "slug-of-the-item"  # slugs are letters, digits, - and _: put in the path as they are


def _detail_path(kind: str) -> str:
    """The detail path of an item of `kind`, with SLUG_MARK for its slug: reversed once a process."""
    key = (kind, get_script_prefix())
    if key not in _DETAIL_PATHS:
        _DETAIL_PATHS[key] = reverse(f"{kind}-detail", kwargs={"slug": SLUG_MARK})
    return _DETAIL_PATHS[key]


_DETAIL_PATHS: dict[tuple[str, str], str] = {}


class ChangeSerializer(serializers.Serializer):
    """One change: an item to add or replace (`upsert`), or one to remove (`delete`). Mirror by
    `type` and `id`; the slug can change."""

    change = serializers.ChoiceField(
        choices=[ChangeLog.Change.UPSERT, ChangeLog.Change.DELETE],
        help_text="`upsert`: the item is publicly visible now; store or replace it (fetch `url` for "
        "the whole item). `delete`: it no longer is (unpublished, archived, expired or deleted); "
        "remove it.",
    )
    type = serializers.ChoiceField(choices=ChangeLog.Type.values, help_text="Article or video.")
    id = serializers.IntegerField(help_text="Stable identifier of the article or video.")
    slug = serializers.SlugField(help_text="Its current slug; in a `delete`, the last slug the public saw.")
    at = serializers.DateTimeField(
        help_text="When it changed (UTC): the save, or, for changes by the clock, the publish or expiry time."
    )
    url = serializers.URLField(
        allow_null=True, help_text="The item's detail endpoint, with everything; null in a `delete`."
    )
    item = TeaserSerializer(
        allow_null=True, help_text="The item's public teaser as it is now; null in a `delete`."
    )

    def to_representation(self, change):
        upsert = change.change == ChangeLog.Change.UPSERT
        url = _detail_path(change.type).replace(SLUG_MARK, change.slug) if upsert else None
        return {
            "change": change.change,
            "type": change.type,
            "id": change.id,
            "slug": change.slug,
            "at": iso(change.at),
            "url": absolute(self.context, url) if upsert else None,
            "item": change.item if upsert else None,  # its teaser card (changes.with_cards)
        }


@extend_schema_serializer(many=False)  # one page object, although the endpoint is a list
class ChangePageSerializer(serializers.Serializer):
    """Changes after `since`, oldest first, each item at most once per page."""

    results = ChangeSerializer(many=True, help_text="The changes, oldest first.")
    next = serializers.URLField(
        help_text="This endpoint with `since` set to `next_since`: follow it at once while "
        "`has_more`, and poll it later once caught up."
    )
    next_since = serializers.CharField(
        help_text="Token for the position after this page: keep it, and pass it as `since` next time."
    )
    has_more = serializers.BooleanField(
        help_text="More changes are waiting now: follow `next` at once. False: caught up."
    )


# --- The write API --------------------------------------------------------------------------------
def _holds_nul(value) -> bool:
    """Whether any text in `value` (JSON, however deep) holds a NUL character."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return False


class ArticleWriteSerializer(serializers.ModelSerializer):
    """An article as the write API takes and answers it. The body is sent either as `body_html`
    (sanitized with the admin's allowlist) or as `body`, blocks in the shape GET serves them; the
    answer carries both. Relations by slug (the hero image by id). Publishing fields are the
    server's: set them through the publish and unpublish actions."""

    section = serializers.SlugRelatedField(
        queryset=Section.objects.all(), slug_field="slug", help_text="The section's slug."
    )
    topics = serializers.SlugRelatedField(
        many=True, queryset=Topic.objects.all(), slug_field="slug", required=False, help_text="Topic slugs."
    )
    authors = serializers.SlugRelatedField(
        many=True, queryset=Author.objects.all(), slug_field="slug", required=False, help_text="Author slugs."
    )
    hero_image = serializers.PrimaryKeyRelatedField(
        queryset=Image.objects.all(), allow_null=True, required=False, help_text="An image's id."
    )
    lead_video = serializers.SlugRelatedField(
        queryset=Video.objects.all(),
        slug_field="slug",
        allow_null=True,
        required=False,
        help_text="A video's slug.",
    )
    body_html = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The body as HTML: headings, paragraphs, lists, quotes, links, bold and italic, and "
        '`<figure data-embed="image|video" data-id="..." data-caption="...">` embeds; anything else '
        "is removed (the admin's allowlist).",
    )
    body = serializers.JSONField(
        required=False,
        help_text="The body as blocks, in the shape GET serves them (read by each block's `html`, an "
        "embed by its item's id and `caption`); or send `body_html`. Answered in the stored shape.",
    )
    id = serializers.IntegerField(read_only=True, help_text="Stable identifier.")
    state = serializers.CharField(read_only=True, help_text="What the public sees now.")

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "headline",
            "standfirst",
            "body_html",
            "body",
            "section",
            "topics",
            "authors",
            "hero_image",
            "lead_video",
            "seo_title",
            "seo_description",
            "canonical_url",
            "state",
            "status",
            "published_at",
            "expires_at",
            "first_published_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "state",
            "status",
            "published_at",
            "expires_at",
            "first_published_at",
            "updated_at",
        ]

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        writable = {name for name, field in self.fields.items() if not field.read_only}
        refused = {
            name: ["This field is the server's: it cannot be written."]
            if name in self.fields
            else ["Unknown field."]
            for name in data
            if name not in writable
        }
        if refused:
            raise serializers.ValidationError(refused)
        nul = {
            name: ["Null characters are not allowed."] for name, value in data.items() if _holds_nul(value)
        }
        if nul:  # PostgreSQL refuses them in text, slugs looked up included
            raise serializers.ValidationError(nul)
        if "body" in data and "body_html" in data:
            raise serializers.ValidationError(
                {"body": ["Send the body as `body` or as `body_html`, not both."]}
            )
        return super().to_internal_value(data)

    def validate_body(self, blocks):
        try:
            return editor_html(blocks)
        except BlocksError as error:
            raise serializers.ValidationError(
                [str(error)] if error.index is None else {error.index: [str(error)]}
            ) from None

    def validate(self, attrs):
        if "body" in attrs:
            attrs["body_html"] = attrs.pop("body")
        if "body_html" in attrs:
            blocks = html_to_blocks(sanitize_html(attrs["body_html"]))
            self._check_embeds(blocks, "body" if "body" in self.initial_data else "body_html")
        return attrs

    def _check_embeds(self, blocks, field: str) -> None:
        """Embeds the change adds: of images that exist, and of videos the public sees. One the
        article holds already may stay (a video unpublished since), as in the admin."""
        kept = [self.instance.body] if self.instance is not None else []
        images = referenced_ids([blocks], "image") - referenced_ids(kept, "image")
        videos = referenced_ids([blocks], "video") - referenced_ids(kept, "video")
        missing = sorted(images - set(Image.objects.filter(pk__in=images).values_list("pk", flat=True)))
        hidden = sorted(
            videos - set(Video.objects.published().filter(pk__in=videos).values_list("pk", flat=True))
        )
        errors = [f"No image {pk}." for pk in missing] + [f"No publicly visible video {pk}." for pk in hidden]
        if errors:
            raise serializers.ValidationError({field: errors})
