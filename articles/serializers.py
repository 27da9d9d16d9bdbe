from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from topics.serializers import SectionRefSerializer, TopicRefSerializer

from .blocks import HEADING_LEVELS
from .models import Article, Author, Video
from .richtext import blocks_to_html
from .teasers import ImageSerializer, TeaserSerializer

ID_HELP = {"id": {"help_text": "Stable identifier."}}


class AuthorRefSerializer(serializers.ModelSerializer):
    """An author as shown in a byline."""

    class Meta:
        model = Author
        fields = ["id", "slug", "name", "role"]
        extra_kwargs = ID_HELP


class AuthorSerializer(AuthorRefSerializer):
    """An author with their biography."""

    class Meta(AuthorRefSerializer.Meta):
        fields = [*AuthorRefSerializer.Meta.fields, "bio"]


class AuthorDetailSerializer(AuthorSerializer):
    """An author and their newest articles."""

    latest = TeaserSerializer(many=True, read_only=True, help_text="The author's newest published articles.")

    class Meta(AuthorSerializer.Meta):
        fields = [*AuthorSerializer.Meta.fields, "latest"]


class VideoEmbedSerializer(serializers.ModelSerializer):
    """What a player needs: a lead video, or a video embedded in an article body."""

    duration_seconds = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Running time in whole seconds."
    )
    thumbnail = ImageSerializer(read_only=True, allow_null=True, help_text="Poster frame.")

    class Meta:
        model = Video
        fields = [
            "id",
            "slug",
            "title",
            "description",
            "provider",
            "source_url",
            "embed_url",
            "duration_seconds",
            "thumbnail",
            "published_at",
        ]
        extra_kwargs = ID_HELP


class VideoListSerializer(VideoEmbedSerializer):
    """A video as listed, with its section and topics."""

    section = SectionRefSerializer(read_only=True, allow_null=True, help_text="The section it belongs to.")
    topics = TopicRefSerializer(many=True, read_only=True, help_text="Topics it is tagged with.")

    class Meta(VideoEmbedSerializer.Meta):
        fields = [*VideoEmbedSerializer.Meta.fields, "section", "topics", "updated_at"]


class VideoDetailSerializer(VideoListSerializer):
    """A video with its transcript."""

    class Meta(VideoListSerializer.Meta):
        fields = [*VideoListSerializer.Meta.fields, "first_published_at", "transcript"]


# --- Body blocks: the schema of each block type, as served -----------------------------------
class SpanSerializer(serializers.Serializer):
    """A run of text with the same formatting."""

    text = serializers.CharField(help_text="The text; `\\n` for a line break.")
    marks = serializers.ListField(
        child=serializers.ChoiceField(choices=["bold", "italic"]), help_text="Formatting applied to the run."
    )
    href = serializers.CharField(required=False, help_text="Link target, when the run is a link.")


class InlineTextSerializer(serializers.Serializer):
    """Text of a block in three forms: plain, sanitized inline HTML and formatted spans."""

    text = serializers.CharField(help_text="Plain text.")
    html = serializers.CharField(help_text="Sanitized inline HTML (strong, em, a, br only).")
    spans = SpanSerializer(
        many=True, help_text="The text as formatted runs, for clients that do not render HTML."
    )


class ParagraphBlockSerializer(InlineTextSerializer):
    """A paragraph of text."""

    type = serializers.CharField(help_text="`paragraph`")


class HeadingBlockSerializer(InlineTextSerializer):
    """A subheading inside the body."""

    type = serializers.CharField(help_text="`heading`")
    level = serializers.ChoiceField(choices=HEADING_LEVELS, help_text="HTML heading level (h2 to h4).")


class QuoteBlockSerializer(InlineTextSerializer):
    """A block quote."""

    type = serializers.CharField(help_text="`quote`")


class ListBlockSerializer(serializers.Serializer):
    """A bulleted or numbered list."""

    type = serializers.CharField(help_text="`list`")
    style = serializers.ChoiceField(choices=["bullet", "ordered"], help_text="Bullets or numbers.")
    items = InlineTextSerializer(many=True, help_text="The list items, in order.")


class ImageBlockSerializer(serializers.Serializer):
    """An image from the library, resolved to its public fields."""

    type = serializers.CharField(help_text="`image`")
    image = ImageSerializer(help_text="The embedded image.")
    caption = serializers.CharField(
        help_text="Caption for this use of the image; defaults to the image's own."
    )


class VideoBlockSerializer(serializers.Serializer):
    """A published video, resolved to what a player needs."""

    type = serializers.CharField(help_text="`video`")
    video = VideoEmbedSerializer(help_text="The embedded video.")
    caption = serializers.CharField(help_text="Caption for this use of the video; defaults to its title.")


BODY_BLOCK_SCHEMA = PolymorphicProxySerializer(
    component_name="BodyBlock",
    serializers={
        "paragraph": ParagraphBlockSerializer,
        "heading": HeadingBlockSerializer,
        "quote": QuoteBlockSerializer,
        "list": ListBlockSerializer,
        "image": ImageBlockSerializer,
        "video": VideoBlockSerializer,
    },
    resource_type_field_name="type",
    many=True,
)


@extend_schema_field(BODY_BLOCK_SCHEMA)
class BodyField(serializers.Field):
    """Blocks as stored, with embedded images and videos resolved through `context["embeds"]`
    (loaded by the view). An embed that is missing or not public is left out."""

    def to_representation(self, blocks):
        embeds = self.context.get("embeds", {"image": {}, "video": {}})
        served = []
        for block in blocks:
            if block["type"] == "image":
                image = embeds["image"].get(block["image"])
                if image is not None:
                    data = ImageSerializer(image, context=self.context).data
                    served.append(
                        {"type": "image", "image": data, "caption": block.get("caption") or image.caption}
                    )
            elif block["type"] == "video":
                video = embeds["video"].get(block["video"])
                if video is not None:
                    data = VideoEmbedSerializer(video, context=self.context).data
                    served.append(
                        {"type": "video", "video": data, "caption": block.get("caption") or video.title}
                    )
            else:
                served.append(block)
        return served


class SeoSerializer(serializers.Serializer):
    """Search engine and social sharing metadata, with defaults filled in."""

    title = serializers.CharField(help_text="Title for search engines and social cards.")
    description = serializers.CharField(help_text="Description for search engines and social cards.")
    canonical_url = serializers.URLField(
        allow_null=True, help_text="Canonical URL when the original lives elsewhere; null otherwise."
    )


# --- Articles --------------------------------------------------------------------------------
class ArticleListSerializer(serializers.ModelSerializer):
    """An article as a teaser in lists: no body."""

    section = SectionRefSerializer(read_only=True, help_text="The section it belongs to.")
    topics = TopicRefSerializer(many=True, read_only=True, help_text="Topics it is tagged with.")
    authors = AuthorRefSerializer(many=True, read_only=True, help_text="Byline.")
    hero_image = ImageSerializer(read_only=True, allow_null=True, help_text="Main picture.")
    has_video = serializers.BooleanField(read_only=True, help_text="Whether it leads with a published video.")

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "headline",
            "standfirst",
            "section",
            "topics",
            "authors",
            "hero_image",
            "has_video",
            "published_at",
            "updated_at",
        ]
        extra_kwargs = ID_HELP


class ArticleDetailSerializer(ArticleListSerializer):
    """Everything an article page needs, in one response."""

    body = BodyField(help_text="The article text as ordered, typed blocks.")
    body_html = serializers.CharField(
        read_only=True, help_text="The same body as sanitized HTML, with embedded images and videos resolved."
    )
    lead_video = serializers.SerializerMethodField(
        help_text="Video shown at the top; null if none is published."
    )
    related = serializers.SerializerMethodField(
        help_text="Teaser cards for related articles and videos, in order."
    )
    seo = serializers.SerializerMethodField(help_text="Metadata for search engines and social sharing.")

    class Meta(ArticleListSerializer.Meta):
        fields = [
            *ArticleListSerializer.Meta.fields,
            "first_published_at",
            "body",
            "body_html",
            "lead_video",
            "related",
            "seo",
        ]

    def to_representation(self, article):
        data = super().to_representation(article)
        data["body_html"] = blocks_to_html(data["body"])  # from the served blocks: hidden embeds stay out
        return data

    @extend_schema_field(VideoEmbedSerializer(allow_null=True))
    def get_lead_video(self, article):
        video = article.lead_video
        return VideoEmbedSerializer(video, context=self.context).data if video and video.is_live else None

    @extend_schema_field(TeaserSerializer(many=True))
    def get_related(self, article):
        targets = [item.target for item in article.related_items.all()]  # prefetched: public only
        return TeaserSerializer(targets, many=True, context=self.context).data

    @extend_schema_field(SeoSerializer)
    def get_seo(self, article):
        return {
            "title": article.seo_title or article.headline,
            "description": article.seo_description or article.standfirst,
            "canonical_url": article.canonical_url or None,
        }
