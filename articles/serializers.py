"""JSON shapes. The declared fields are the documentation (OpenAPI); the hot serializers build
their JSON directly in `represent()` / the `*_data()` functions, which is several times faster
than field-by-field serialization. tests/test_representation.py checks every response against
the declared schema, so the two cannot drift apart."""

from base64 import urlsafe_b64encode
from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from cms.fields import SelectableFieldsMixin
from cms.representation import absolute, iso
from topics.serializers import (
    SectionSerializer,
    TopicSerializer,
    section_data,
    section_ref,
    topic_data,
    topic_ref,
)

from .blocks import HEADING_LEVELS
from .corrections import CorrectionSerializer, correction_data
from .embeds import load_body_embeds
from .models import Article, Author, LivePost, LiveStatus, Video
from .richtext import blocks_to_html
from .rights import RightsSerializer, rights_data
from .structured import HeadSerializer, article_head, first_words, video_head
from .teasers import ImageSerializer, TeaserSerializer, image_data, teaser_data

ID_HELP = {"id": {"help_text": "Stable identifier."}}
EXPANDED = "References (id, slug, name); in full with `?expand={name}`."
CORRECTIONS_HELP = "The public correction log, oldest first: corrections, clarifications and updates."
HEAD_HELP = (
    "What the page's `<head>` needs, ready to use: title, description, canonical URL, robots, the "
    "share picture, Open Graph and X card tags, and schema.org JSON-LD."
)


def author_ref(author: Author) -> dict:
    return {"id": author.pk, "slug": author.slug, "name": author.name, "role": author.role}


def author_data(author: Author) -> dict:
    return {**author_ref(author), "bio": author.bio}


class AuthorRefSerializer(serializers.ModelSerializer):
    """An author as shown in a byline."""

    class Meta:
        model = Author
        fields = ["id", "slug", "name", "role"]
        extra_kwargs = ID_HELP

    def to_representation(self, author):
        return author_ref(author)


class AuthorSerializer(SelectableFieldsMixin, AuthorRefSerializer):
    """An author with their biography."""

    class Meta(AuthorRefSerializer.Meta):
        fields = [*AuthorRefSerializer.Meta.fields, "bio"]

    def represent(self, author):
        return author_data(author)


class AuthorDetailSerializer(AuthorSerializer):
    """An author and their newest articles."""

    latest = TeaserSerializer(many=True, read_only=True, help_text="The author's newest published articles.")

    class Meta(AuthorSerializer.Meta):
        fields = [*AuthorSerializer.Meta.fields, "latest"]

    def represent(self, author):
        return {**author_data(author), "latest": author.latest}  # teaser cards, as a section's


def _expanded(context: dict, name: str) -> bool:
    return name in (context.get("expand") or ())


def _topics(item, context: dict) -> list[dict]:
    full = _expanded(context, "topics")
    return [topic_data(topic) if full else topic_ref(topic) for topic in item.topics.all()]


def _section(section, context: dict) -> dict | None:
    if section is None:
        return None
    return section_data(section) if _expanded(context, "section") else section_ref(section)


def video_embed_data(video: Video, context: dict) -> dict:
    thumbnail = video.thumbnail
    return {
        "id": video.pk,
        "slug": video.slug,
        "title": video.title,
        "description": video.description,
        "provider": video.provider,
        "source_url": video.source_url,
        "embed_url": video.embed_url,
        "duration_seconds": video.duration_seconds,
        "thumbnail": image_data(thumbnail, context) if thumbnail is not None else None,
        "published_at": iso(video.published_at),
    }


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

    def to_representation(self, video):
        return video_embed_data(video, self.context)


class VideoListSerializer(SelectableFieldsMixin, VideoEmbedSerializer):
    """A video as listed, with its section and topics."""

    section = SectionSerializer(read_only=True, allow_null=True, help_text=EXPANDED.format(name="section"))
    topics = TopicSerializer(many=True, read_only=True, help_text=EXPANDED.format(name="topics"))

    class Meta(VideoEmbedSerializer.Meta):
        fields = [*VideoEmbedSerializer.Meta.fields, "section", "topics", "updated_at"]

    def represent(self, video):
        return {
            **video_embed_data(video, self.context),
            "section": _section(video.section, self.context),
            "topics": _topics(video, self.context),
            "updated_at": iso(video.updated_at),
        }


class VideoDetailSerializer(VideoListSerializer):
    """A video with its transcript, rights and what its page's `<head>` needs."""

    corrections = CorrectionSerializer(many=True, read_only=True, help_text=CORRECTIONS_HELP)
    rights = RightsSerializer(read_only=True, help_text="Who owns it and what others may do with it.")
    head = HeadSerializer(read_only=True, help_text=HEAD_HELP)

    class Meta(VideoListSerializer.Meta):
        fields = [
            *VideoListSerializer.Meta.fields,
            "first_published_at",
            "transcript",
            "corrections",
            "rights",
            "head",
        ]

    def represent(self, video):
        data = {
            **super().represent(video),
            "first_published_at": iso(video.first_published_at),
            "transcript": video.transcript,
            "corrections": [correction_data(entry) for entry in video.corrections.all()],
            "rights": rights_data(video),
        }
        data["head"] = video_head(video, data)
        return data


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

    type = serializers.ChoiceField(choices=["paragraph"], help_text="Always `paragraph`.")


class HeadingBlockSerializer(InlineTextSerializer):
    """A subheading inside the body."""

    type = serializers.ChoiceField(choices=["heading"], help_text="Always `heading`.")
    level = serializers.ChoiceField(choices=HEADING_LEVELS, help_text="HTML heading level (h2 to h4).")


class QuoteBlockSerializer(InlineTextSerializer):
    """A block quote."""

    type = serializers.ChoiceField(choices=["quote"], help_text="Always `quote`.")


class ListBlockSerializer(serializers.Serializer):
    """A bulleted or numbered list."""

    type = serializers.ChoiceField(choices=["list"], help_text="Always `list`.")
    style = serializers.ChoiceField(choices=["bullet", "ordered"], help_text="Bullets or numbers.")
    items = InlineTextSerializer(many=True, help_text="The list items, in order.")


class ImageBlockSerializer(serializers.Serializer):
    """An image from the library, resolved to its public fields."""

    type = serializers.ChoiceField(choices=["image"], help_text="Always `image`.")
    image = ImageSerializer(help_text="The embedded image.")
    caption = serializers.CharField(
        help_text="Caption for this use of the image; defaults to the image's own."
    )


class VideoBlockSerializer(serializers.Serializer):
    """A published video, resolved to what a player needs."""

    type = serializers.ChoiceField(choices=["video"], help_text="Always `video`.")
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


def body_data(blocks: list[dict], context: dict) -> list[dict]:
    """Blocks as stored, with embedded images and videos resolved through `context["embeds"]`
    (loaded by the view: articles.embeds.load_body_embeds). An embed that is missing or not
    public is left out."""
    embeds = context.get("embeds", {"image": {}, "video": {}})
    served = []
    for block in blocks:
        kind = block["type"]
        if kind == "image":
            image = embeds["image"].get(block["image"])
            if image is not None:
                caption = block.get("caption") or image.caption
                served.append({"type": "image", "image": image_data(image, context), "caption": caption})
        elif kind == "video":
            video = embeds["video"].get(block["video"])
            if video is not None:
                caption = block.get("caption") or video.title
                served.append(
                    {"type": "video", "video": video_embed_data(video, context), "caption": caption}
                )
        else:
            served.append(block)
    return served


@extend_schema_field(BODY_BLOCK_SCHEMA)
class BodyField(serializers.Field):
    """The body blocks as served (`body_data`)."""

    def to_representation(self, blocks):
        return body_data(blocks, self.context)


class SeoSerializer(serializers.Serializer):
    """Search engine and social sharing metadata, with defaults filled in."""

    title = serializers.CharField(help_text="Title for search engines and social cards.")
    description = serializers.CharField(help_text="Description for search engines and social cards.")
    canonical_url = serializers.URLField(
        allow_null=True, help_text="Canonical URL when the original lives elsewhere; null otherwise."
    )


class SignupBlockSerializer(serializers.ModelSerializer):
    """The newsletter signup block under an article: what to promote, and where to send the form."""

    subscribe_url = serializers.URLField(
        read_only=True,
        help_text="Absolute URL to POST the reader's `email` (and optional `name`, `source`) to, "
        "which starts the double opt-in: the newsletter's subscriptions endpoint.",
    )

    class Meta:
        # The model the article's newsletter field points to: newsletters builds on articles,
        # so it is named through the relation, never imported.
        model = Article._meta.get_field("newsletter").related_model
        fields = ["id", "slug", "name", "description", "frequency", "subscribe_url"]
        extra_kwargs = ID_HELP

    def to_representation(self, newsletter):
        return signup_block_data(newsletter, self.context)


def signup_block_data(newsletter, context: dict) -> dict:
    path = reverse("newsletter-signup", kwargs={"slug": newsletter.slug})
    return {
        "id": newsletter.pk,
        "slug": newsletter.slug,
        "name": newsletter.name,
        "description": newsletter.description,
        "frequency": newsletter.frequency,
        "subscribe_url": absolute(context, path),
    }


def promoted_newsletter(article):
    """The article's own newsletter if it is active, else its section's default if active: an
    inactive one takes no signups, so promoting it would only lead to an error."""
    for newsletter in (article.newsletter, article.section.newsletter):
        if newsletter is not None and newsletter.is_active:
            return newsletter
    return None


# --- Live pages ----------------------------------------------------------------------------
LIVE_PAGE_SIZE, LIVE_MAX_PAGE_SIZE = 20, 100  # posts per page
PINNED_SHOWN, KEY_EVENTS_SHOWN = 5, 30


class LivePostSerializer(serializers.ModelSerializer):
    """A post of a live page."""

    body = BodyField(help_text="The post as ordered, typed blocks, as an article's body.")
    body_html = serializers.CharField(read_only=True, help_text="The same body as sanitized HTML.")
    text = serializers.CharField(
        read_only=True, help_text="The body as plain text (notifications, previews)."
    )
    author = AuthorRefSerializer(read_only=True, allow_null=True, help_text="The byline; null if none.")
    edited = serializers.BooleanField(
        read_only=True, help_text="Whether it was edited after it was published."
    )

    class Meta:
        model = LivePost
        fields = [
            "id",
            "title",
            "body",
            "body_html",
            "text",
            "author",
            "key_event",
            "pinned",
            "published_at",
            "edited",
            "edited_at",
            "updated_at",
        ]
        extra_kwargs = {
            **ID_HELP,
            "published_at": {"help_text": "When it was published: the post's time (UTC)."},
            "edited_at": {"help_text": "When its published content last changed; null if never."},
            "updated_at": {"help_text": "When it last changed in any way (UTC)."},
        }

    def to_representation(self, post):
        return live_post_data(post, self.context)


def live_post_data(post: LivePost, context: dict) -> dict:
    body = body_data(post.body, context)
    return {
        "id": post.pk,
        "title": post.title,
        "body": body,
        "body_html": blocks_to_html(body),
        "text": post.body_text,
        "author": author_ref(post.author) if post.author is not None else None,
        "key_event": post.key_event,
        "pinned": post.pinned,
        "published_at": iso(post.published_at),
        "edited": post.edited_at is not None,
        "edited_at": iso(post.edited_at),
        "updated_at": iso(post.updated_at),
    }


class KeyEventSerializer(serializers.Serializer):
    """A key event of a live page, for its summary: link to `#post-{id}`."""

    id = serializers.IntegerField(help_text="The post's id.")
    title = serializers.CharField(help_text="The post's title, else the start of its text.")
    published_at = serializers.DateTimeField(help_text="The post's time (UTC).")


class LivePageSerializer(serializers.Serializer):
    """A live page's coverage: its state and first page of posts, and where to poll for more."""

    status = serializers.ChoiceField(choices=LiveStatus.choices, help_text="upcoming, live or ended.")
    coverage_start = serializers.DateTimeField(allow_null=True, help_text="When coverage starts or started.")
    coverage_end = serializers.DateTimeField(allow_null=True, help_text="When coverage ends or ended.")
    pinned = LivePostSerializer(many=True, help_text="Pinned posts, newest first: shown above the stream.")
    key_events = KeyEventSerializer(many=True, help_text="The key events, newest first.")
    posts = LivePostSerializer(many=True, help_text="The newest posts, newest first (pinned ones included).")
    next = serializers.URLField(
        allow_null=True, help_text="The page of older posts; null when there are none."
    )
    since = serializers.CharField(help_text="Where this stands in the stream: poll with `?since=` it.")
    poll = serializers.URLField(help_text="The URL to poll for what changed after this (`posts/?since=`).")


def live_posts_url(context: dict, slug: str, **params) -> str:
    path = reverse("article-live-posts", kwargs={"slug": slug})
    return absolute(context, path + (f"?{urlencode(params)}" if params else ""))


def older_cursor(post: LivePost) -> str:
    """Where the page after `post` starts: its time and id, as an opaque token."""
    return urlsafe_b64encode(f"{post.published_at.isoformat()}|{post.pk}".encode()).decode()


def live_page_data(article: Article, context: dict) -> dict | None:
    """The `live` object of a live page's detail (None for any other article): four queries.
    The posts and the images and videos they embed are noted in `context["live_shown"]`, so that
    the detail names them (articles.listing.detail)."""
    if not article.live_status:
        return None
    newest = list(LivePost.objects.newest(article.pk).select_related("author")[: LIVE_PAGE_SIZE + 1])
    posts, more = newest[:LIVE_PAGE_SIZE], len(newest) > LIVE_PAGE_SIZE
    pinned = list(
        LivePost.objects.newest(article.pk).filter(pinned=True).select_related("author")[:PINNED_SHOWN]
    )
    key_events = (
        LivePost.objects.public()
        .filter(article_id=article.pk, key_event=True)
        .order_by("-published_at", "-pk")
        .only("pk", "title", "body_text", "published_at")[:KEY_EVENTS_SHOWN]
    )
    embeds = load_body_embeds([*posts, *pinned])
    context["live_shown"] = ([*posts, *pinned], embeds)
    context = {**context, "embeds": embeds}
    revision = str(article.live_revision)
    return {
        "status": article.live_status,
        "coverage_start": iso(article.coverage_start),
        "coverage_end": iso(article.coverage_end),
        "pinned": [live_post_data(post, context) for post in pinned],
        "key_events": [
            {
                "id": post.pk,
                "title": post.title or first_words(post.body_text),
                "published_at": iso(post.published_at),
            }
            for post in key_events
        ],
        "posts": [live_post_data(post, context) for post in posts],
        "next": live_posts_url(context, article.slug, cursor=older_cursor(posts[-1])) if more else None,
        "since": revision,
        "poll": live_posts_url(context, article.slug, since=revision),
    }


# --- Articles --------------------------------------------------------------------------------
def _lead_video(article: Article, context: dict) -> dict | None:
    video = article.lead_video
    return video_embed_data(video, context) if video is not None and video.is_live else None


def _related(article: Article, context: dict) -> list[dict]:
    # Prefetched with only public targets (ArticleQuerySet.with_related()).
    return [teaser_data(item.target, context) for item in article.related_items.all()]


class ArticleListSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """An article as a teaser in lists: no body."""

    section = SectionSerializer(read_only=True, help_text=EXPANDED.format(name="section"))
    topics = TopicSerializer(many=True, read_only=True, help_text=EXPANDED.format(name="topics"))
    authors = AuthorSerializer(
        many=True,
        read_only=True,
        help_text="Byline: id, slug, name and role; with their biography with `?expand=authors`.",
    )
    hero_image = ImageSerializer(read_only=True, allow_null=True, help_text="Main picture.")
    has_video = serializers.BooleanField(read_only=True, help_text="Whether it leads with a published video.")
    lead_video = VideoEmbedSerializer(
        read_only=True,
        allow_null=True,
        help_text="Video shown at the top; null if none is published. "
        "In lists only with `?expand=lead_video`.",
    )
    related = TeaserSerializer(
        many=True,
        read_only=True,
        help_text="Teaser cards for related articles and videos, in order. "
        "In lists only with `?expand=related`.",
    )

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
            "lead_video",
            "related",
        ]
        extra_kwargs = ID_HELP

    def represent(self, article):
        context = self.context
        hero = article.hero_image
        full_authors = _expanded(context, "authors")
        data = {
            "id": article.pk,
            "slug": article.slug,
            "headline": article.headline,
            "standfirst": article.standfirst,
            "section": _section(article.section, context),
            "topics": _topics(article, context),
            "authors": [author_data(a) if full_authors else author_ref(a) for a in article.authors.all()],
            "hero_image": image_data(hero, context) if hero is not None else None,
            "has_video": article.has_video,
            "published_at": iso(article.published_at),
            "updated_at": iso(article.updated_at),
        }
        if _expanded(context, "lead_video"):
            data["lead_video"] = _lead_video(article, context)
        if _expanded(context, "related"):
            data["related"] = _related(article, context)
        return data


class ArticleDetailSerializer(ArticleListSerializer):
    """Everything an article page needs, in one response."""

    body = BodyField(help_text="The article text as ordered, typed blocks.")
    body_html = serializers.CharField(
        read_only=True, help_text="The same body as sanitized HTML, with embedded images and videos resolved."
    )
    lead_video = VideoEmbedSerializer(
        read_only=True, allow_null=True, help_text="Video shown at the top; null if none is published."
    )
    related = TeaserSerializer(
        many=True, read_only=True, help_text="Teaser cards for related articles and videos, in order."
    )
    seo = SeoSerializer(read_only=True, help_text="Metadata for search engines and social sharing.")
    live = LivePageSerializer(
        read_only=True,
        allow_null=True,
        help_text="For a live page: its coverage and newest posts, and where to poll for more; "
        "null otherwise.",
    )
    corrections = CorrectionSerializer(many=True, read_only=True, help_text=CORRECTIONS_HELP)
    rights = RightsSerializer(read_only=True, help_text="Who owns it and what others may do with it.")
    head = HeadSerializer(read_only=True, help_text=HEAD_HELP)
    newsletter = SignupBlockSerializer(
        read_only=True,
        allow_null=True,
        help_text="The newsletter signup block shown under the article: the article's own newsletter, "
        "else its section's default; null when neither is set and active.",
    )

    class Meta(ArticleListSerializer.Meta):
        fields = [
            *ArticleListSerializer.Meta.fields,
            "first_published_at",
            "body",
            "body_html",
            "seo",
            "newsletter",
            "live",
            "corrections",
            "rights",
            "head",
        ]

    def represent(self, article):
        context = self.context
        body = body_data(article.body, context)
        newsletter = promoted_newsletter(article)
        data = {
            **super().represent(article),
            "lead_video": _lead_video(article, context),
            "related": _related(article, context),
            "first_published_at": iso(article.first_published_at),
            "body": body,
            "body_html": blocks_to_html(body),  # from the served blocks: hidden embeds stay out
            "seo": {
                "title": article.seo_title or article.headline,
                "description": article.seo_description or article.standfirst,
                "canonical_url": article.canonical_url or None,
            },
            "newsletter": signup_block_data(newsletter, context) if newsletter is not None else None,
            "live": live_page_data(article, context),
            "corrections": [correction_data(entry) for entry in article.corrections.all()],
            "rights": rights_data(article),
        }
        data["head"] = article_head(article, data)
        return data


# --- Pages that list content: a section's, a topic's --------------------------------------
class SectionDetailSerializer(SectionSerializer):
    """A section and its newest content."""

    latest = TeaserSerializer(
        many=True, read_only=True, help_text="The newest published articles and videos in the section."
    )

    class Meta(SectionSerializer.Meta):
        fields = [*SectionSerializer.Meta.fields, "latest"]

    def represent(self, section):
        return {
            **section_data(section),
            "latest": section.latest,  # teaser cards, made by the view (articles.listing.teaser_cards)
        }


class TopicDetailSerializer(TopicSerializer):
    """A topic and its newest content."""

    latest = TeaserSerializer(
        many=True, read_only=True, help_text="The newest published articles and videos on the topic."
    )

    class Meta(TopicSerializer.Meta):
        fields = [*TopicSerializer.Meta.fields, "latest"]

    def represent(self, topic):
        return {**topic_data(topic), "latest": topic.latest}  # teaser cards, as a section's


# --- Search ----------------------------------------------------------------------------------
class SearchResultSerializer(TeaserSerializer):
    """A search hit: the teaser card of an article or a video, with how well and where it matched."""

    rank = serializers.FloatField(
        help_text="Relevance: higher is a better match. Compare it only within one search."
    )
    snippet = serializers.CharField(
        help_text="A passage of the summary and body around the first match, as HTML: the text "
        "escaped, the matched words in `<mark>`."
    )

    def to_representation(self, item):
        return {**teaser_data(item, self.context), "rank": item.rank, "snippet": item.snippet}
